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
    recent = (
        CheckIn.objects.filter(
            key_result__in=[kr.pk for kr in key_results], week__lte=week, week__gte=week - timedelta(weeks=26)
        )
        .select_related("author__user")
        .order_by("key_result_id", "-week")
    )
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


@dataclass
class MeetingRow:
    """One KR in a team's check-in meeting: this week against last week."""

    key_result: KeyResult
    this_week: CheckIn | None
    last_week: CheckIn | None

    @property
    def trend(self) -> str:
        """'up', 'down' or 'same' for confidence now against last week; '' when either is missing."""
        if not (self.this_week and self.last_week):
            return ""
        now, before = self.this_week.confidence, self.last_week.confidence
        if now is None or before is None:
            return ""
        return "up" if now > before else "down" if now < before else "same"


def team_week(viewer: Viewer, *, team_id: int, week: date) -> list[MeetingRow]:
    """The KRs of a team's objectives in active cycles that the viewer may see, with this week's and
    last week's check-ins (three queries)."""
    key_results = list(
        visible_key_results(viewer)
        .filter(objective__team_id=team_id, objective__cycle__state=CycleState.ACTIVE, progress_from_aligned=False)
        .select_related("objective__cycle", "owner__user")
        .order_by("objective__title", "position", "pk")
    )
    checkins = CheckIn.objects.filter(
        key_result__in=[kr.pk for kr in key_results], week__in=[week, week - timedelta(weeks=1)]
    ).select_related("author__user")
    by_key = {(c.key_result_id, c.week): c for c in checkins}
    return [
        MeetingRow(kr, by_key.get((kr.pk, week)), by_key.get((kr.pk, week - timedelta(weeks=1)))) for kr in key_results
    ]


@dataclass(frozen=True)
class Compliance:
    """How many of the KRs expected to check in did so this week (share in [0, 1], None without KRs)."""

    checked_in: int
    total: int

    @property
    def share(self) -> float | None:
        return self.checked_in / self.total if self.total else None


def compliance_by_team(viewer: Viewer, *, week: date) -> tuple[list[tuple[object, Compliance]], Compliance]:
    """Check-in compliance this week per team and for the company, over the KRs of active cycles that
    are not private (so no figure reveals a private objective). Two queries."""
    from django.db.models import Count, Exists, OuterRef

    from objectives.models import Visibility
    from okrapp.models import Team

    base = (
        visible_key_results(viewer)
        .filter(objective__cycle__state=CycleState.ACTIVE, progress_from_aligned=False)  # nobody checks in on those
        .exclude(objective__visibility=Visibility.PRIVATE)
    )
    rows = (
        base.annotate(checked_in=Exists(CheckIn.objects.filter(key_result=OuterRef("pk"), week=week)))
        .values("objective__team_id", "checked_in")
        .annotate(n=Count("pk", distinct=True))
    )
    per_team: dict[int | None, list[int]] = {}
    for row in rows:
        counts = per_team.setdefault(row["objective__team_id"], [0, 0])
        counts[1] += row["n"]
        if row["checked_in"]:
            counts[0] += row["n"]
    teams = {t.pk: t for t in Team.objects.filter(pk__in=[k for k in per_team if k is not None])}
    result: list[tuple[object, Compliance]] = []
    for team_id, (done, total) in sorted(
        per_team.items(), key=lambda item: (item[0] is not None, teams[item[0]].name if item[0] else "")
    ):
        result.append((teams.get(team_id) if team_id else None, Compliance(done, total)))
    company = Compliance(sum(c[0] for c in per_team.values()), sum(c[1] for c in per_team.values()))
    return result, company


def contributed_ids(viewer: Viewer) -> set[int]:
    """The KRs the viewer contributes to (one query)."""
    through = KeyResult.contributors.through
    return set(through.objects.filter(membership_id=viewer.membership.pk).values_list("keyresult_id", flat=True))
