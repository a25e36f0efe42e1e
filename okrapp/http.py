"""Typed requests and the viewer: who is asking, in which organisation, with which roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamMembership, TeamRole, User


@dataclass
class Viewer:
    """The signed-in person's membership and team roles, loaded once per request (two queries)."""

    membership: Membership
    team_memberships: list[TeamMembership] = field(default_factory=list)

    @classmethod
    def load(cls, user: User) -> Viewer | None:
        membership = Membership.objects.select_related("organisation", "user").filter(user_id=user.pk).first()
        if membership is None:
            return None
        team_memberships = list(
            TeamMembership.objects.filter(membership=membership).select_related("team").order_by("team__name")
        )
        return cls(membership=membership, team_memberships=team_memberships)

    @property
    def organisation(self) -> Organisation:
        return self.membership.organisation

    @property
    def organisation_id(self) -> int:
        return self.membership.organisation_id

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_admin(self) -> bool:
        return self.membership.role == CompanyRole.ADMIN

    @property
    def is_leadership(self) -> bool:
        """Leadership reads everything that is not private; admins count as leadership."""
        return self.membership.role in (CompanyRole.ADMIN, CompanyRole.LEADERSHIP)

    @cached_property
    def team_roles(self) -> dict[int, str]:
        return {tm.team_id: tm.role for tm in self.team_memberships}

    @property
    def teams(self) -> list[Team]:
        return [tm.team for tm in self.team_memberships]

    @property
    def leads_any_team(self) -> bool:
        return TeamRole.LEAD in self.team_roles.values()

    @property
    def is_guest_only(self) -> bool:
        """An employee whose every team role is guest: sees their own teams, not the whole directory."""
        return (
            self.membership.role == CompanyRole.EMPLOYEE
            and bool(self.team_roles)
            and all(role == TeamRole.GUEST for role in self.team_roles.values())
        )

    @property
    def can_browse_directory(self) -> bool:
        return not self.is_guest_only

    @property
    def role_label(self) -> str:
        """The word the frame shows beside the name: the highest of company and team roles."""
        if self.is_admin:
            return "Admin"
        if self.membership.role == CompanyRole.LEADERSHIP:
            return "Leadership"
        if self.leads_any_team:
            return "Team lead"
        if self.is_guest_only:
            return "Guest"
        return "Member"


class AuthedHttpRequest(HttpRequest):
    """A request from a signed-in member of an organisation (see okrapp.decorators.member_required)."""

    user: User
    viewer: Viewer
    htmx: HtmxDetails
