"""Reads of goals, always through the visibility rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from objectives import hints
from objectives import progress as numbers
from objectives.access_health import can_write_health_metric, health_metric_visibility
from objectives.models import Cycle, CycleState, HealthMetric, KeyResult, Objective, ValueDimension, Visibility
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.http import Viewer
from okrapp.models import Membership, Team


def default_cycle(viewer: Viewer, today: date) -> Cycle | None:
    """The active cycle containing today (the shortest, so a quarter beats its year), else the newest."""
    cycles = Cycle.objects.filter(organisation_id=viewer.organisation_id)
    current = (
        cycles.filter(state=CycleState.ACTIVE, start_date__lte=today, end_date__gte=today)
        .order_by("end_date", "-start_date")
        .first()
    )
    return current or cycles.order_by("-start_date").first()


def scope_teams(viewer: Viewer) -> list[Team]:
    """Teams offered in the scope switcher: guests see their own teams only."""
    teams = Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name")
    if viewer.is_guest_only:
        teams = teams.filter(pk__in=viewer.team_roles)
    return list(teams)


def key_results_prefetch(viewer: Viewer) -> Any:
    """The KRs of the objectives, with their owners and the KFIs guarding them that ``viewer`` may see
    (a guest sees only their own teams' health metrics, even where they guard a KR the guest sees)."""
    kfis = Prefetch("kfis", queryset=HealthMetric.objects.filter(health_metric_visibility(viewer)).order_by("name"))
    return Prefetch(
        "key_results",
        queryset=KeyResult.objects.select_related("owner__user").prefetch_related(kfis).order_by("position", "pk"),
    )


def scope_objectives(viewer: Viewer, *, cycle: Cycle, team: Team | None) -> QuerySet[Objective]:
    """The objectives of one scope (a team, or the company level) in a cycle that the viewer may see,
    with their KRs and owners (three queries)."""
    return (
        visible_objectives(viewer)
        .filter(cycle=cycle, team=team)
        .select_related("owner__user", "parent", "value_dimension", "cycle", "team")
        .prefetch_related(key_results_prefetch(viewer))
        .order_by("title")
    )


@dataclass(frozen=True)
class ScopeSummary:
    progress: float | None
    expected: float
    objective_count: int
    count_hint: str | None


def scope_summary(objectives: list[Objective], *, cycle: Cycle, today: date, per_team: bool = True) -> ScopeSummary:
    """Roll-up of a scope: the mean progress of its objectives, private ones left out so no figure
    reveals them."""
    shared = [o for o in objectives if o.visibility != Visibility.PRIVATE]
    return ScopeSummary(
        progress=numbers.rollup_progress(o.progress for o in shared),
        expected=numbers.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today),
        objective_count=len(shared),
        # "Two to four objectives" is guidance per team and cycle, not for the company level.
        count_hint=hints.objective_count_hint(len(objectives)) if per_team else None,
    )


def cycles_with_counts(viewer: Viewer) -> QuerySet[Cycle]:
    """The organisation's cycles with how many non-private objectives each holds."""
    return (
        Cycle.objects.filter(organisation_id=viewer.organisation_id)
        .select_related("parent")
        .annotate(
            objective_count=Count(
                "objectives",
                filter=Q(objectives__in=visible_objectives(viewer).exclude(visibility=Visibility.PRIVATE).values("pk")),
            )
        )
        .order_by("-start_date", "name")
    )


def parent_choices(
    viewer: Viewer, *, cycle: Cycle, team: Team | None, current: Objective | None = None
) -> QuerySet[Objective]:
    """Objectives a new objective may align to: visible ones of the same cycle or its year, not closed.
    For a team, its parent team's objectives come first (then the company's), as the form's default.
    ``current``'s parent, when visible, stays offered even if it could not be chosen anew."""
    cycles = [cycle.pk] + ([cycle.parent_id] if cycle.parent_id else [])
    offered = Q(cycle_id__in=cycles) & ~Q(cycle__state=CycleState.CLOSED)
    if current is not None and current.parent_id is not None:
        offered |= Q(pk=current.parent_id)
    return visible_objectives(viewer).filter(offered).select_related("team", "cycle").order_by("team__name", "title")


def contribution_choices(viewer: Viewer, *, cycle: Cycle, exclude_objective: Objective | None) -> QuerySet[KeyResult]:
    """KRs of other visible objectives of the cycle (or its year) an objective may contribute to; those
    ``exclude_objective`` already contributes to stay offered while visible."""
    cycles = [cycle.pk] + ([cycle.parent_id] if cycle.parent_id else [])
    offered = Q(objective__cycle_id__in=cycles)
    if exclude_objective is not None:
        offered |= Q(pk__in=exclude_objective.contributes_to.values("pk"))
    krs = visible_key_results(viewer).filter(offered).select_related("objective")
    if exclude_objective is not None:
        krs = krs.exclude(objective=exclude_objective)
    return krs.order_by("objective__title", "position")


def visible_objectives_of_cycle(viewer: Viewer, cycle: Cycle) -> QuerySet[Objective]:
    return visible_objectives(viewer).filter(cycle=cycle).order_by("team__name", "title")


def carry_over_cycles(viewer: Viewer, objective: Objective) -> QuerySet[Cycle]:
    """Cycles an objective may be carried into: this organisation's open ones, other than its own."""
    return (
        Cycle.objects.filter(organisation_id=viewer.organisation_id)
        .exclude(state=CycleState.CLOSED)
        .exclude(pk=objective.cycle_id)
        .order_by("start_date")
    )


def visible_children(viewer: Viewer, objective: Objective) -> QuerySet[Objective]:
    """Objectives aligned to this one that the viewer may see."""
    return visible_objectives(viewer).filter(parent=objective).select_related("team", "owner__user").order_by("title")


def visible_contributions(viewer: Viewer, objective: Objective) -> QuerySet[KeyResult]:
    """The KRs this objective contributes to, as far as the viewer may see them."""
    return visible_key_results(viewer).filter(contributing_objectives=objective).select_related("objective")


def visible_contributors(viewer: Viewer, key_result: KeyResult) -> QuerySet[Objective]:
    """The objectives contributing to this KR that the viewer may see."""
    return visible_objectives(viewer).filter(contributes_to=key_result).select_related("team").order_by("title")


# --- Health metrics and value dimensions ------------------------------------------------------------


@dataclass(frozen=True)
class MetricRow:
    metric: HealthMetric
    can_edit: bool


@dataclass(frozen=True)
class MetricGroup:
    """The metrics of one team, or the company-wide ones (``team`` None)."""

    team: Team | None
    rows: list[MetricRow]


def health_metric_groups(viewer: Viewer) -> list[MetricGroup]:
    """The health metrics ``viewer`` may see, company-wide first, then by team name. Each metric carries
    ``kfi_count``: the key results it guards that ``viewer`` may see (so no count reveals a hidden one)."""
    visible_krs = visible_key_results(viewer).values("pk")
    metrics = (
        HealthMetric.objects.filter(health_metric_visibility(viewer))
        .select_related("team")
        .annotate(kfi_count=Count("guarded_key_results", filter=Q(guarded_key_results__in=visible_krs), distinct=True))
        .order_by(F("team__name").asc(nulls_first=True), "team_id", Lower("name"))
    )
    return [
        MetricGroup(
            team=group[0].team,
            rows=[MetricRow(metric=m, can_edit=can_write_health_metric(viewer, m.team_id)) for m in group],
        )
        for group in (list(g) for _, g in groupby(metrics, key=lambda m: m.team_id))
    ]


def guarded_key_results(viewer: Viewer, metric: HealthMetric) -> QuerySet[KeyResult]:
    """The key results that take ``metric`` as a key failure indicator and that ``viewer`` may see."""
    return (
        visible_key_results(viewer)
        .filter(kfis=metric)
        .select_related("objective__team", "owner__user")
        .order_by(Lower("objective__title"), "position", "pk")
    )


def value_dimensions_with_counts(viewer: Viewer) -> QuerySet[ValueDimension]:
    """The organisation's value dimensions in order, each with ``objective_count``: the company-level
    objectives naming it, private ones left out so that no count reveals them."""
    not_private = [v for v in Visibility if v != Visibility.PRIVATE]
    # Meta.ordering is not applied to a GROUP BY query: the order is said here.
    return (
        ValueDimension.objects.filter(organisation_id=viewer.organisation_id)
        .annotate(
            objective_count=Count(
                "objectives",
                filter=Q(objectives__team__isnull=True, objectives__visibility__in=not_private),
            )
        )
        .order_by("position", "name")
    )


def people_choices(viewer: Viewer) -> QuerySet[Membership]:
    """People offered as owners and contributors: the organisation, or a guest's own teams only."""
    people = Membership.objects.filter(organisation_id=viewer.organisation_id).select_related("user")
    if viewer.is_guest_only:
        people = people.filter(team_memberships__team_id__in=viewer.team_roles).distinct()
    return people.order_by("user__full_name")


def health_metric_choices(viewer: Viewer) -> QuerySet[HealthMetric]:
    """Health metrics offered as key failure indicators: those the viewer may see."""
    return HealthMetric.objects.filter(health_metric_visibility(viewer)).select_related("team").order_by("name")


def visible_ids(viewer: Viewer, ids: set[int]) -> set[int]:
    """Which of these objectives the viewer may see (one query): e.g. parents named on a page."""
    if not ids:
        return set()
    return set(visible_objectives(viewer).filter(pk__in=ids).values_list("pk", flat=True))
