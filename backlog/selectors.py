"""Reads of the backlog: which KRs work serves, coverage, the impact ranking, delivery confidence and
burndowns. Each feeds ``backlog.figures`` from a fixed number of queries.

"Serves a KR" counts the story's own links and its epic's, to KRs of active cycles. Links to KRs of
private objectives are left out of every figure (coverage, ranking, confidence), so no total reveals
them; a viewer who may see such a KR sees its links on the KR's own page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Sum

from backlog import figures
from backlog.models import EpicLink, Sprint, SprintState, Story, StoryLink, StoryStatus
from objectives.models import CycleState, KeyResult, KeyResultSnapshot, Visibility
from objectives.visibility import visible_key_result_ids, visible_key_results
from okrapp.access import visible_people
from okrapp.http import Viewer
from okrapp.models import Team
from okrapp.timeutil import org_date

SPRINT_DAYS_DEFAULT = 14


def counted_links(model: type[StoryLink] | type[EpicLink]) -> QuerySet:
    """Links that count in figures: to KRs of active cycles, not of private objectives."""
    return model.objects.filter(key_result__objective__cycle__state=CycleState.ACTIVE).exclude(
        key_result__objective__visibility=Visibility.PRIVATE
    )


def open_stories(team: Team | None = None, sprint: Sprint | None = None) -> QuerySet[Story]:
    rows = Story.objects.exclude(status=StoryStatus.DONE)
    if team is not None:
        rows = rows.filter(team=team)
    if sprint is not None:
        rows = rows.filter(sprint=sprint)
    return rows.order_by("rank", "pk")


@dataclass(frozen=True)
class Served:
    """Per story: the KRs it serves as (KR id, impact share, via its epic)."""

    own: dict[int, list[tuple[int, float]]]
    via_epic: dict[int, list[tuple[int, float]]]  # per epic

    def key_result_ids(self, story_id: int, epic_id: int | None) -> set[int]:
        ids = {kr for kr, _ in self.own.get(story_id, [])}
        if epic_id is not None:
            ids |= {kr for kr, _ in self.via_epic.get(epic_id, [])}
        return ids


def served(stories: Iterable[tuple[int, int | None]], *, within: QuerySet[Story] | None = None) -> Served:
    """The counted links of these (story id, epic id) pairs: two queries. ``within``, the queryset the
    pairs come from, lets the database select the links by a subquery rather than by a list of ids (a
    company's open stories are thousands)."""
    rows = list(stories)
    story_ids: Any = [s for s, _ in rows] if within is None else within.values("pk")
    epic_ids: Any = {e for _, e in rows if e is not None} if within is None else within.values("epic_id")
    own: dict[int, list[tuple[int, float]]] = defaultdict(list)
    fields = ("key_result_id", "impact_share", "impact_amount", "key_result__start_value", "key_result__target_value")
    for story_id, kr_id, share, amount, start, target in (
        counted_links(StoryLink).filter(story_id__in=story_ids).values_list("story_id", *fields)
    ):
        own[story_id].append((kr_id, figures.impact_share(share=share, amount=amount, start=start, target=target)))
    via: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for epic_id, kr_id, share, amount, start, target in (
        counted_links(EpicLink).filter(epic_id__in=epic_ids).values_list("epic_id", *fields)
    ):
        via[epic_id].append((kr_id, figures.impact_share(share=share, amount=amount, start=start, target=target)))
    return Served(own=dict(own), via_epic=dict(via))


def coverage_of(stories: QuerySet[Story]) -> figures.Coverage:
    """Coverage of these open stories (three queries)."""
    rows = list(stories.values_list("pk", "points", "epic_id"))
    links = served(((pk, epic_id) for pk, _, epic_id in rows), within=stories)
    return figures.coverage(
        figures.CoverageItem(id=pk, points=points, serves=bool(links.key_result_ids(pk, epic_id)))
        for pk, points, epic_id in rows
    )


def serving_stories(stories: QuerySet[Story]) -> QuerySet[Story]:
    """These stories, each annotated ``serves``: it has a counted link of its own or through its epic
    (the same rule as ``served``, asked of the database, for counts over a whole company)."""
    # Two uncorrelated subqueries (hashed once by PostgreSQL), not EXISTS per row.
    return stories.annotate(
        serves=ExpressionWrapper(
            Q(pk__in=counted_links(StoryLink).values("story_id"))
            | Q(epic_id__in=counted_links(EpicLink).values("epic_id")),
            output_field=BooleanField(),
        )
    )


def coverage_counts(stories: QuerySet[Story]) -> tuple[int, int]:
    """(open stories serving a KR, open stories) of these stories: coverage by count in one query, without
    loading them (the company cascade's header figure)."""
    totals = serving_stories(stories).aggregate(linked=Count("pk", filter=Q(serves=True)), total=Count("pk"))
    return totals["linked"], totals["total"]


def unsupported_key_results(key_results: QuerySet[KeyResult]) -> QuerySet[KeyResult]:
    """Of these KRs, those with no open linked work (no open story linked to them or to their epics)."""
    open_own = StoryLink.objects.exclude(story__status=StoryStatus.DONE).values("key_result_id")
    open_via_epic = EpicLink.objects.filter(
        epic__stories__status__in=[StoryStatus.TODO, StoryStatus.IN_PROGRESS]
    ).values("key_result_id")
    return key_results.exclude(pk__in=open_own).exclude(pk__in=open_via_epic)


@dataclass(frozen=True)
class RankedRow:
    story: Story
    rank: figures.RankedStory
    reason: str  # in words that name only the KRs the viewer may see


def ranked_backlog(team: Team, *, viewer: Viewer) -> list[RankedRow]:
    """The team's open stories ordered by KR impact per point, each with its reason (five queries).

    The order counts every KR the work serves except those of private objectives (left out of every
    figure, as in coverage), so it is the same whoever reads it and whoever accepts it as the backlog's
    rank. The reasons name only the KRs ``viewer`` may see: a team-only KR of another team counts but
    goes unnamed, and its title is not even loaded."""
    stories = list(open_stories(team=team).select_related("epic"))
    links = served((s.pk, s.epic_id) for s in stories)
    kr_ids = {kr for rows in (*links.own.values(), *links.via_epic.values()) for kr, _ in rows}
    visible = visible_key_result_ids(viewer, kr_ids)
    facts = {
        pk: figures.KeyResultFacts(title=title if pk in visible else "", weight=weight, progress=progress)
        for pk, title, weight, progress in KeyResult.objects.filter(pk__in=kr_ids).values_list(
            "pk", "title", "weight", "progress"
        )
    }
    ranked = figures.rank_by_impact(
        [
            figures.OpenStory(id=s.pk, points=s.points, epic_id=s.epic_id, links=tuple(links.own.get(s.pk, [])))
            for s in stories
        ],
        epic_links=links.via_epic,
        key_results=facts,
    )
    by_id = {s.pk: s for s in stories}
    return [RankedRow(by_id[r.story_id], r, r.reason(visible)) for r in ranked]


def velocity_inputs(team: Team) -> list[float]:
    """Completed points of the team's closed sprints, newest first (the last three count)."""
    closed = Sprint.objects.filter(team=team, state=SprintState.CLOSED).order_by("-end_date")[
        : figures.VELOCITY_SPRINTS
    ]
    return [s.completed_points or 0.0 for s in closed]


def sprint_length(team: Team) -> int:
    """The team's usual sprint length in days (its latest sprint's), two weeks by default."""
    latest = Sprint.objects.filter(team=team).order_by("-start_date").first()
    return (latest.end_date - latest.start_date).days + 1 if latest else SPRINT_DAYS_DEFAULT


def delivery_confidence(*, key_result: KeyResult, team: Team, today: date) -> figures.DeliveryConfidence | None:
    """Can the team deliver the KR's linked open work before its cycle ends, at its velocity?"""
    stories = list(open_stories(team=team).values_list("pk", "points", "epic_id"))
    links = served((pk, epic_id) for pk, _, epic_id in stories)
    cycle = key_result.objective.cycle
    return figures.delivery_confidence(
        completed_points=velocity_inputs(team),
        sprints_remaining=figures.sprints_left(today=today, cycle_end=cycle.end_date, sprint_days=sprint_length(team)),
        backlog=[(points, key_result.pk in links.key_result_ids(pk, epic_id)) for pk, points, epic_id in stories],
    )


def sprint_burndown(sprint: Sprint, *, today: date) -> list[figures.BurndownDay]:
    """The sprint's ideal and actual remaining points per day (its stories as they stand now), stepping
    up where stories entered it after it started (scope added)."""
    stories = sprint.stories.all()
    total = stories.aggregate(total=Sum("points"))["total"] or 0.0
    done = [
        (org_date(sprint.organisation, done_at), points or 0.0)
        for done_at, points in stories.filter(status=StoryStatus.DONE).values_list("done_at", "points")
        if done_at is not None  # always set for a done story (a constraint); for the type checker
    ]
    added = (
        [
            (org_date(sprint.organisation, added_at), points or 0.0)
            for added_at, points in stories.filter(sprint_added_at__gt=sprint.started_at).values_list(
                "sprint_added_at", "points"
            )
            if added_at is not None  # filtered on it above; for the type checker
        ]
        if sprint.started_at is not None
        else []
    )
    return figures.burndown(
        start=sprint.start_date, end=sprint.end_date, total_points=total, done=done, today=today, added=added
    )


# --- Pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkChip:
    key_result: KeyResult
    share: float
    via_epic: bool


@dataclass(frozen=True)
class StoryRow:
    story: Story
    chips: list[LinkChip]


@dataclass(frozen=True)
class BacklogFilters:
    status: str = "open"  # open, done or all
    sprint: str = ""  # a sprint id (parsed: okrapp.parsing.parse_id), "none" (unplanned) or "" (any)
    key_result: int | None = None
    not_linked: bool = False
    assignee: str = ""  # a membership id (parsed), "none" (nobody) or "" (anyone)


def filter_key_results(viewer: Viewer, team: Team, *, chosen: int | None = None) -> QuerySet[KeyResult]:
    """The KRs the team's backlog can be filtered by: those of its own objectives and those its stories
    or epics serve (and the one chosen), in active cycles, that the viewer may see. Not the company's
    every KR: a list a person can read, and a page that does not grow with the company."""
    related = (
        Q(objective__team=team)
        | Q(pk__in=StoryLink.objects.filter(story__team=team).values("key_result_id"))
        | Q(pk__in=EpicLink.objects.filter(epic__team=team).values("key_result_id"))
    )
    if chosen is not None:
        related |= Q(pk=chosen)
    return linkable_key_results(viewer).filter(related, objective__cycle__state=CycleState.ACTIVE)


def linkable_key_results(viewer: Viewer) -> QuerySet[KeyResult]:
    """The KRs work may be linked to by this viewer: visible, in a cycle that is not closed."""
    return (
        visible_key_results(viewer)
        .exclude(objective__cycle__state=CycleState.CLOSED)
        .select_related("objective__team")
        .order_by("objective__team__name", "objective__title", "position", "pk")
    )


BACKLOG_PAGE_SIZE = 50  # stories per page of the backlog


def _filtered_stories(viewer: Viewer, team: Team, filters: BacklogFilters) -> QuerySet[Story]:
    """The team's stories the filters keep, in backlog order; every filter is asked of the database (a
    team's backlog is hundreds of stories)."""
    stories = Story.objects.filter(team=team).select_related("epic", "sprint", "assignee__user").order_by("rank", "pk")
    if filters.assignee == "none":
        stories = stories.filter(assignee=None)
    elif filters.assignee:  # a person the viewer may not see finds nothing, as one who does not exist
        stories = stories.filter(assignee__in=visible_people(viewer).filter(pk=int(filters.assignee)).values("pk"))
    if filters.status == "open":
        stories = stories.exclude(status=StoryStatus.DONE)
    elif filters.status == "done":
        stories = stories.filter(status=StoryStatus.DONE)
    if filters.sprint == "none":
        stories = stories.filter(sprint=None)
    elif filters.sprint:
        stories = stories.filter(sprint_id=int(filters.sprint))
    if filters.key_result is not None or filters.not_linked:
        visible = visible_key_results(viewer)
        if filters.key_result is not None:
            visible = visible.filter(pk=filters.key_result)
        serving = Q(pk__in=StoryLink.objects.filter(key_result__in=visible.values("pk")).values("story_id")) | Q(
            epic_id__in=EpicLink.objects.filter(key_result__in=visible.values("pk")).values("epic_id")
        )
        stories = stories.exclude(serving) if filters.not_linked else stories.filter(serving)
    return stories


def _with_chips(viewer: Viewer, rows: list[Story]) -> list[StoryRow]:
    """Each story with the KRs it serves that the viewer may see (its own links and its epic's). Three
    queries: the links of these stories, then which of their KRs the viewer may see."""
    links = list(StoryLink.objects.filter(story__in=[s.pk for s in rows]).select_related("key_result"))
    epic_links = list(
        EpicLink.objects.filter(epic_id__in={s.epic_id for s in rows if s.epic_id}).select_related("key_result")
    )
    visible = visible_key_result_ids(viewer, {link.key_result_id for link in [*links, *epic_links]})
    own: dict[int, list[LinkChip]] = defaultdict(list)
    for link in links:
        if link.key_result_id in visible:
            kr = link.key_result
            share = figures.impact_share(
                share=link.impact_share, amount=link.impact_amount, start=kr.start_value, target=kr.target_value
            )
            own[link.story_id].append(LinkChip(kr, share, via_epic=False))
    via: dict[int, list[LinkChip]] = defaultdict(list)
    for epic_link in epic_links:
        if epic_link.key_result_id in visible:
            kr = epic_link.key_result
            share = figures.impact_share(
                share=epic_link.impact_share,
                amount=epic_link.impact_amount,
                start=kr.start_value,
                target=kr.target_value,
            )
            via[epic_link.epic_id].append(LinkChip(kr, share, via_epic=True))
    return [
        StoryRow(story, own.get(story.pk, []) + (via.get(story.epic_id, []) if story.epic_id else [])) for story in rows
    ]


def story_rows(
    viewer: Viewer, team: Team, filters: BacklogFilters, *, story_ids: Iterable[int] | None = None
) -> list[StoryRow]:
    """The team's stories the filters keep (or only ``story_ids``, to redraw rows), with the KRs each
    serves that the viewer may see. Four queries."""
    stories = _filtered_stories(viewer, team, filters)
    if story_ids is not None:
        stories = stories.filter(pk__in=list(story_ids))
    return _with_chips(viewer, list(stories))


@dataclass(frozen=True)
class StoryPage:
    rows: list[StoryRow]
    number: int  # 1-based
    pages: int
    total: int
    first: int  # the position of its first row in the filtered backlog (1-based)

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def story_page(viewer: Viewer, team: Team, filters: BacklogFilters, *, page: int = 1) -> StoryPage:
    """One page of the backlog (BACKLOG_PAGE_SIZE stories in backlog order) and where it sits: four
    queries, whatever the size of the backlog. A page past the end shows the last one."""
    stories = _filtered_stories(viewer, team, filters)
    total = stories.count()
    pages = max(1, -(-total // BACKLOG_PAGE_SIZE))
    number = min(max(1, page), pages)
    offset = (number - 1) * BACKLOG_PAGE_SIZE
    rows = list(stories[offset : offset + BACKLOG_PAGE_SIZE])
    return StoryPage(_with_chips(viewer, rows), number=number, pages=pages, total=total, first=offset + 1)


@dataclass(frozen=True)
class LinkedWork:
    """A KR's linked work as its page lists it: epics linked to it, and stories serving it (their own
    link or their epic's)."""

    epics: list[EpicLink]
    stories: list[tuple[Story, bool]]  # (story, through its epic)
    open_points: float
    done_points: float


def linked_work(key_result: KeyResult) -> LinkedWork:
    """Work items are not private: whoever sees the KR sees the work serving it. Three queries."""
    epic_links = list(EpicLink.objects.filter(key_result=key_result).select_related("epic__team"))
    epic_ids = [link.epic_id for link in epic_links]
    own_ids = set(StoryLink.objects.filter(key_result=key_result).values_list("story_id", flat=True))
    stories = list(
        Story.objects.filter(Q(pk__in=own_ids) | Q(epic_id__in=epic_ids))
        .select_related("team", "sprint")
        .order_by("status", "rank", "pk")
    )
    stories.sort(key=lambda s: (s.status == StoryStatus.DONE, s.rank, s.pk))  # open work first
    rows = [(s, s.pk not in own_ids) for s in stories]
    return LinkedWork(
        epics=epic_links,
        stories=rows,
        open_points=sum(s.points or 0 for s in stories if s.status != StoryStatus.DONE),
        done_points=sum(s.points or 0 for s in stories if s.status == StoryStatus.DONE),
    )


def team_delivery_confidence(
    *, team: Team, key_results: Iterable[KeyResult], today: date
) -> dict[int, figures.DeliveryConfidence]:
    """Delivery confidence of each of these KRs of the team's objectives (see ``delivery_confidences``)."""
    return delivery_confidences(key_results=[kr for kr in key_results if kr.objective.team_id == team.pk], today=today)


def delivery_confidences(*, key_results: Iterable[KeyResult], today: date) -> dict[int, figures.DeliveryConfidence]:
    """Delivery confidence of each KR for its objective's team, from one load of those teams' backlogs,
    velocities and sprint lengths (five queries whatever the number of KRs and teams). KRs without a
    figure (company level, no velocity, no linked open work) are left out. Each KR's objective (with
    its cycle) must be loaded."""
    krs = [kr for kr in key_results if kr.objective.team_id is not None]
    team_ids = {kr.objective.team_id for kr in krs if kr.objective.team_id is not None}
    if not team_ids:
        return {}
    stories: dict[int, list[tuple[int, float | None, int | None]]] = defaultdict(list)
    for pk, team_id, points, epic_id in (
        Story.objects.exclude(status=StoryStatus.DONE)
        .filter(team_id__in=team_ids)
        .order_by("team_id", "rank", "pk")
        .values_list("pk", "team_id", "points", "epic_id")
    ):
        stories[team_id].append((pk, points, epic_id))
    links = served((pk, epic_id) for rows in stories.values() for pk, _, epic_id in rows)
    completed: dict[int, list[float]] = defaultdict(list)
    for team_id, points in (
        Sprint.objects.filter(team_id__in=team_ids, state=SprintState.CLOSED)
        .order_by("team_id", "-end_date")
        .values_list("team_id", "completed_points")
    ):
        if len(completed[team_id]) < figures.VELOCITY_SPRINTS:
            completed[team_id].append(points or 0.0)
    lengths = {
        team_id: (end - start).days + 1
        for team_id, start, end in Sprint.objects.filter(team_id__in=team_ids)
        .order_by("team_id", "-start_date")
        .distinct("team_id")
        .values_list("team_id", "start_date", "end_date")
    }
    result = {}
    for kr in krs:
        team_id = kr.objective.team_id or 0  # never 0: KRs of the company level were left out above
        confidence = figures.delivery_confidence(
            completed_points=completed[team_id],
            sprints_remaining=figures.sprints_left(
                today=today,
                cycle_end=kr.objective.cycle.end_date,
                sprint_days=lengths.get(team_id, SPRINT_DAYS_DEFAULT),
            ),
            backlog=[(points, kr.pk in links.key_result_ids(pk, epic_id)) for pk, points, epic_id in stories[team_id]],
        )
        if confidence is not None:
            result[kr.pk] = confidence
    return result


def active_sprint(team: Team) -> Sprint | None:
    return Sprint.objects.filter(team=team, state=SprintState.ACTIVE).order_by("-start_date").first()


def focus_series(sprint: Sprint, key_results: Iterable[KeyResult]) -> dict[str, list[tuple[date, float]]]:
    """The daily progress of these focus KRs over the sprint's days, from the snapshots (one query)."""
    series: dict[str, list[tuple[date, float]]] = defaultdict(list)
    rows = (
        KeyResultSnapshot.objects.filter(
            key_result__in=list(key_results), day__gte=sprint.start_date, day__lte=sprint.end_date
        )
        .order_by("day")
        .values_list("key_result__title", "day", "progress")
    )
    for title, day, progress in rows:
        series[title].append((day, progress))
    return dict(series)
