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
from typing import Any

from checkins.weeks import week_of, weeks_between
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


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def heatmap(viewer: Viewer, cycle: Cycle, *, today: date) -> Heatmap:
    weeks = weeks_between(cycle.start_date, min(cycle.end_date, today)) if today >= cycle.start_date else []
    current = week_of(today)
    objectives = list(visible_objectives(viewer).filter(cycle=cycle).select_related("team").order_by("title"))
    krs: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in KeyResult.objects.filter(objective__in=[o.pk for o in objectives]).order_by("position", "pk"):
        krs[kr.objective_id].append(kr)
    last_days = {w: min(w + timedelta(days=6), today) for w in weeks}
    wanted_days = set(last_days.values())
    objective_snaps = {
        (s.objective_id, s.day): s
        for s in ObjectiveSnapshot.objects.filter(objective__in=[o.pk for o in objectives], day__in=wanted_days)
    }
    kr_snaps = {
        (s.key_result_id, s.day): s
        for s in KeyResultSnapshot.objects.filter(
            key_result__in=[kr.pk for rows in krs.values() for kr in rows], day__in=wanted_days
        )
    }

    def cells_of(live: Objective | KeyResult, snaps: dict[tuple[int, date], Any], key: int) -> list[Cell]:
        """This week from the live row, past weeks from the snapshot of the week's last day."""
        cells = []
        for w in weeks:
            row = live if w == current else snaps.get((key, last_days[w]))
            cells.append(Cell(w, Status(row.status), row.confidence, row.progress) if row else Cell(w, None, None))
        return cells

    rows_by_team: dict[int | None, list[Row]] = defaultdict(list)
    for o in objectives:
        children = [Row(kr.title, cells_of(kr, kr_snaps, kr.pk), key_result=kr) for kr in krs[o.pk]]
        rows_by_team[o.team_id].append(Row(o.title, cells_of(o, objective_snaps, o.pk), objective=o, children=children))

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
        return Row(label, cells, children=rows)

    teams = {o.team.pk: o.team for o in objectives if o.team is not None}
    ordered = sorted(teams.values(), key=lambda t: _tree_key(t, teams))
    groups: list[tuple[Team | None, Row]] = []
    if rows_by_team.get(None):
        groups.append((None, group("Company", rows_by_team[None])))
    for team in ordered:
        groups.append((team, group(team.name, rows_by_team[team.pk])))
    return Heatmap(cycle=cycle, weeks=weeks, current_week=current, groups=groups)


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
