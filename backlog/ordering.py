"""The backlog's order by hand. ``Story.rank`` is a fractional index (``fractional-indexing``, base-62
keys compared bytewise, C collation): a moved story is given a key between its new neighbours, so a
move writes one row and never renumbers the list.

Every writer of ranks in a team first locks the team's row (``lock_team``), so concurrent moves and
new stories of one team take turns and never compute the same key; other teams are not held up. The
lock is ``FOR NO KEY UPDATE``: it does not block the foreign-key checks of stories being inserted
(``FOR KEY SHARE``), which would otherwise let two writers that each inserted a story deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Max, Min, Value
from django.db.models.functions import Cast, Concat
from fractional_indexing import generate_key_between, generate_n_keys_between

from backlog.models import Story, StoryStatus
from okrapp.models import Team

RANK_MAX_LENGTH = 64  # Story.rank's max_length
Step = Literal["top", "up", "down"]
STEPS: tuple[Step, ...] = ("top", "up", "down")


def lock_team(team_id: int) -> Team:
    """Take the team's ordering lock until the transaction ends (call inside one)."""
    return Team.objects.select_for_update(no_key=True).get(pk=team_id)


def rank_at_end(team_id: int) -> str:
    """A key after every story of the team (a new story goes to the bottom). Locks the team."""
    lock_team(team_id)
    last = Story.objects.filter(team_id=team_id).aggregate(last=Max("rank"))["last"]
    return generate_key_between(last, None)


def rank_after(rank: str) -> str:
    """The next key after this one, with nothing after it (the next new story of a batch)."""
    return generate_key_between(rank, None)


def fresh_ranks(count: int) -> list[str]:
    """``count`` ascending, short keys for a new backlog (demo data, benchmark)."""
    return list(generate_n_keys_between(None, None, count)) if count else []


def _ordered(team_id: int, exclude: int) -> list[tuple[int, str, str]]:
    return list(
        Story.objects.filter(team_id=team_id)
        .exclude(pk=exclude)
        .order_by("rank", "pk")
        .values_list("pk", "rank", "status")
    )


def _place(story: Story, lower: str | None, upper: str | None) -> Story:
    key = generate_key_between(lower, upper)
    if len(key) > RANK_MAX_LENGTH:
        # Only after a long run of moves into one gap: the team's keys are respaced once, in order.
        rows = list(Story.objects.filter(team_id=story.team_id).order_by("rank", "pk"))
        rows = [s for s in rows if s.pk != story.pk]
        index = next((i for i, s in enumerate(rows) if lower is not None and s.rank == lower), -1) + 1
        rows.insert(index, story)
        respace(rows)
        story.refresh_from_db(fields=["rank", "updated_at"])
        return story
    story.rank = key
    story.save(update_fields=["rank", "updated_at"])
    return story


def respace(stories: Sequence[Story]) -> None:
    """Give these stories of one team fresh keys in this order, before the team's other stories' keys
    are compared again (the caller holds the team's lock and passes every story of the team).

    Two passes: a unique constraint is checked row by row, so keys are first parked on values no key
    can take ("~" sorts after every base-62 digit and never occurs in one), then set."""
    Story.objects.filter(pk__in=[s.pk for s in stories]).update(rank=_parked_rank_sql())
    for story, key in zip(stories, fresh_ranks(len(stories)), strict=True):
        story.rank = key
    Story.objects.bulk_update(list(stories), ["rank"], batch_size=1000)


def _parked_rank_sql() -> Concat:
    return Concat(Value("~"), Cast("pk", output_field=CharField()), output_field=CharField())


@transaction.atomic
def story_move(*, story: Story, above: Story | None = None, below: Story | None = None) -> Story:
    """Place the story right after ``above`` or, when only ``below`` is given, right before it (a drop
    names the row it landed under, or the one it landed over when it landed first). The neighbours are
    re-read under the team's lock, so a concurrent move cannot slip between them. One row is written."""
    errors = _refusals(story, above, below)
    if errors:
        raise ValidationError(errors)
    lock_team(story.team_id)
    story = Story.objects.get(pk=story.pk)
    rows = _ordered(story.team_id, story.pk)
    ranks = [rank for _, rank, _ in rows]
    ids = [pk for pk, _, _ in rows]
    lower: str | None
    upper: str | None
    if above is not None:
        index = ids.index(above.pk)
        lower, upper = ranks[index], (ranks[index + 1] if index + 1 < len(ranks) else None)
    elif below is not None:
        index = ids.index(below.pk)
        lower, upper = (ranks[index - 1] if index > 0 else None), ranks[index]
    else:
        raise ValidationError({"position": "Say which story it goes after or before."})
    return _place(story, lower, upper)


def _refusals(story: Story, above: Story | None, below: Story | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, neighbour in (("above", above), ("below", below)):
        if neighbour is None:
            continue
        if neighbour.pk == story.pk:
            errors[name] = "A story cannot be placed next to itself."
        elif neighbour.organisation_id != story.organisation_id or neighbour.team_id != story.team_id:
            errors[name] = "Place it next to a story of the same team's backlog."
    return errors


@transaction.atomic
def story_step(*, story: Story, to: Step) -> Story:
    """The keyboard moves: to the top of the team's backlog, or one place up or down among its open
    stories (the rows the backlog page lists; done ones keep their place). At an end, nothing moves."""
    if to not in STEPS:
        raise ValidationError({"to": "Move it to the top, up or down."})
    lock_team(story.team_id)
    story = Story.objects.get(pk=story.pk)
    rows = _ordered(story.team_id, story.pk)
    if to == "top":
        first = Story.objects.filter(team_id=story.team_id).aggregate(first=Min("rank"))["first"]
        if first == story.rank:
            return story
        return _place(story, None, rows[0][1] if rows else None)
    open_ranks = [rank for _, rank, status in rows if status != StoryStatus.DONE]
    ranks = [rank for _, rank, _ in rows]
    if to == "up":
        passed = [r for r in open_ranks if r < story.rank]
        if not passed:
            return story
        index = ranks.index(passed[-1])  # goes right before the open story above it
        return _place(story, ranks[index - 1] if index > 0 else None, ranks[index])
    passed = [r for r in open_ranks if r > story.rank]
    if not passed:
        return story
    index = ranks.index(passed[0])  # goes right after the open story below it
    return _place(story, ranks[index], ranks[index + 1] if index + 1 < len(ranks) else None)
