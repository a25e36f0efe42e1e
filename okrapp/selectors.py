"""Reads of the organisation: the team tree, the people directory, a team's members, what deleting a
webhook takes with it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from okrapp.models import (
    DeliveryState,
    Membership,
    Organisation,
    SecurityEvent,
    Team,
    TeamMembership,
    TeamRole,
    Webhook,
)


@dataclass(frozen=True)
class TeamNode:
    team: Team
    depth: int
    member_count: int
    lead_names: list[str]

    @property
    def kind(self) -> str:
        """Department if it has teams under it, otherwise team."""
        return "Department" if self.team.children_count else "Team"  # type: ignore[attr-defined]


def team_tree(organisation: Organisation, *, only_ids: set[int] | None = None) -> list[TeamNode]:
    """Every team of the organisation in tree order (parents before children, siblings by name).

    Two queries whatever the size of the tree.
    """
    teams = list(
        Team.objects.filter(organisation=organisation)
        .annotate(member_count=Count("team_memberships", distinct=True))
        .annotate(children_count=Count("children", distinct=True))
        .order_by("name")
    )
    leads: dict[int, list[str]] = {}
    for team_id, name in TeamMembership.objects.filter(team__organisation=organisation, role=TeamRole.LEAD).values_list(
        "team_id", "membership__user__full_name"
    ):
        leads.setdefault(team_id, []).append(name)

    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)

    nodes: list[TeamNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for team in children.get(parent_id, []):
            if only_ids is None or team.pk in only_ids:
                nodes.append(TeamNode(team, depth, team.member_count, leads.get(team.pk, [])))  # type: ignore[attr-defined]
            walk(team.pk, depth + 1)

    walk(None, 0)
    return nodes


def team_descendant_ids(team: Team) -> set[int]:
    """Ids of every team below ``team`` (one query; the tree is walked in Python)."""
    pairs = list(Team.objects.filter(organisation_id=team.organisation_id).values_list("pk", "parent_id"))
    below: set[int] = set()
    frontier = {team.pk}
    while frontier:
        frontier = {pk for pk, parent in pairs if parent in frontier} - below
        below |= frontier
    return below


def people_directory(organisation: Organisation) -> QuerySet[Membership]:
    """Everyone in the organisation with their team roles (two queries)."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related(
            Prefetch("team_memberships", queryset=TeamMembership.objects.select_related("team").order_by("team__name"))
        )
        .order_by("user__full_name")
    )


def team_members(team: Team) -> QuerySet[TeamMembership]:
    """A team's people, leads first (one query)."""
    role_order = {TeamRole.LEAD: 0, TeamRole.MEMBER: 1, TeamRole.GUEST: 2}
    return (
        TeamMembership.objects.filter(team=team)
        .select_related("membership__user")
        .annotate(
            role_rank=Case(
                *(When(role=role, then=Value(rank)) for role, rank in role_order.items()),
                output_field=IntegerField(),
            )
        )
        .order_by("role_rank", "membership__user__full_name")
    )


SECURITY_LOG_LENGTH = 200


def security_events(organisation: Organisation, *, kind: str | None = None) -> list[SecurityEvent]:
    """The organisation's latest security events (``SECURITY_LOG_LENGTH`` at most), newest first,
    with who did it and whose account. One query."""
    events = SecurityEvent.objects.filter(organisation=organisation).select_related("actor__user", "subject_user")
    if kind:
        events = events.filter(kind=kind)
    return list(events.order_by("-created_at", "-pk")[:SECURITY_LOG_LENGTH])


@dataclass(frozen=True)
class WebhookDeletion:
    """What deleting a webhook takes with it: its delivery log, and the events still waiting to be sent."""

    deliveries: int
    waiting: int


def webhook_deletion(webhook: Webhook) -> WebhookDeletion:
    """The counts the confirmation names before a webhook is deleted (one query)."""
    counts = webhook.deliveries.aggregate(
        deliveries=Count("pk"), waiting=Count("pk", filter=Q(state=DeliveryState.PENDING))
    )
    return WebhookDeletion(deliveries=counts["deliveries"], waiting=counts["waiting"])
