"""A KR's series summarised: one pure rule for "what do its check-ins say", as of now or of a past day.

``checkins.services`` uses it after each write; ``objectives`` reaches it through the registered
history provider (snapshots of past days, reconcile) without importing this app.
"""

from __future__ import annotations

import bisect
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from checkins.models import CheckIn, MetricReading
from checkins.weeks import week_of
from objectives import progress as numbers
from objectives.models import KeyResult
from objectives.progress import Bound, Kind
from objectives.services.series import SeriesSummary


def end_of_day(day: date, time_zone: str) -> datetime:
    """23:59:59.999999 of the day, in the organisation's zone."""
    return datetime.combine(day, time.max).replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


def summarise(key_result: KeyResult, checkins: Sequence[CheckIn], *, as_of: date | None = None) -> SeriesSummary:
    """The summary of a KR's check-ins in its cycle, counting only weeks that began by ``as_of``:
    the latest (highest week) value and confidence, when it was made (never later than the end of its
    week, nor of ``as_of``), and for a guardrail how many kept the bound.

    ``key_result.objective`` (with its cycle and organisation) must be loaded."""
    cycle = key_result.objective.cycle
    time_zone = key_result.objective.organisation.time_zone
    first_week = week_of(cycle.start_date)
    counted = sorted(
        (c for c in checkins if first_week <= c.week <= cycle.end_date and (as_of is None or c.week <= as_of)),
        key=lambda c: c.week,
        reverse=True,
    )
    if not counted:
        return SeriesSummary(latest_value=None, latest_done=None, confidence=None, last_checkin_at=None)
    latest = counted[0]
    kept = total = 0
    if key_result.kind == Kind.GUARDRAIL and key_result.bound is not None and key_result.bound_keep:
        values = [c.value for c in counted if c.value is not None]
        total = len(values)
        kept = sum(
            numbers.guardrail_keeps(v, bound=key_result.bound, keep=Bound(key_result.bound_keep)) for v in values
        )
    made = min(latest.updated_at, end_of_day(latest.week + timedelta(days=6), time_zone))
    if as_of is not None:
        made = min(made, end_of_day(as_of, time_zone))
    return SeriesSummary(
        latest_value=latest.value,
        latest_done=latest.done,
        confidence=latest.confidence,
        last_checkin_at=made,
        guardrail_kept=kept,
        guardrail_total=total,
    )


class History:
    """Check-ins and readings of many KRs and metrics, loaded in two queries."""

    def __init__(self, key_results: Sequence[KeyResult], metric_ids: Sequence[int]) -> None:
        self._checkins: dict[int, list[CheckIn]] = defaultdict(list)
        checkins = CheckIn.objects.filter(key_result_id__in=[kr.pk for kr in key_results]).only(
            "key_result_id", "week", "value", "done", "confidence", "updated_at"
        )
        for checkin in checkins:
            self._checkins[checkin.key_result_id].append(checkin)
        self._readings: dict[int, tuple[list[date], list[float]]] = {}
        readings = (
            MetricReading.objects.filter(metric_id__in=list(metric_ids))
            .order_by("metric_id", "taken_on")
            .values_list("metric_id", "taken_on", "value")
        )
        for metric_id, taken_on, value in readings:
            days, values = self._readings.setdefault(metric_id, ([], []))
            days.append(taken_on)
            values.append(value)

    def summary_as_of(self, key_result: KeyResult, day: date | None) -> SeriesSummary:
        return summarise(key_result, self._checkins.get(key_result.pk, []), as_of=day)

    def reading_as_of(self, metric_id: int, day: date) -> float | None:
        days, values = self._readings.get(metric_id, ([], []))
        index = bisect.bisect_right(days, day)
        return values[index - 1] if index else None
