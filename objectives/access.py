"""Permission-checked fetches of goals. Invisible or foreign: 404. Visible but not writable: 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from objectives.models import Cycle, KeyResult, Objective
from objectives.visibility import teams_below, visible_key_results, visible_objectives
from okrapp.http import Viewer
from okrapp.models import Team, TeamRole


def led_team_ids(viewer: Viewer) -> set[int]:
    """Teams the viewer leads, and every team below them (a department lead writes for its teams).
    Computed once per request (one query), however many objectives a page checks."""
    cached: set[int] | None = getattr(viewer, "_led_team_ids", None)
    if cached is None:
        led = {team_id for team_id, role in viewer.team_roles.items() if role == TeamRole.LEAD}
        cached = teams_below(viewer.organisation_id, led) if led else set()
        viewer._led_team_ids = cached  # type: ignore[attr-defined]
    return cached


def can_write_in(viewer: Viewer, team: Team | None) -> bool:
    """Who writes objectives for a scope: the company level, leadership and admins; a team, its leads
    and the leads of the teams above it, and admins. Leadership reads the teams' OKRs."""
    if team is None:
        return viewer.is_leadership
    return viewer.is_admin or team.pk in led_team_ids(viewer)


def can_edit_objective(viewer: Viewer, objective: Objective) -> bool:
    return objective.owner_id == viewer.membership.pk or can_write_in(viewer, objective.team)


def access_objective(viewer: Viewer, pk: int, *, write: bool = False) -> Objective:
    objective = (
        visible_objectives(viewer)
        .select_related("cycle", "team", "owner__user", "parent", "value_dimension")
        .filter(pk=pk)
        .first()
    )
    if objective is None:
        raise Http404("No such objective.")
    if write and not can_edit_objective(viewer, objective):
        raise PermissionDenied("Only the objective's owner, its team's lead or leadership can change it.")
    return objective


def access_key_result(viewer: Viewer, pk: int, *, write: bool = False) -> KeyResult:
    kr = (
        visible_key_results(viewer)
        .select_related("objective__cycle", "objective__team", "objective__owner__user", "owner__user")
        .filter(pk=pk)
        .first()
    )
    if kr is None:
        raise Http404("No such key result.")
    if write and not (kr.owner_id == viewer.membership.pk or can_edit_objective(viewer, kr.objective)):
        raise PermissionDenied("Only the key result's owner, its objective's owner or the team lead can change it.")
    return kr


def visible_cycles(viewer: Viewer) -> QuerySet[Cycle]:
    """The cycles the viewer may see, as access_cycle decides one: every cycle of the organisation."""
    return Cycle.objects.filter(organisation_id=viewer.organisation_id)


def access_cycle(viewer: Viewer, pk: int, *, write: bool = False) -> Cycle:
    cycle = visible_cycles(viewer).filter(pk=pk).first()
    if cycle is None:
        raise Http404("No such cycle.")
    if write and not viewer.is_admin:
        raise PermissionDenied("Only company admins manage cycles.")
    return cycle
