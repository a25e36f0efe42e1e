"""The sprint lifecycle: plan (dates, goal, focus KRs, stories), start (one active sprint per team; its
commitment recorded), complete (velocity stored, unfinished stories moved as chosen, the KR delta report
written after commit). Validation errors are ``ValidationError``; nothing is saved unless all is valid."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Final, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from backlog.models import Sprint, SprintState, Story, StoryStatus
from objectives.models import KeyResult
from objectives.services.unseen import kept_members
from objectives.visibility import visible_key_results
from okrapp.http import Viewer
from okrapp.models import Organisation, Team
from okrapp.parsing import MAX_SPRINT_DAYS, BadInput, check_date

NEW_SPRINT: Final = "new"
"""A completion move's destination: a new planned sprint, created after the completed one."""

Destination = Sprint | None | Literal["new"]  # a sprint, the backlog (None), or a new sprint


@transaction.atomic
def sprint_save(
    *,
    organisation: Organisation,
    team: Team,
    name: str,
    start_date: date,
    end_date: date,
    goal: str = "",
    focus_key_results: Iterable[KeyResult] = (),
    sprint: Sprint | None = None,
    writer: Viewer | None = None,
) -> Sprint:
    """Plan a sprint or change its plan. ``writer`` is the person writing (None: the app): the focus
    key results they may not see stay in focus (objectives.services.unseen)."""
    focus = kept_members(
        stored=sprint.focus_key_results.all() if sprint is not None else KeyResult.objects.none(),
        chosen=focus_key_results,
        in_view=None if writer is None else visible_key_results(writer),
        field="focus_key_results",
        noun="key results",
    )
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the sprint a name."
    for field, day in (("start_date", start_date), ("end_date", end_date)):
        try:
            check_date(day, field=field)
        except BadInput as exc:
            errors[field] = exc.message
    if end_date < start_date:
        errors["end_date"] = "A sprint ends on or after the day it starts."
    elif (end_date - start_date).days + 1 > MAX_SPRINT_DAYS:
        errors["end_date"] = f"A sprint lasts at most {MAX_SPRINT_DAYS // 7} weeks: plan a shorter one."
    if team.organisation_id != organisation.pk:
        errors["team"] = "That team belongs to another organisation."
    if any(kr.organisation_id != organisation.pk for kr in focus):
        errors["focus_key_results"] = "Those key results belong to another organisation."
    clash = Sprint.objects.filter(team=team, name__iexact=name.strip())
    if sprint is not None:
        clash = clash.exclude(pk=sprint.pk)
    if clash.exists():
        errors["name"] = "This team already has a sprint of that name."
    if errors:
        raise ValidationError(errors)
    sprint = sprint or Sprint(organisation=organisation, team=team)
    sprint.name, sprint.start_date, sprint.end_date, sprint.goal = name.strip(), start_date, end_date, goal.strip()
    sprint.save()
    sprint.focus_key_results.set(focus)
    return sprint


def sprint_entered_at(story: Story, sprint: Sprint | None, *, now: datetime | None = None) -> datetime | None:
    """The story's ``sprint_added_at`` once it stands in ``sprint``: kept while its sprint stays the same,
    now when it enters another one, None out of any. Every write that changes a story's sprint uses it
    (forms, API, import, planning, completion), so "scope added after start" means the same everywhere."""
    if sprint is None:
        return None
    if story.pk is not None and story.sprint_id == sprint.pk and story.sprint_added_at is not None:
        return story.sprint_added_at
    return now or timezone.now()


@transaction.atomic
def sprint_add_stories(*, sprint: Sprint, stories: Iterable[Story], now: datetime | None = None) -> int:
    """Put these stories of the sprint's team into the (planned or active) sprint; returns how many moved.
    Added to an active sprint, they are scope added after its start (the burndown steps up)."""
    sprint = Sprint.objects.select_for_update().get(pk=sprint.pk)
    rows = list(stories)
    if sprint.state == SprintState.CLOSED:
        raise ValidationError({"stories": "That sprint is complete: plan the stories into the next one."})
    if not rows:
        raise ValidationError({"stories": "Choose at least one story."})
    if any(s.team_id != sprint.team_id for s in rows):
        raise ValidationError({"stories": "Choose stories of the sprint's team."})
    if any(s.sprint is not None and s.sprint.state == SprintState.CLOSED for s in rows):
        raise ValidationError({"stories": "A story of a completed sprint stays there."})
    moving = [s for s in rows if s.sprint_id != sprint.pk]
    at = now or timezone.now()
    for story in moving:
        story.sprint, story.sprint_added_at, story.updated_at = sprint, at, at
    Story.objects.bulk_update(moving, ["sprint", "sprint_added_at", "updated_at"])
    return len(moving)


def _other_active(sprint: Sprint) -> Sprint | None:
    return Sprint.objects.filter(team_id=sprint.team_id, state=SprintState.ACTIVE).exclude(pk=sprint.pk).first()


def _active_message(active: Sprint) -> str:
    return f"“{active.name}” is the team's active sprint: complete it before starting another."


@transaction.atomic
def sprint_start(*, sprint: Sprint, now: datetime | None = None) -> Sprint:
    """Start a planned sprint: records when, and its commitment (the estimated points in it now)."""
    # Lock the team's sprints so two starts at once queue; the constraint is the last line behind this.
    list(Sprint.objects.select_for_update().filter(team_id=sprint.team_id).values_list("pk", flat=True))
    sprint = Sprint.objects.get(pk=sprint.pk)
    if sprint.state == SprintState.ACTIVE:
        raise ValidationError("This sprint has started already.")
    if sprint.state == SprintState.CLOSED:
        raise ValidationError("This sprint is complete: plan a new one.")
    active = _other_active(sprint)
    if active is not None:
        raise ValidationError(_active_message(active))
    sprint.state, sprint.started_at = SprintState.ACTIVE, now or timezone.now()
    sprint.committed_points = float(sprint.stories.aggregate(total=Sum("points"))["total"] or 0.0)
    try:
        with transaction.atomic():
            sprint.save(update_fields=["state", "started_at", "committed_points"])
    except IntegrityError as exc:  # one_active_sprint_per_team: another start won the race
        raise ValidationError("Another sprint of the team has just started: complete it first.") from exc
    return sprint


def next_planned_sprints(sprint: Sprint) -> list[Sprint]:
    """The team's planned sprints a completion may move unfinished stories to, soonest first."""
    return list(
        Sprint.objects.filter(team_id=sprint.team_id, state=SprintState.PLANNED)
        .exclude(pk=sprint.pk)
        .order_by("start_date", "pk")
    )


def following_name(sprint: Sprint) -> str:
    """ "Sprint 14" → "Sprint 15" (or the next free number); another name gets " (next)", then a counter."""
    taken = {n.casefold() for n in Sprint.objects.filter(team_id=sprint.team_id).values_list("name", flat=True)}
    match = re.fullmatch(r"(.*?)(\d+)", sprint.name)
    if match:
        number = int(match.group(2)) + 1
        while f"{match.group(1)}{number}".casefold() in taken:
            number += 1
        return f"{match.group(1)}{number}"[:80]
    name, counter = f"{sprint.name} (next)", 2
    while name.casefold() in taken:
        name, counter = f"{sprint.name} (next {counter})", counter + 1
    return name[:80]


def _create_following(sprint: Sprint) -> Sprint:
    """A planned sprint of the same length starting the day after this one ends, focused on the same KRs."""
    length = sprint.end_date - sprint.start_date
    start = sprint.end_date + timedelta(days=1)
    return sprint_save(
        organisation=sprint.organisation,
        team=sprint.team,
        name=following_name(sprint),
        start_date=start,
        end_date=start + length,
        goal=sprint.goal,
        focus_key_results=sprint.focus_key_results.all(),
    )


@transaction.atomic
def sprint_complete(
    *, sprint: Sprint, moves: Mapping[int, Destination] | None = None, now: datetime | None = None
) -> Sprint:
    """Complete an active sprint in one transaction: its completed points (the done stories' points, the
    velocity delivery confidence reads) and ``closed_at`` are stored; each unfinished story goes where
    ``moves`` says (story id → a planned sprint of the team, ``NEW_SPRINT``, or None for the backlog;
    a story left out goes back to the backlog); the KR delta report is enqueued after commit."""
    from backlog.reports import enqueue_sprint_report

    sprint = Sprint.objects.select_for_update().select_related("organisation", "team").get(pk=sprint.pk)
    if sprint.state == SprintState.CLOSED:
        raise ValidationError("This sprint is complete already.")
    if sprint.state != SprintState.ACTIVE:
        raise ValidationError("Only a started sprint can be completed: start it first.")
    chosen = dict(moves or {})
    stories = list(Story.objects.select_for_update().filter(sprint=sprint).order_by("rank", "pk"))
    unfinished = {s.pk: s for s in stories if s.status != StoryStatus.DONE}
    if set(chosen) - set(unfinished):
        raise ValidationError("Only this sprint's unfinished stories can be moved.")
    for target in chosen.values():
        if isinstance(target, Sprint) and (
            target.team_id != sprint.team_id or target.state != SprintState.PLANNED or target.pk == sprint.pk
        ):
            raise ValidationError("Move unfinished stories to a planned sprint of the same team.")
    at = now or timezone.now()
    created = _create_following(sprint) if NEW_SPRINT in chosen.values() else None
    for story_id, story in unfinished.items():
        target = chosen.get(story_id)
        destination = created if target == NEW_SPRINT else target if isinstance(target, Sprint) else None
        story.sprint, story.sprint_added_at = destination, at if destination is not None else None
        story.updated_at = at
    Story.objects.bulk_update(unfinished.values(), ["sprint", "sprint_added_at", "updated_at"])
    sprint.completed_points = float(sum(s.points or 0.0 for s in stories if s.status == StoryStatus.DONE))
    sprint.state, sprint.closed_at = SprintState.CLOSED, at
    sprint.save(update_fields=["completed_points", "state", "closed_at"])
    transaction.on_commit(lambda: enqueue_sprint_report(sprint.pk))
    return sprint
