"""Permission-checked fetches of organisation objects.

Anything outside the viewer's organisation, or that the viewer may not see, answers 404;
what they may see but not change answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from okrapp.http import Viewer
from okrapp.models import Membership, Team, TeamMembership


def visible_teams(viewer: Viewer) -> QuerySet[Team]:
    """The teams the viewer may see, as access_team decides one: the organisation's; a guest's own only."""
    teams = Team.objects.filter(organisation_id=viewer.organisation_id)
    return teams.filter(pk__in=list(viewer.team_roles)) if viewer.is_guest_only else teams


def visible_people(viewer: Viewer) -> QuerySet[Membership]:
    """The people the viewer may see, as access_membership decides one: the organisation's; a guest sees
    themselves and the people of their own teams."""
    people = Membership.objects.filter(organisation_id=viewer.organisation_id)
    if viewer.is_guest_only:
        shares_a_team = Q(team_memberships__team_id__in=list(viewer.team_roles)) | Q(pk=viewer.membership.pk)
        people = people.filter(pk__in=Membership.objects.filter(shares_a_team).values("pk"))
    return people


def access_team(viewer: Viewer, pk: int, *, write: bool = False) -> Team:
    team = visible_teams(viewer).filter(pk=pk).select_related("parent").first()
    if team is None:
        raise Http404("No such team.")
    if write and not viewer.is_admin:
        raise PermissionDenied("Only company admins change teams.")
    return team


def access_membership(viewer: Viewer, pk: int, *, write: bool = False) -> Membership:
    membership = visible_people(viewer).filter(pk=pk).select_related("user", "organisation").first()
    if membership is None:
        raise Http404("No such person.")
    if write and not viewer.is_admin:
        raise PermissionDenied("Only company admins change people's roles.")
    return membership


def access_team_membership(viewer: Viewer, team: Team, pk: int, *, write: bool = False) -> TeamMembership:
    team_membership = TeamMembership.objects.filter(team=team, pk=pk).select_related("membership__user", "team").first()
    if team_membership is None:
        raise Http404("No such team member.")
    if write and not viewer.is_admin:
        raise PermissionDenied("Only company admins change team roles.")
    return team_membership
