"""Story.rank becomes a fractional index (a string compared bytewise, C collation), unique per team, so a
moved story is given a key between its new neighbours and no other row is written.

The float ranks are converted per team in their (rank, pk) order, so every backlog keeps its order."""

from django.db import migrations, models
from fractional_indexing import generate_n_keys_between

OLD_INDEX = "backlog_sto_organis_5ea022_idx"


def _in_team_order(Story, order_by):  # noqa: N803 - the historical model
    teams: dict[int, list] = {}
    for story in Story.objects.order_by("team_id", *order_by).only("pk", "team_id"):
        teams.setdefault(story.team_id, []).append(story)
    return teams


def floats_to_keys(apps, schema_editor):
    Story = apps.get_model("backlog", "Story")
    for stories in _in_team_order(Story, ("rank", "pk")).values():
        for story, key in zip(stories, generate_n_keys_between(None, None, len(stories)), strict=True):
            story.rank_key = key
        Story.objects.bulk_update(stories, ["rank_key"], batch_size=1000)


def keys_to_floats(apps, schema_editor):
    Story = apps.get_model("backlog", "Story")
    for stories in _in_team_order(Story, ("rank_key", "pk")).values():
        for position, story in enumerate(stories):
            story.rank = float(position)
        Story.objects.bulk_update(stories, ["rank"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("backlog", "0004_sprint_lifecycle_and_search")]

    operations = [
        migrations.RemoveIndex(model_name="story", name=OLD_INDEX),
        migrations.AddField(
            model_name="story",
            name="rank_key",
            field=models.CharField(max_length=64, db_collation="C", null=True),
        ),
        migrations.RunPython(floats_to_keys, keys_to_floats, elidable=False),
        migrations.RemoveField(model_name="story", name="rank"),
        migrations.RenameField(model_name="story", old_name="rank_key", new_name="rank"),
        migrations.AlterField(
            model_name="story",
            name="rank",
            field=models.CharField(db_collation="C", help_text="Backlog order: lower comes first.", max_length=64),
        ),
        migrations.AddIndex(
            model_name="story",
            index=models.Index(fields=["organisation", "team", "status", "rank"], name=OLD_INDEX),
        ),
        migrations.AddConstraint(
            model_name="story",
            constraint=models.UniqueConstraint(fields=("team", "rank"), name="story_rank_unique_per_team"),
        ),
    ]
