"""The heatmap: the cascade (company, departments, teams → objectives → KRs) against the cycle's weeks.

A cell shows the worst status and the mean confidence of what it covers that week: past weeks from the
daily snapshots (the week's last snapshot), the current week from the live state. Private objectives
appear only as their own rows (to those who may see them), never in a team's aggregate. A fixed
number of queries whatever the size of the organisation; nothing is recomputed on the request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, NamedTuple

from checkins.weeks import drawn_weeks, week_of
from objectives import progress as numbers
from objectives.models import Cycle, KeyResult, KeyResultSnapshot, Objective, ObjectiveSnapshot, Visibility
from objectives.progress import Status
from objectives.visibility import visible_objectives
from okrapp.http import Viewer
from okrapp.models import Team


@dataclass(frozen=True)
class Cell:
    week: date
    status: Status | None
    confidence: float | None
    progress: float | None = None

    @property
    def empty(self) -> bool:
        return self.status is None


@dataclass
class Row:
    label: str
    cells: list[Cell]
    key_result: KeyResult | None = None
    objective: Objective | None = None
    children: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Heatmap:
    cycle: Cycle
    weeks: list[date]
    current_week: date
    groups: list[tuple[Team | None, Row]]
    inline: bool = True  # the objective rows are on the page (else a team's row opens them)


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# Up to this many objectives, the page shows every objective's row at once; past it, a team's row opens
# its objectives on demand (htmx), so a large company's page stays small: its rows are the teams.
INLINE_OBJECTIVES = 40


class _Past(NamedTuple):
    """A snapshot's figures, read as plain values (no model instances: a year of weeks is many rows)."""

    status: str
    confidence: float | None
    progress: float | None


_STATUS = {status.value: status for status in Status}  # a dict lookup: Status(value) is slow in a loop


def _weeks(cycle: Cycle, today: date) -> tuple[list[date], dict[date, date]]:
    weeks = drawn_weeks(cycle.start_date, cycle.end_date, today)
    return weeks, {w: min(w + timedelta(days=6), today) for w in weeks}


def _cells(
    live: Objective | KeyResult, past: dict[date, _Past], weeks: list[date], last_days: dict[date, date], current: date
) -> list[Cell]:
    """This week from the live row, past weeks from the snapshot of the week's last day."""
    cells = []
    for w in weeks:
        row: Any = live if w == current else past.get(last_days[w])
        cells.append(Cell(w, _STATUS[row.status], row.confidence, row.progress) if row else Cell(w, None, None))
    return cells


def _objective_snapshots(objective_ids: list[int], days: set[date]) -> dict[int, dict[date, _Past]]:
    found: dict[int, dict[date, _Past]] = defaultdict(dict)
    for objective_id, day, status, confidence, progress in ObjectiveSnapshot.objects.filter(
        objective__in=objective_ids, day__in=days
    ).values_list("objective_id", "day", "status", "confidence", "progress"):
        found[objective_id][day] = _Past(status, confidence, progress)
    return found


def _key_result_rows(
    krs: list[KeyResult], weeks: list[date], last_days: dict[date, date], current: date
) -> dict[int, list[Row]]:
    """Each objective's KR rows, for these KRs. One query (their snapshots)."""
    past: dict[int, dict[date, _Past]] = defaultdict(dict)
    for kr_id, day, status, confidence, progress in KeyResultSnapshot.objects.filter(
        key_result__in=[kr.pk for kr in krs], day__in=set(last_days.values())
    ).values_list("key_result_id", "day", "status", "confidence", "progress"):
        past[kr_id][day] = _Past(status, confidence, progress)
    rows: dict[int, list[Row]] = defaultdict(list)
    for kr in krs:
        rows[kr.objective_id].append(Row(kr.title, _cells(kr, past[kr.pk], weeks, last_days, current), key_result=kr))
    return rows


def key_result_rows(objective: Objective, *, today: date) -> list[Row]:
    """The rows of one objective's KRs (the caller has checked the viewer may see the objective). Two
    queries."""
    weeks, last_days = _weeks(objective.cycle, today)
    krs = list(KeyResult.objects.filter(objective=objective).order_by("position", "pk"))
    return _key_result_rows(krs, weeks, last_days, week_of(today))[objective.pk]


def heatmap(
    viewer: Viewer,
    cycle: Cycle,
    *,
    today: date,
    objective_rows: bool | None = None,
    key_result_rows_too: bool = False,
    team_id: int | Literal["all"] | None = "all",
) -> Heatmap:
    """The heatmap of ``cycle`` for ``viewer``. Team rows always; objective rows when ``objective_rows``
    (by default: when the cycle has at most INLINE_OBJECTIVES objectives the viewer may see); KR rows only
    with ``key_result_rows_too`` (else an objective's row opens them on demand). ``team_id`` keeps one
    group (None: the company's), for the rows a team's row opens. A fixed number of queries."""
    weeks, last_days = _weeks(cycle, today)
    current = week_of(today)
    objectives = list(visible_objectives(viewer).filter(cycle=cycle).select_related("team").order_by("title"))
    if team_id != "all":
        objectives = [o for o in objectives if o.team_id == team_id]
    inline = len(objectives) <= INLINE_OBJECTIVES if objective_rows is None else objective_rows
    past = _objective_snapshots([o.pk for o in objectives], set(last_days.values()))
    krs: dict[int, list[Row]] = defaultdict(list)
    if key_result_rows_too:
        all_krs = list(KeyResult.objects.filter(objective__in=[o.pk for o in objectives]).order_by("position", "pk"))
        krs = _key_result_rows(all_krs, weeks, last_days, current)
    rows_by_team: dict[int | None, list[Row]] = defaultdict(list)
    for o in objectives:
        cells = _cells(o, past[o.pk], weeks, last_days, current)
        rows_by_team[o.team_id].append(Row(o.title, cells, objective=o, children=krs[o.pk]))

    def group(label: str, rows: list[Row]) -> Row:
        counted = [r for r in rows if r.objective is not None and r.objective.visibility != Visibility.PRIVATE]
        cells = []
        for i, w in enumerate(weeks):
            members = [r.cells[i] for r in counted if not r.cells[i].empty]
            cells.append(
                Cell(
                    w,
                    numbers.worst_status(c.status for c in members if c.status is not None),
                    _mean([c.confidence for c in members]),
                )
            )
        return Row(label, cells, children=rows if inline else [])

    teams = {o.team.pk: o.team for o in objectives if o.team is not None}
    ordered = sorted(teams.values(), key=lambda t: _tree_key(t, teams))
    groups: list[tuple[Team | None, Row]] = []
    if rows_by_team.get(None):
        groups.append((None, group("Company", rows_by_team[None])))
    for team in ordered:
        groups.append((team, group(team.name, rows_by_team[team.pk])))
    return Heatmap(cycle=cycle, weeks=weeks, current_week=current, groups=groups, inline=inline)


def _tree_key(team: Team, teams: dict[int, Team]) -> tuple[str, ...]:
    """Departments before their teams: the path of names from the top (as far as loaded)."""
    path = [team.name]
    parent = teams.get(team.parent_id) if team.parent_id else None
    seen = {team.pk}
    while parent is not None and parent.pk not in seen:
        path.insert(0, parent.name)
        seen.add(parent.pk)
        parent = teams.get(parent.parent_id) if parent.parent_id else None
    return tuple(path)
