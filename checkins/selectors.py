"""Reads of the series: My week's rows, a KR's history, a team's week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from checkins.models import CheckIn, MetricReading
from objectives.models import CycleState, HealthMetric, KeyResult
from objectives.visibility import visible_key_results
from okrapp.http import Viewer


@dataclass
class WeekRow:
    """One KR on My week: its check-in this week (if any) and the latest before it (the prefill)."""

    key_result: KeyResult
    this_week: CheckIn | None
    previous: CheckIn | None

    @property
    def prefill(self) -> CheckIn | None:
        return self.this_week or self.previous


def my_week(viewer: Viewer, *, week: date) -> list[WeekRow]:
    """Every KR of an active cycle the viewer owns or contributes to, with this week's check-in and the
    one before (three queries)."""
    me = viewer.membership.pk
    key_results = list(
        visible_key_results(viewer)
        .filter(objective__cycle__state=CycleState.ACTIVE)
        .filter(Q(owner_id=me) | Q(contributors=me))
        .distinct()
        .select_related("objective__cycle", "objective__team", "owner__user")
        .order_by("objective__team__name", "objective__title", "position", "pk")
    )
    return _rows(key_results, week=week)


def _rows(key_results: list[KeyResult], *, week: date) -> list[WeekRow]:
    latest: dict[int, list[CheckIn]] = {}
    recent = CheckIn.objects.filter(
        key_result__in=[kr.pk for kr in key_results], week__lte=week, week__gte=week - timedelta(weeks=26)
    ).order_by("key_result_id", "-week")
    for checkin in recent:
        latest.setdefault(checkin.key_result_id, []).append(checkin)
    rows = []
    for kr in key_results:
        history = latest.get(kr.pk, [])
        this_week = history[0] if history and history[0].week == week else None
        previous = next((c for c in history if c.week < week), None)
        rows.append(WeekRow(key_result=kr, this_week=this_week, previous=previous))
    return rows


def week_row(key_result: KeyResult, *, week: date) -> WeekRow:
    return _rows([key_result], week=week)[0]


def key_result_history(key_result: KeyResult) -> list[CheckIn]:
    """The KR's check-ins in its cycle, newest week first, with their authors."""
    return list(CheckIn.objects.filter(key_result=key_result).select_related("author__user").order_by("-week"))


def metric_readings(metric: HealthMetric, *, limit: int = 26) -> list[MetricReading]:
    """A health metric's latest readings, newest first."""
    return list(
        MetricReading.objects.filter(metric=metric).select_related("author__user").order_by("-taken_on")[:limit]
    )
