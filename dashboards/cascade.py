"""The company cascade: company → departments → teams, each with its objectives of a cycle, filtered by
team (a department and everything below it), status and value dimension, with the header figures and
their change since last week.

Reads stored computed values and snapshots only; a fixed number of queries whatever the size of the
organisation. Private objectives show as their own rows to those who may see them and are left out of
every roll-up and figure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum

from backlog.models import CoverageSnapshot
from backlog.selectors import coverage_counts, open_stories
from checkins.models import CheckIn
from checkins.weeks import week_of
from dashboards import figures
from objectives import progress as numbers
from objectives.models import Cycle, CycleState, KeyResult, KeyResultSnapshot, Objective, ValueDimension, Visibility
from objectives.progress import Status
from objectives.visibility import teams_below, visible_objectives
from okrapp.http import Viewer
from okrapp.models import Team

COMPANY = "company"
# The ambition filter's values; a KR's ambition is objectives.progress.is_stretch (its own mark or its objective's).
STRETCH, COMMITTED = "stretch", "committed"
# A node lists its objectives' statuses in this order: what needs attention first.
SEVERITY = (Status.OFF_TRACK, Status.AT_RISK, Status.STALE, Status.NOT_STARTED, Status.ON_TRACK, Status.DONE)


@dataclass(frozen=True)
class Filters:
    """What the URL asks for. ``team`` is a team id or ``COMPANY`` (the company level only)."""

    team: int | str | None = None
    status: Status | None = None
    dimension: int | None = None
    ambition: str | None = None  # STRETCH or COMMITTED: the KRs of that ambition and their objectives
    open: frozenset[str] = frozenset()  # "t3" a team's objectives, "c" the company's, "o12" an objective's KRs

    @property
    def narrowing(self) -> bool:
        """A status, dimension or ambition filter opens every node with a match, so the matches show at once."""
        return self.status is not None or self.dimension is not None or self.ambition is not None


@dataclass
class ObjectiveLine:
    objective: Objective
    key_results: list[KeyResult]  # loaded for an open line only
    open: bool
    dimension: ValueDimension | None
    toggle: str  # the ``open`` parameter that flips this line
    kr_count: int = 0


@dataclass(frozen=True)
class KrFacts:
    """What the figures and filters read of a KR: plain values, not a model (a company has thousands)."""

    pk: int
    status: str
    confidence: float | None
    progress_from_aligned: bool
    stretch: bool  # its effective ambition (its own mark or its objective's)


@dataclass
class Node:
    """The company level (``team`` None) or a team, with its own objectives of the cycle."""

    key: str
    team: Team | None
    depth: int
    lines: list[ObjectiveLine]
    open: bool
    toggle: str = ""
    progress: float | None = None
    confidence: float | None = None
    statuses: list[tuple[Status, int]] | None = None  # how many objectives in each status, worst first
    shared_count: int = 0


@dataclass(frozen=True)
class Cascade:
    cycle: Cycle
    expected: float
    nodes: list[Node]  # in tree order, each with its depth
    figures: figures.HeaderFigures
    dimensions: list[ValueDimension]
    teams: list[tuple[Team, int]]  # the team filter's choices, with their depth
    filters: Filters
    week_ago: date


def cascade(viewer: Viewer, cycle: Cycle, *, teams: list[Team], filters: Filters, today: date) -> Cascade:
    """``teams``: those the viewer may browse (``objectives.selectors.scope_teams``)."""
    org_id = viewer.organisation_id
    all_teams = teams
    shown_team_ids = {t.pk for t in all_teams}
    if isinstance(filters.team, int):
        shown_team_ids &= teams_below(org_id, {filters.team})
    show_company = filters.team in (None, COMPANY)
    if filters.team == COMPANY:
        shown_team_ids = set()

    objectives = [
        o
        for o in visible_objectives(viewer).filter(cycle=cycle).select_related("owner__user", "team").order_by("title")
        if (o.team_id is None and show_company) or o.team_id in shown_team_ids
    ]
    dimensions = list(ValueDimension.objects.filter(organisation_id=org_id))
    dimension_of = objective_dimensions(viewer, cycle, [o.pk for o in objectives], {d.pk: d for d in dimensions})
    stretch_of = {o.pk: o.stretch for o in objectives}
    krs: dict[int, list[KrFacts]] = defaultdict(list)
    for pk, objective_id, status, confidence, aligned, stretch in (
        KeyResult.objects.filter(objective__in=list(stretch_of))
        .order_by("position", "pk")
        .values_list("pk", "objective_id", "status", "confidence", "progress_from_aligned", "stretch")
    ):
        reads_as_stretch = numbers.is_stretch(key_result_stretch=stretch, objective_stretch=stretch_of[objective_id])
        krs[objective_id].append(KrFacts(pk, status, confidence, aligned, reads_as_stretch))

    # The figures follow the team, dimension and ambition filters; the status filter only narrows the tree.
    in_scope = [o for o in objectives if filters.dimension is None or _serves(o, dimension_of, filters.dimension)]
    if filters.ambition is not None:
        in_scope = _of_ambition(in_scope, krs, stretch=filters.ambition == STRETCH)
    shown = [o for o in in_scope if filters.status is None or o.status == filters.status]
    # Only the open lines list their KRs: those are loaded in full (one query), the rest are counted.
    opened = {o.pk for o in shown if f"o{o.pk}" in filters.open}
    kept = {f.pk for pk in opened for f in krs[pk]}
    full: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in (
        KeyResult.objects.filter(pk__in=kept).select_related("owner__user", "objective").order_by("position", "pk")
        if kept
        else []
    ):
        full[kr.objective_id].append(kr)
    lines_by_team: dict[int | None, list[ObjectiveLine]] = defaultdict(list)
    for o in shown:
        key = f"o{o.pk}"
        lines_by_team[o.team_id].append(
            ObjectiveLine(
                o,
                full[o.pk],
                open=o.pk in opened,
                dimension=dimension_of.get(o.pk),
                toggle=toggled(filters.open, key, default_open=False),
                kr_count=len(krs[o.pk]),
            )
        )

    nodes = _tree(all_teams, shown_team_ids, lines_by_team, show_company=show_company, filters=filters)
    return Cascade(
        cycle=cycle,
        expected=numbers.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today),
        nodes=nodes,
        figures=_header_figures(viewer, cycle, in_scope, krs, shown_team_ids, today=today),
        dimensions=dimensions,
        teams=_team_choices(all_teams),
        filters=filters,
        week_ago=today - timedelta(days=7),
    )


def _of_ambition(objectives: list[Objective], krs: dict[int, list[KrFacts]], *, stretch: bool) -> list[Objective]:
    """The objectives with a KR of that ambition (an objective without KRs: by its own mark), each keeping
    only those KRs in ``krs`` (changed in place), so rows and figures count the same KRs."""
    kept = []
    for o in objectives:
        matching = [kr for kr in krs[o.pk] if kr.stretch == stretch]
        if matching or (not krs[o.pk] and o.stretch == stretch):
            krs[o.pk] = matching
            kept.append(o)
    return kept


def _serves(o: Objective, dimension_of: dict[int, ValueDimension | None], dimension_id: int) -> bool:
    dimension = dimension_of.get(o.pk)
    return dimension is not None and dimension.pk == dimension_id


def toggled(tokens: frozenset[str], key: str, *, default_open: bool) -> str:
    """The ``open`` parameter after flipping ``key``: a node differing from its default carries a token
    (``key`` to open one that starts closed, ``key!`` to close one that starts open)."""
    now_open = (f"{key}!" not in tokens) if default_open else (key in tokens)
    rest = set(tokens) - {key, f"{key}!"}
    if (not now_open) != default_open:
        rest.add(key if not now_open else f"{key}!")
    return ",".join(sorted(rest))


def objective_dimensions(
    viewer: Viewer, cycle: Cycle, objective_ids: list[int], dimensions: dict[int, ValueDimension]
) -> dict[int, ValueDimension | None]:
    """The value dimension each objective serves: its own, else the nearest one up its chain of parents
    (within the objectives the viewer may see of this cycle and the cycle above it). One query."""
    chain = {
        pk: (parent_id, dimension_id)
        for pk, parent_id, dimension_id in visible_objectives(viewer)
        .filter(cycle_id__in=[c for c in (cycle.pk, cycle.parent_id) if c])
        .values_list("pk", "parent_id", "value_dimension_id")
    }
    found: dict[int, ValueDimension | None] = {}
    for objective_id in objective_ids:
        pk: int | None = objective_id
        seen: set[int] = set()
        dimension = None
        while pk is not None and pk in chain and pk not in seen:
            seen.add(pk)
            parent_id, dimension_id = chain[pk]
            if dimension_id is not None:
                dimension = dimensions.get(dimension_id)
                break
            pk = parent_id
        found[objective_id] = dimension
    return found


@dataclass(frozen=True)
class MatrixRow:
    team: Team | None  # None: the company level
    depth: int
    counts: list[tuple[ValueDimension, int]]  # per dimension, in the dimensions' order
    unassigned: int  # objectives serving no dimension


@dataclass(frozen=True)
class DimensionMatrix:
    cycle: Cycle
    dimensions: list[ValueDimension]
    rows: list[MatrixRow]
    totals: list[tuple[ValueDimension, int]]
    unfed: list[ValueDimension]


def dimension_matrix(viewer: Viewer, cycle: Cycle, *, teams: list[Team]) -> DimensionMatrix:
    """How many objectives of the cycle each team (and the company level) has serving each value
    dimension, directly or through the objective it aligns to; private objectives are not counted.
    Three queries whatever the size."""
    dimensions = list(ValueDimension.objects.filter(organisation_id=viewer.organisation_id))
    shown = {t.pk for t in teams}
    objectives = [
        (pk, team_id)
        for pk, team_id in visible_objectives(viewer)
        .filter(cycle=cycle)
        .exclude(visibility=Visibility.PRIVATE)
        .values_list("pk", "team_id")
        if team_id is None or team_id in shown
    ]
    dimension_of = objective_dimensions(viewer, cycle, [pk for pk, _ in objectives], {d.pk: d for d in dimensions})
    counts: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for pk, team_id in objectives:
        dimension = dimension_of.get(pk)
        counts[(team_id, dimension.pk if dimension else None)] += 1
    rows = [MatrixRow(None, 0, [(d, counts[(None, d.pk)]) for d in dimensions], counts[(None, None)])]
    rows += [
        MatrixRow(t, depth + 1, [(d, counts[(t.pk, d.pk)]) for d in dimensions], counts[(t.pk, None)])
        for t, depth in _team_choices(teams)
    ]
    totals = [(d, sum(row.counts[i][1] for row in rows)) for i, d in enumerate(dimensions)]
    return DimensionMatrix(
        cycle=cycle, dimensions=dimensions, rows=rows, totals=totals, unfed=[d for d, total in totals if total == 0]
    )


def _team_choices(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams in tree order (departments before their teams) with their depth, for the team filter."""
    ids = {t.pk for t in teams}
    children: dict[int | None, list[Team]] = defaultdict(list)
    for t in teams:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    ordered: list[tuple[Team, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for t in children.get(parent, []):
            ordered.append((t, depth))
            walk(t.pk, depth + 1)

    walk(None, 0)
    return ordered


def _rollup(node: Node) -> None:
    """A node's figures from its own objectives that are not private (so no figure reveals them)."""
    shared = [line.objective for line in node.lines if line.objective.visibility != Visibility.PRIVATE]
    node.shared_count = len(shared)
    node.progress = numbers.rollup_progress(o.progress for o in shared)
    node.confidence = _mean([o.confidence for o in shared])
    counts = Counter(Status(o.status) for o in shared)
    node.statuses = [(status, counts[status]) for status in SEVERITY if counts[status]]


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _tree(
    teams: list[Team],
    shown: set[int],
    lines: dict[int | None, list[ObjectiveLine]],
    *,
    show_company: bool,
    filters: Filters,
) -> list[Node]:
    """The nodes in tree order. A filtered team is opened; with a status or dimension filter, every node
    with a match is opened and teams without one (and nothing below with one) are left out."""
    nodes: list[Node] = []

    def node(key: str, team: Team | None, depth: int, default_open: bool) -> Node:
        made = Node(
            key=key,
            team=team,
            depth=depth,
            lines=lines.get(team.pk if team else None, []),
            open=(f"{key}!" not in filters.open) if default_open else (key in filters.open),
            toggle=toggled(filters.open, key, default_open=default_open),
        )
        _rollup(made)
        return made

    if show_company:
        company = node("c", None, 0, default_open=True)  # the company level starts open
        if company.lines or not filters.narrowing:
            nodes.append(company)
    for team, depth in _team_choices([t for t in teams if t.pk in shown]):
        has_lines = bool(lines.get(team.pk))
        nodes.append(node(f"t{team.pk}", team, depth, team.pk == filters.team or (filters.narrowing and has_lines)))
    if filters.narrowing:
        nodes = _prune(nodes)
    return nodes


def _prune(nodes: list[Node]) -> list[Node]:
    """Keep nodes with matching objectives and the teams above them (for context)."""
    keep: list[Node] = []
    for i, node in enumerate(nodes):
        if node.lines:
            keep.append(node)
            continue
        below = []
        for later in nodes[i + 1 :]:
            if later.depth <= node.depth:
                break
            below.append(later)
        if node.team is not None and any(n.lines for n in below):
            keep.append(node)
    return keep


def _header_figures(
    viewer: Viewer,
    cycle: Cycle,
    objectives: list[Objective],
    krs: dict[int, list[KrFacts]],
    team_ids: set[int],
    *,
    today: date,
) -> figures.HeaderFigures:
    """The figures over the KRs of the shown objectives that are not private; check-in compliance over
    those people check in on (not the ones whose progress comes from aligned objectives); coverage over
    the open stories of the shown teams. Four queries."""
    shared = [kr for o in objectives if o.visibility != Visibility.PRIVATE for kr in krs[o.pk]]
    week_ago = today - timedelta(days=7)
    snapshots = KeyResultSnapshot.objects.filter(key_result__in=[kr.pk for kr in shared], day=week_ago).values_list(
        "status", "confidence"
    )
    this_week, last_week = week_of(today), week_of(today) - timedelta(weeks=1)
    # Nobody checks in on KRs whose progress comes from aligned objectives, nor outside an active cycle.
    checkable = [kr for kr in shared if not kr.progress_from_aligned] if cycle.state == CycleState.ACTIVE else []
    checked: dict[date, set[int]] = defaultdict(set)
    wanted = {kr.pk for kr in checkable}
    # The organisation's check-ins of the two weeks (its (organisation, week) index), kept if counted.
    for kr_id, week in CheckIn.objects.filter(
        organisation_id=viewer.organisation_id, week__in=[this_week, last_week]
    ).values_list("key_result_id", "week"):
        if kr_id in wanted:
            checked[week].add(kr_id)
    coverage = coverage_counts(open_stories().filter(organisation_id=viewer.organisation_id, team__in=team_ids))
    before = CoverageSnapshot.objects.filter(
        organisation_id=viewer.organisation_id, team__in=team_ids, day=week_ago
    ).aggregate(stories=Sum("stories"), linked=Sum("linked"))
    return figures.header_figures(
        now=[figures.KeyResultState(Status(kr.status), kr.confidence) for kr in shared],
        week_ago=[figures.KeyResultState(Status(status), confidence) for status, confidence in snapshots],
        checked_in=(len(checked[this_week]), len(checkable)),
        checked_in_last_week=(len(checked[last_week]), len(checkable)),
        coverage=coverage,
        coverage_week_ago=(before["linked"], before["stories"]) if before["stories"] else None,
    )
