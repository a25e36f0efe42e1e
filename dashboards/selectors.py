"""Reads that combine apps, through their selectors. Nothing here writes, and nothing imports this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from backlog import charts as backlog_charts
from backlog import figures as backlog_figures
from backlog import selectors as backlog
from checkins import selectors as checkins
from checkins.weeks import week_of
from objectives import progress as numbers
from objectives.access_health import health_metric_visibility
from objectives.models import CycleState, HealthMetric, KeyResult, Objective, Visibility
from objectives.visibility import visible_objectives
from okrapp.http import Viewer
from okrapp.models import Team


@dataclass(frozen=True)
class KeyResultLine:
    key_result: KeyResult
    delivery: backlog_figures.DeliveryConfidence | None


@dataclass(frozen=True)
class ObjectiveCard:
    objective: Objective
    expected: float
    lines: list[KeyResultLine]


@dataclass(frozen=True)
class TeamPage:
    team: Team
    cards: list[ObjectiveCard]
    checked_in: int
    to_check_in: int
    coverage: backlog_figures.Coverage
    sprint: Any
    burndown: backlog_charts.BurndownChart | None
    metrics: list[HealthMetric]
    guards: list[tuple[HealthMetric, list[KeyResult]]]  # other teams' metrics guarding this team's KRs


def team_page(viewer: Viewer, team: Team, *, today: date) -> TeamPage:
    """The team's OKRs of active cycles (with the owner's and the delivery confidence of each KR), this
    week's check-ins, backlog coverage, the active sprint's burndown with its focus KRs, and the team's
    health metrics. A fixed number of queries."""
    objectives = list(
        visible_objectives(viewer)
        .filter(team=team, cycle__state=CycleState.ACTIVE)
        .select_related("cycle", "owner__user")
        .prefetch_related("key_results__owner__user")
        .order_by("title")
    )
    key_results = [kr for o in objectives for kr in o.key_results.all()]
    for objective in objectives:
        for kr in objective.key_results.all():
            kr.objective = objective  # loaded: delivery confidence reads its cycle
    delivery = backlog.team_delivery_confidence(team=team, key_results=key_results, today=today)
    cards = [
        ObjectiveCard(
            objective=o,
            expected=numbers.expected_progress(start=o.cycle.start_date, end=o.cycle.end_date, on=today),
            lines=[KeyResultLine(kr, delivery.get(kr.pk)) for kr in o.key_results.all()],
        )
        for o in objectives
    ]
    week = checkins.team_week(viewer, team_id=team.pk, week=week_of(today))
    shared_week = [row for row in week if row.key_result.objective.visibility != Visibility.PRIVATE]
    sprint = backlog.active_sprint(team)
    chart = None
    if sprint is not None:
        focus = list(sprint.focus_key_results.filter(pk__in=[kr.pk for kr in key_results]))
        chart = backlog_charts.burndown_chart(
            days=backlog.sprint_burndown(sprint, today=today),
            key_results=backlog.focus_series(sprint, focus),
            today=today,
        )
    metrics = list(HealthMetric.objects.filter(health_metric_visibility(viewer), team=team).order_by("name"))
    return TeamPage(
        team=team,
        cards=cards,
        # Counts leave private objectives out (DESIGN: no count reveals them), as the cascade does.
        checked_in=sum(1 for row in shared_week if row.this_week is not None),
        to_check_in=len(shared_week),
        coverage=backlog.coverage_of(backlog.open_stories(team=team)),
        sprint=sprint,
        burndown=chart,
        metrics=metrics,
        guards=_guards(viewer, key_results, exclude={m.pk for m in metrics}),
    )


def _guards(
    viewer: Viewer, key_results: list[KeyResult], *, exclude: set[int]
) -> list[tuple[HealthMetric, list[KeyResult]]]:
    """The health metrics (that the viewer may see) bound as key failure indicators to these KRs, with
    the KRs each guards; those in ``exclude`` (already shown) left out. One query."""
    by_kr = {kr.pk: kr for kr in key_results}
    links = (
        KeyResult.kfis.through.objects.filter(keyresult_id__in=by_kr)
        .exclude(healthmetric_id__in=exclude)
        .filter(healthmetric__in=HealthMetric.objects.filter(health_metric_visibility(viewer)))
        .select_related("healthmetric")
        .order_by("healthmetric__name", "keyresult_id")
    )
    guards: dict[int, tuple[HealthMetric, list[KeyResult]]] = {}
    for link in links:
        metric = guards.setdefault(link.healthmetric_id, (link.healthmetric, []))
        metric[1].append(by_kr[link.keyresult_id])
    return list(guards.values())


@dataclass(frozen=True)
class BoardCard:
    metric: HealthMetric
    sparkline: Any
    guards: list[KeyResult]


@dataclass(frozen=True)
class BoardGroup:
    team: Team | None
    cards: list[BoardCard]


def health_board(viewer: Viewer, *, readings_per_metric: int = 26) -> list[BoardGroup]:
    """Every health metric the viewer may see with its light, sparkline (its latest readings) and the
    KRs it guards as a key failure indicator that the viewer may see. Four queries whatever the size."""
    from checkins.models import MetricReading
    from dashboards.sparkline import sparkline
    from objectives.selectors import health_metric_groups
    from objectives.visibility import visible_key_results

    groups = health_metric_groups(viewer)
    metric_ids = [row.metric.pk for group in groups for row in group.rows]
    series: dict[int, list[float]] = {pk: [] for pk in metric_ids}
    for metric_id, value in (
        MetricReading.objects.filter(metric_id__in=metric_ids)
        .order_by("metric_id", "taken_on")
        .values_list("metric_id", "value")
    ):
        series[metric_id].append(value)
    guards: dict[int, list[KeyResult]] = {pk: [] for pk in metric_ids}
    links = KeyResult.kfis.through.objects.filter(
        healthmetric_id__in=metric_ids, keyresult__in=visible_key_results(viewer).values("pk")
    ).select_related("keyresult")
    for link in links.order_by("keyresult__title"):
        guards[link.healthmetric_id].append(link.keyresult)
    return [
        BoardGroup(
            team=group.team,
            cards=[
                BoardCard(
                    metric=row.metric,
                    sparkline=sparkline(
                        values=series[row.metric.pk][-readings_per_metric:],
                        green=row.metric.green_threshold,
                        amber=row.metric.amber_threshold,
                        unit=row.metric.unit,
                    )
                    if series[row.metric.pk]
                    else None,
                    guards=guards[row.metric.pk],
                )
                for row in group.rows
            ],
        )
        for group in groups
    ]
