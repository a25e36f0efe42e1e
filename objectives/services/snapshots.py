"""Daily snapshots of every open KR's and objective's state, which trend charts and heatmaps read.

A snapshot of day D is the state at the end of D in the organisation's time zone. Each run writes, per
open cycle, every day from its latest snapshot (rewritten: it may have been taken before the day
ended) through today, so a day the job missed is back-filled by the next run. A past day's state is
rebuilt from the series (check-ins of weeks begun by D, readings taken by D) and computed by the same
engine as the live numbers, as of D. Idempotent: a second run rewrites the same values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max

from objectives.models import (
    CycleState,
    KeyResult,
    KeyResultSnapshot,
    Objective,
    ObjectiveSnapshot,
)
from objectives.progress import Kind
from objectives.services.recompute import engine_compute, load_graph
from objectives.services.series import apply_summary, series_history
from okrapp.models import Organisation
from okrapp.timeutil import org_today

MAX_BACKFILL_DAYS = 400  # a year's cycle, with room; older gaps stay gaps
BATCH = 2000

# Apps built on objectives (the backlog's coverage) take their own daily snapshots in the same job,
# without objectives importing them: each takes (organisation, today) and returns the rows written.
SNAPSHOT_EXTRAS: list[Callable[[Organisation, date], int]] = []


def register_snapshot_extra(taker: Callable[[Organisation, date], int]) -> None:
    if taker not in SNAPSHOT_EXTRAS:
        SNAPSHOT_EXTRAS.append(taker)


@dataclass
class SnapshotResult:
    rows: int = 0
    first_day: date | None = None
    last_day: date | None = None

    def add(self, other: SnapshotResult) -> None:
        self.rows += other.rows
        days = [d for d in (self.first_day, other.first_day) if d]
        self.first_day = min(days) if days else None
        days = [d for d in (self.last_day, other.last_day) if d]
        self.last_day = max(days) if days else None

    def describe(self) -> str:
        if not self.rows:
            return "nothing to snapshot"
        span = (
            f"{self.first_day:%-d %b}"
            if self.first_day == self.last_day
            else f"{self.first_day:%-d %b} – {self.last_day:%-d %b}"
        )
        return f"{self.rows} snapshots for {span}"


def snapshots_take(*, today: date | None = None, organisation: Organisation | None = None) -> SnapshotResult:
    """Snapshot every organisation (or one), each as of its own today unless ``today`` is given."""
    result = SnapshotResult()
    organisations = [organisation] if organisation else list(Organisation.objects.all())
    for org in organisations:
        day = today or org_today(org)
        result.add(_snapshot_organisation(org, today=day))
        for taker in SNAPSHOT_EXTRAS:
            rows = taker(org, day)
            result.add(SnapshotResult(rows=rows, first_day=day, last_day=day) if rows else SnapshotResult())
    return result


def _days_to_take(
    graph_cycles: dict[int, tuple[date, date]], last_by_cycle: dict[int, date], today: date
) -> dict[date, set[int]]:
    """Which cycles each day to write covers: from the cycle's latest snapshot (or its start) to today."""
    floor = today - timedelta(days=MAX_BACKFILL_DAYS)
    days: dict[date, set[int]] = {}
    for cycle_id, (start, end) in graph_cycles.items():
        first = max(last_by_cycle.get(cycle_id, start), start, floor)
        day = first
        while day <= min(today, end):
            days.setdefault(day, set()).add(cycle_id)
            day += timedelta(days=1)
    return days


def _snapshot_organisation(organisation: Organisation, *, today: date) -> SnapshotResult:
    graph = load_graph(Objective.objects.filter(organisation=organisation), lock=False)
    if not graph.objectives:
        return SnapshotResult()
    cycles = {o.cycle_id: (o.cycle.start_date, o.cycle.end_date) for o in graph.objectives.values()}
    last_by_cycle = dict(
        ObjectiveSnapshot.objects.filter(organisation=organisation, objective__cycle__in=cycles)
        .exclude(objective__cycle__state=CycleState.CLOSED)
        .values_list("objective__cycle")
        .annotate(last=Max("day"))
    )
    days = _days_to_take(cycles, last_by_cycle, today)
    if not days:
        return SnapshotResult()
    history = series_history(list(graph.key_results.values()), list(graph.metrics))
    checked_in = {kr.pk for kr in graph.key_results.values() if kr.last_checkin_at is not None}
    kr_rows: list[KeyResultSnapshot] = []
    objective_rows: list[ObjectiveSnapshot] = []
    for day in sorted(days):
        as_of: dict[int, KeyResult] = {}
        for kr_id, kr in graph.key_results.items():
            state = copy.copy(kr)
            # A KR with check-ins is rebuilt as of the day; one without any keeps its defined values.
            if history is not None and kr_id in checked_in:
                apply_summary(state, history.summary_as_of(kr, day))
            as_of[kr_id] = state
        readings = {m: history.reading_as_of(m, day) for m in graph.metrics} if history is not None else None
        computed = engine_compute(graph, today_of={organisation.pk: day}, key_results=as_of, latest_readings=readings)
        for objective_id, result in computed.objectives.items():
            objective = graph.objectives[objective_id]
            if objective.cycle_id not in days[day]:
                continue
            objective_rows.append(
                ObjectiveSnapshot(
                    organisation_id=organisation.pk,
                    objective_id=objective_id,
                    day=day,
                    progress=result.progress,
                    confidence=result.confidence,
                    status=result.status.value,
                )
            )
            for kr_id in graph.krs_of.get(objective_id, []):
                state, (progress, status) = as_of[kr_id], computed.key_results[kr_id]
                kr_rows.append(
                    KeyResultSnapshot(
                        organisation_id=organisation.pk,
                        key_result_id=kr_id,
                        day=day,
                        value=None if state.kind == Kind.MILESTONE else state.current_value,
                        progress=progress,
                        confidence=state.confidence,
                        status=status.value,
                    )
                )
    KeyResultSnapshot.objects.bulk_create(
        kr_rows,
        update_conflicts=True,
        unique_fields=["key_result", "day"],
        update_fields=["value", "progress", "confidence", "status"],
        batch_size=BATCH,
    )
    ObjectiveSnapshot.objects.bulk_create(
        objective_rows,
        update_conflicts=True,
        unique_fields=["objective", "day"],
        update_fields=["progress", "confidence", "status"],
        batch_size=BATCH,
    )
    return SnapshotResult(rows=len(kr_rows) + len(objective_rows), first_day=min(days), last_day=max(days))


def last_snapshot_day() -> date | None:
    return ObjectiveSnapshot.objects.aggregate(last=Max("day"))["last"]
