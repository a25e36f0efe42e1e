"""A year of weekly snapshots for the benchmark data: what a year of the daily snapshot job leaves for
the heatmap, the trend lines and the "since last week" figures (the snapshot of each past week's last
day, which is what those pages read).

Each snapshot is computed from the KR's check-ins up to that day with the pure functions of
``objectives.progress`` (progress, expected progress, the confidence and progress bands), so the
heatmap shows the states the engine would have stored; KRs that take their progress from aligned
objectives and the objectives themselves take the weight-weighted means of that week.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from objectives.progress import (
    Kind,
    Status,
    confidence_band,
    expected_progress,
    guardrail_keeps,
    guardrail_progress,
    metric_progress,
    milestone_progress,
    objective_progress,
    progress_band,
    worse,
)

BATCH = 5000


def _kr_progress(kr: Any, rows: Sequence[Any]) -> float:
    latest = rows[-1]
    if kr.kind == Kind.METRIC:
        return metric_progress(start=kr.start_value, target=kr.target_value, current=latest.value)
    if kr.kind == Kind.GUARDRAIL:
        kept = sum(guardrail_keeps(r.value, bound=kr.bound, keep=kr.bound_keep) for r in rows)
        return guardrail_progress(kept=kept, total=len(rows))
    return milestone_progress(done=bool(latest.done))


def _status(progress: float, expected: float, confidence: float | None) -> Status:
    return worse(confidence_band(confidence), progress_band(progress=progress, expected=expected))


def weekly_snapshots(
    *, org: Any, start: date, end: date, today: date, key_results: Sequence[Any], series: dict[int, list[Any]]
) -> int:
    """Write one KR and one objective snapshot per past week of the cycle; returns the rows written."""
    from objectives.models import KeyResultSnapshot, ObjectiveSnapshot

    days = []
    week = start
    while week + timedelta(days=6) < today:
        days.append(week + timedelta(days=6))
        week += timedelta(weeks=1)
    by_objective: dict[int, list[Any]] = {}
    for kr in key_results:
        by_objective.setdefault(kr.objective_id, []).append(kr)

    kr_rows: list[KeyResultSnapshot] = []
    objective_rows: list[ObjectiveSnapshot] = []
    for day in days:
        expected = expected_progress(start=start, end=end, on=day)
        state: dict[int, tuple[float, float | None]] = {}  # KR → (progress, confidence) on that day
        for kr in key_results:
            rows = series.get(kr.pk, [])[: (day - start).days // 7 + 1]  # the series runs week by week from start
            if not rows:
                continue
            progress = _kr_progress(kr, rows)
            state[kr.pk] = (progress, rows[-1].confidence)
            kr_rows.append(
                KeyResultSnapshot(
                    organisation=org,
                    key_result_id=kr.pk,
                    day=day,
                    value=rows[-1].value,
                    progress=progress,
                    confidence=rows[-1].confidence,
                    status=_status(progress, expected, rows[-1].confidence),
                )
            )
        for objective_id, krs in by_objective.items():
            known = [(state[kr.pk], kr.weight) for kr in krs if kr.pk in state]
            if not known:
                continue
            rolled_up = objective_progress((p, w) for (p, _c), w in known)
            confidences = [c for (_p, c), _w in known if c is not None]
            confidence = sum(confidences) / len(confidences) if confidences else None
            objective_rows.append(
                ObjectiveSnapshot(
                    organisation=org,
                    objective_id=objective_id,
                    day=day,
                    progress=rolled_up,
                    confidence=confidence,
                    status=_status(rolled_up or 0.0, expected, confidence),
                )
            )
    KeyResultSnapshot.objects.bulk_create(kr_rows, batch_size=BATCH)
    ObjectiveSnapshot.objects.bulk_create(objective_rows, batch_size=BATCH)
    return len(kr_rows) + len(objective_rows)
