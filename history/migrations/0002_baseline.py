"""The rows that exist when history begins get a "baseline" event: the "before" of their first change,
so that change shows old → new. Not shown as an entry of its own."""

from django.db import migrations

EVENTS = (
    "ObjectiveEvent",
    "KeyResultEvent",
    "CheckInEvent",
    "StoryEvent",
    "StoryLinkEvent",
    "EpicLinkEvent",
    "MembershipEvent",
    "TeamMembershipEvent",
)


def baseline(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in EVENTS:
        event = apps.get_model("history", name)
        tracked = event._meta.get_field("pgh_obj").related_model._meta.db_table
        columns = [f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
        listed = ", ".join(quote(c) for c in columns)
        # Identifiers of our own models, quoted; no input reaches this SQL.
        sql = f"INSERT INTO {quote(event._meta.db_table)} (pgh_created_at, pgh_label, pgh_obj_id, {listed}) "
        sql += f"SELECT NOW(), 'baseline', id, {listed} FROM {quote(tracked)}"  # noqa: S608
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("history", "0001_tracked_models")]

    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
