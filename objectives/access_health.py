"""Permission-checked fetches of health metrics and value dimensions.

Anything outside the viewer's organisation, or that the viewer may not see, answers 404; what they
may see but not change answers 403.

Health metrics: company-wide ones are seen by every member, team ones by every member but guests, who
see only their own teams'. Company admins change any metric; a team's lead changes that team's ones.
Value dimensions: every member reads them; company admins change them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from objectives.models import HealthMetric, ValueDimension
from okrapp.http import Viewer
from okrapp.models import Team, TeamRole


def health_metric_visibility(viewer: Viewer) -> Q:
    """The Q that keeps the health metrics ``viewer`` may see (within their organisation)."""
    rule = Q(organisation_id=viewer.organisation_id)
    if viewer.is_guest_only:
        rule &= Q(team__isnull=True) | Q(team_id__in=list(viewer.team_roles))
    return rule


def led_team_ids(viewer: Viewer) -> set[int]:
    return {team_id for team_id, role in viewer.team_roles.items() if role == TeamRole.LEAD}


def can_write_health_metric(viewer: Viewer, team_id: int | None) -> bool:
    """Admins write any metric; a lead writes the metrics of the teams they lead (not company-wide ones)."""
    return viewer.is_admin or (team_id is not None and team_id in led_team_ids(viewer))


def can_add_health_metric(viewer: Viewer) -> bool:
    return viewer.is_admin or viewer.leads_any_team


def health_metric_teams(viewer: Viewer) -> QuerySet[Team]:
    """The teams a metric written by ``viewer`` may belong to."""
    teams = Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name")
    return teams if viewer.is_admin else teams.filter(pk__in=led_team_ids(viewer))


def access_health_metric(viewer: Viewer, pk: int, *, write: bool = False) -> HealthMetric:
    metric = (
        HealthMetric.objects.filter(health_metric_visibility(viewer), pk=pk)
        .select_related("team", "owner__user")
        .first()
    )
    if metric is None:
        raise Http404("No such health metric.")
    if write and not can_write_health_metric(viewer, metric.team_id):
        raise PermissionDenied("Only company admins and the team's lead change this health metric.")
    return metric


def access_value_dimension(viewer: Viewer, pk: int, *, write: bool = False) -> ValueDimension:
    dimension = ValueDimension.objects.filter(organisation_id=viewer.organisation_id, pk=pk).first()
    if dimension is None:
        raise Http404("No such value dimension.")
    if write and not viewer.is_admin:
        raise PermissionDenied("Only company admins change value dimensions.")
    return dimension
