"""Writes of the backlog. Validation errors are ``ValidationError`` keyed by field, so forms (and the API)
show them next to the field; nothing is saved unless the whole write is valid."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from backlog import figures, ordering
from backlog.assignees import assignee_refusal
from backlog.models import (
    Epic,
    EpicLink,
    Lane,
    Sprint,
    SprintState,
    Story,
    StoryLink,
    StoryStatus,
    Theme,
)
from backlog.sprints import sprint_entered_at
from objectives.models import CycleState, KeyResult, Objective
from objectives.services.unseen import kept_members
from objectives.visibility import visible_objectives
from okrapp.http import Viewer
from okrapp.models import Membership, Organisation, Team

MAX_POINTS = 1000  # beyond any real estimate; a typo guard


# --- Themes ----------------------------------------------------------------------------------------


def theme_key_results(theme: Theme) -> QuerySet[KeyResult]:
    """The KRs a theme serves: those of the objectives it is linked to, and those its epics link to."""
    return KeyResult.objects.filter(
        Q(objective__themes=theme) | Q(epics__theme=theme),
        objective__cycle__state__in=[CycleState.ACTIVE, CycleState.PLANNING],
    ).distinct()


def _check_now(theme: Theme, lane: str) -> None:
    if lane == Lane.NOW and not theme_key_results(theme).exists():
        raise ValidationError(
            {
                "lane": "A theme moves into Now only once it serves a key result: link an objective or an epic's key result first."
            }
        )


@transaction.atomic
def theme_save(
    *,
    organisation: Organisation,
    title: str,
    lane: str = Lane.LATER,
    description: str = "",
    objectives: Iterable[Objective] = (),
    theme: Theme | None = None,
    writer: Viewer | None = None,
) -> Theme:
    """Add or change a theme. ``writer`` is the person writing (None: the app): the objectives linked
    that they may not see stay linked (objectives.services.unseen)."""
    linked = kept_members(
        stored=theme.objectives.all() if theme is not None else Objective.objects.none(),
        chosen=objectives,
        in_view=None if writer is None else visible_objectives(writer),
        field="objectives",
        noun="objectives",
    )
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the theme a title."
    if lane not in Lane.values:
        errors["lane"] = "Choose Now, Next or Later."
    if any(o.organisation_id != organisation.pk for o in linked):
        errors["objectives"] = "Those objectives belong to another organisation."
    if errors:
        raise ValidationError(errors)
    is_new = theme is None
    theme = theme or Theme(organisation=organisation)
    moved = is_new or theme.lane != lane
    theme.title, theme.description = title.strip(), description.strip()
    if moved:
        theme.lane = lane
        theme.position = _next_position(organisation, lane)
    theme.save()
    theme.objectives.set(linked)
    _check_now(theme, theme.lane)  # after the links are set: the links are what can make it ready
    return theme


def _next_position(organisation: Organisation, lane: str) -> int:
    last = Theme.objects.filter(organisation=organisation, lane=lane).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def theme_move(*, theme: Theme, lane: str, before: Theme | None = None) -> Theme:
    """Move a theme into a lane, before another theme of it (or last). Positions in the lane are
    renumbered 0, 1, 2…"""
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    if lane not in Lane.values:
        raise ValidationError({"lane": "Choose Now, Next or Later."})
    if before is not None and (before.lane != lane or before.organisation_id != theme.organisation_id):
        raise ValidationError({"lane": "Place it next to a theme of the same lane."})
    if lane != theme.lane:
        _check_now(theme, lane)
    others = list(
        Theme.objects.select_for_update()
        .filter(organisation_id=theme.organisation_id, lane=lane)
        .exclude(pk=theme.pk)
        .order_by("position", "pk")
    )
    index = next((i for i, t in enumerate(others) if before is not None and t.pk == before.pk), len(others))
    ordered = [*others[:index], theme, *others[index:]]
    theme.lane = lane
    for position, row in enumerate(ordered):
        row.position = position
        if row.pk == theme.pk:
            row.lane = lane
    Theme.objects.bulk_update(ordered, ["lane", "position"])
    theme.refresh_from_db()
    return theme


# --- Epics -----------------------------------------------------------------------------------------

BRIEFING_FIELDS = ("context", "higher_intent", "my_intent", "key_implied_tasks", "boundaries")


def suggested_higher_intent(*, parent: Epic | None, theme: Theme | None, team: Team | None) -> str:
    """A child epic's higher intent starts as its parent's "my intent"; a team epic under a theme whose
    epics include one of the parent team's, as that epic's "my intent"."""
    if parent is not None:
        return parent.my_intent
    if theme is not None and team is not None and team.parent_id is not None:
        above = theme.epics.filter(team_id=team.parent_id).exclude(my_intent="").order_by("rank", "pk").first()
        if above is not None:
            return above.my_intent
    return ""


@transaction.atomic
def epic_save(
    *,
    organisation: Organisation,
    team: Team,
    title: str,
    theme: Theme | None = None,
    parent: Epic | None = None,
    owner: Membership | None = None,
    status: str = "open",
    epic: Epic | None = None,
    **briefing: str,
) -> Epic:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the epic a title."
    if team.organisation_id != organisation.pk:
        errors["team"] = "That team belongs to another organisation."
    if theme is not None and theme.organisation_id != organisation.pk:
        errors["theme"] = "That theme belongs to another organisation."
    if parent is not None:
        if parent.organisation_id != organisation.pk:
            errors["parent"] = "That epic belongs to another organisation."
        elif epic is not None and _epic_ancestor_ids(parent) & {epic.pk}:
            errors["parent"] = "An epic cannot sit under itself or one of its own children."
    if owner is not None and owner.organisation_id != organisation.pk:
        errors["owner"] = "That person belongs to another organisation."
    unknown = set(briefing) - set(BRIEFING_FIELDS)
    if unknown:
        raise TypeError(f"unknown briefing fields: {sorted(unknown)}")
    if errors:
        raise ValidationError(errors)
    if epic is None:
        epic = Epic(organisation=organisation, rank=_next_rank(Epic.objects.filter(organisation=organisation)))
    epic.team, epic.title, epic.theme, epic.parent, epic.owner = team, title.strip(), theme, parent, owner
    epic.status = status
    for name, value in briefing.items():
        setattr(epic, name, value.strip())
    epic.save()
    return epic


def _epic_ancestor_ids(epic: Epic) -> set[int]:
    seen: set[int] = set()
    current: Epic | None = epic
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        current = current.parent
    return seen


def _next_rank(rows: QuerySet[Epic]) -> float:
    last = rows.aggregate(last=Max("rank"))["last"]
    return 0.0 if last is None else float(last) + 1.0


# --- Stories ---------------------------------------------------------------------------------------


def check_points(points: float | None) -> None:
    if points is None:
        return
    if not math.isfinite(points) or points < 0:
        raise ValidationError({"points": "Points are a number of zero or more (leave empty while not estimated)."})
    if points > MAX_POINTS:
        raise ValidationError({"points": f"Points above {MAX_POINTS} look like a typo; split the story instead."})


def story_epic_refusal(*, team_id: int, epic_team_id: int | None) -> str | None:
    """Why a story of team ``team_id`` may not sit under an epic of team ``epic_team_id`` (None: it may).
    A story's epic, like its sprint, belongs to the story's team whatever the door (the pages, the API,
    the Jira import): another team's epic would pull its KRs into this team's backlog figures."""
    if epic_team_id is not None and epic_team_id != team_id:
        return "This epic belongs to another team: choose an epic of the story's team."
    return None


@transaction.atomic
def story_save(
    *,
    organisation: Organisation,
    team: Team,
    title: str,
    points: float | None = None,
    status: str = StoryStatus.TODO,
    description: str = "",
    epic: Epic | None = None,
    sprint: Sprint | None = None,
    assignee: Membership | None = None,
    story: Story | None = None,
    now: datetime | None = None,
) -> Story:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the story a title."
    try:
        check_points(points)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if status not in StoryStatus.values:
        errors["status"] = "Choose To do, In progress or Done."
    if team.organisation_id != organisation.pk:
        errors["team"] = "That team belongs to another organisation."
    if epic is not None and epic.organisation_id != organisation.pk:
        errors["epic"] = "That epic belongs to another organisation."
    elif epic is not None and (refusal := story_epic_refusal(team_id=team.pk, epic_team_id=epic.team_id)):
        errors["epic"] = refusal
    if sprint is not None and sprint.team_id != team.pk:
        errors["sprint"] = "Choose a sprint of the story's team."
    elif sprint is not None and sprint.state == SprintState.CLOSED and (story is None or story.sprint_id != sprint.pk):
        errors["sprint"] = "That sprint is closed."
    if assignee is not None and (story is None or assignee.pk != story.assignee_id):
        # a new assignment only: someone who has since left keeps the stories already theirs until changed
        refusal = assignee_refusal(assignee, team)
        if refusal:
            errors["assignee"] = refusal
    if errors:
        raise ValidationError(errors)
    if story is None:
        story = Story(organisation=organisation, rank=ordering.rank_at_end(team.pk))
    story.team, story.title, story.description = team, title.strip(), description.strip()
    story.sprint_added_at = sprint_entered_at(story, sprint, now=now)  # before the sprint changes below
    story.points, story.epic, story.sprint, story.assignee = points, epic, sprint, assignee
    _set_status(story, status, now=now)
    story.save()
    return story


def _set_status(story: Story, status: str, *, now: datetime | None) -> None:
    if status == StoryStatus.DONE and story.status != StoryStatus.DONE:
        story.done_at = now or timezone.now()
    elif status != StoryStatus.DONE:
        story.done_at = None
    story.status = status


@transaction.atomic
def story_set_status(*, story: Story, status: str, now: datetime | None = None) -> Story:
    if status not in StoryStatus.values:
        raise ValidationError({"status": "Choose To do, In progress or Done."})
    story = Story.objects.select_for_update().get(pk=story.pk)
    _set_status(story, status, now=now)
    story.save(update_fields=["status", "done_at", "updated_at"])
    return story


@transaction.atomic
def stories_rerank(*, team: Team, ordered_ids: list[int]) -> int:
    """Put these stories of the team first, in this order (the rest keep their order, after them): the
    whole backlog is given fresh keys, as accepting an order rewrites it anyway."""
    ordering.lock_team(team.pk)
    stories = {s.pk: s for s in Story.objects.filter(team=team, pk__in=ordered_ids)}
    if len(stories) != len(set(ordered_ids)):
        raise ValidationError("Some of those stories are not in this team's backlog.")
    rest = Story.objects.filter(team=team).exclude(pk__in=ordered_ids).order_by("rank", "pk")
    ordering.respace([stories[pk] for pk in ordered_ids] + list(rest))
    return len(ordered_ids)


# --- Links to key results --------------------------------------------------------------------------


def _check_link(*, organisation_id: int, key_result: KeyResult, share: float | None, amount: float | None) -> None:
    errors: dict[str, str] = {}
    if key_result.organisation_id != organisation_id:
        errors["key_result"] = "That key result belongs to another organisation."
    elif key_result.objective.cycle.state == CycleState.CLOSED:
        errors["key_result"] = "That key result's cycle is closed."
    try:
        figures.check_impact(share=share, amount=amount)
    except ValueError as exc:
        errors["impact"] = str(exc)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def link_story(
    *, story: Story, key_result: KeyResult, share: float | None = None, amount: float | None = None, note: str = ""
) -> StoryLink:
    """Link a story to a KR with its expected impact (linking again changes the impact). The caller has
    checked the viewer may see the KR (``access_key_result``) and edit the story."""
    _check_link(organisation_id=story.organisation_id, key_result=key_result, share=share, amount=amount)
    link, _ = StoryLink.objects.update_or_create(
        story=story,
        key_result=key_result,
        defaults={"impact_share": share, "impact_amount": amount, "note": note.strip()},
    )
    return link


@transaction.atomic
def link_epic(
    *, epic: Epic, key_result: KeyResult, share: float | None = None, amount: float | None = None, note: str = ""
) -> EpicLink:
    _check_link(organisation_id=epic.organisation_id, key_result=key_result, share=share, amount=amount)
    link, _ = EpicLink.objects.update_or_create(
        epic=epic,
        key_result=key_result,
        defaults={"impact_share": share, "impact_amount": amount, "note": note.strip()},
    )
    return link


def unlink_story(*, story: Story, key_result: KeyResult) -> bool:
    return StoryLink.objects.filter(story=story, key_result=key_result).delete()[0] > 0


def unlink_epic(*, epic: Epic, key_result: KeyResult) -> bool:
    return EpicLink.objects.filter(epic=epic, key_result=key_result).delete()[0] > 0
