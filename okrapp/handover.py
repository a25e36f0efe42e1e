"""Handing a person's work to others (when they leave, or change jobs): the registry and the one write.

okrapp imports neither objectives nor backlog, so each app registers a provider in its
``AppConfig.ready`` (objectives: objectives and key results they own, key results they contribute to;
backlog: their open stories and the epics they own); okrapp provides the teams they lead itself. A
provider lists only what the viewer may see (``visible_to``): an item the viewer may not see is never
listed, counted or moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from okrapp.http import Viewer
from okrapp.models import Membership, TeamMembership, TeamRole
from okrapp.parsing import BadInput, parse_id
from okrapp.people import active_people
from okrapp.security_log import team_role_event
from okrapp.services import team_member_set


@dataclass(frozen=True)
class HandoverItem:
    pk: int
    title: str
    detail: str = ""  # where it sits: "Checkout · Q4 2026"
    url: str = ""


@dataclass(frozen=True)
class HandoverGroup:
    """One kind of thing the person holds, with one "hand to" choice for the selected rows. With
    ``team_id`` only that team's people may take it over (stories go to people of their team)."""

    key: str  # unique on the page, a form prefix: "objectives", "stories-12"
    label: str
    items: list[HandoverItem]
    hand_over: Callable[[Viewer, Membership, Membership, set[int]], int]
    team_id: int | None = None
    team_name: str = ""
    candidates: list[Membership] = field(default_factory=list)


# (viewer, person) → the groups of what the person holds that the viewer may see.
HandoverProvider = Callable[[Viewer, Membership], list[HandoverGroup]]
HANDOVER_PROVIDERS: list[HandoverProvider] = []


def register_handover_provider(provider: HandoverProvider) -> None:
    if provider not in HANDOVER_PROVIDERS:
        HANDOVER_PROVIDERS.append(provider)


def _teams_led(viewer: Viewer, person: Membership) -> list[HandoverGroup]:
    """The teams they lead (so their sprints too): the new lead takes the role, they become a member."""
    led = list(
        TeamMembership.objects.filter(
            membership=person, role=TeamRole.LEAD, team__organisation_id=viewer.organisation_id
        )
        .select_related("team")
        .order_by("team__name")
    )
    items = [
        HandoverItem(tm.team_id, tm.team.name, "Lead, and so of its sprints", reverse("team_people", args=[tm.team_id]))
        for tm in led
    ]
    return [HandoverGroup("teams", "Teams they lead", items, _hand_over_teams)] if items else []


def _hand_over_teams(viewer: Viewer, person: Membership, target: Membership, team_ids: set[int]) -> int:
    """The person steps down to member of each team, the target becomes its lead; both changes go to the
    security log (the viewer did them). Runs inside ``hand_over``'s transaction."""
    led = list(
        TeamMembership.objects.select_for_update(of=("self",))
        .filter(
            membership=person, role=TeamRole.LEAD, team_id__in=team_ids, team__organisation_id=viewer.organisation_id
        )
        .select_related("team")
    )
    TeamMembership.objects.filter(pk__in=[tm.pk for tm in led]).update(role=TeamRole.MEMBER)
    for tm in led:
        team_role_event(
            membership=person, team=tm.team, previous=TeamRole.LEAD, role=TeamRole.MEMBER, actor=viewer.membership
        )
        team_member_set(team=tm.team, membership=target, role=TeamRole.LEAD, actor=viewer.membership)
    return len(led)


def handover_groups(viewer: Viewer, person: Membership) -> list[HandoverGroup]:
    """Everything the person holds that the viewer may see, grouped, with who may take each group over
    (active people of the organisation but the person; of its team for a team's group). A fixed
    number of queries, whatever the number of items."""
    groups = [group for provider in [_teams_led, *HANDOVER_PROVIDERS] for group in provider(viewer, person)]
    people = [p for p in active_people(viewer.organisation_id) if p.pk != person.pk]
    team_ids = {g.team_id for g in groups if g.team_id is not None}
    members: dict[int, set[int]] = {}
    if team_ids:
        # A team's leads and members (guests do not change its work).
        for team_id, membership_id in TeamMembership.objects.filter(
            team_id__in=team_ids, role__in=[TeamRole.LEAD, TeamRole.MEMBER]
        ).values_list("team_id", "membership_id"):
            members.setdefault(team_id, set()).add(membership_id)
    for group in groups:
        allowed = members.get(group.team_id, set()) if group.team_id is not None else None
        group.candidates.extend(p for p in people if allowed is None or p.pk in allowed)
    return groups


@dataclass(frozen=True)
class HandoverRequest:
    """What the form asked: per group key, the chosen person's id and the selected item ids."""

    target_id: int | None
    item_ids: set[int]


def hand_over(*, viewer: Viewer, person: Membership, requests: Mapping[str, HandoverRequest]) -> dict[str, int]:
    """Move the selected items of each group to its chosen person, all in one transaction: one refused
    group (no one chosen, someone who may not take it, an item no longer theirs) and nothing moves.
    Returns how many items moved per group. Errors are keyed by group (``<key>``)."""
    groups = {group.key: group for group in handover_groups(viewer, person)}
    errors: dict[str, str] = {}
    plan: list[tuple[HandoverGroup, Membership, set[int]]] = []
    for key, request in requests.items():
        if not request.item_ids:
            continue
        group = groups.get(key)
        if group is None:
            errors["__all__"] = "Some of the selected items are no longer theirs: reload the page."
            continue
        if request.target_id is None:
            errors[key] = "Choose who takes these over."
            continue
        target = next((p for p in group.candidates if p.pk == request.target_id), None)
        if target is None:
            errors[key] = (
                f"Choose someone of {group.team_name}: only the team's people take over its stories."
                if group.team_id is not None
                else "Choose an active person of the organisation."
            )
            continue
        if not request.item_ids <= {item.pk for item in group.items}:
            errors[key] = "Some of the selected items are no longer theirs: reload the page."
            continue
        plan.append((group, target, request.item_ids))
    if errors:
        raise ValidationError(errors)
    if not plan:
        raise ValidationError({"__all__": "Select what to hand over, and to whom."})
    moved: dict[str, int] = {}
    with transaction.atomic():
        for group, target, item_ids in plan:
            moved[group.key] = group.hand_over(viewer, person, target, item_ids)
            if moved[group.key] != len(item_ids):  # changed under us since the page was read
                raise ValidationError({group.key: "Some of the selected items are no longer theirs: reload the page."})
    return moved


def requests_from(data: Mapping[str, object], keys: Iterable[str]) -> dict[str, HandoverRequest]:
    """Read the form: ``<key>-target`` (a person id) and ``<key>-items`` (item ids) per group key.
    Anything that is not a number is treated as not chosen (the checks above then say so)."""
    getlist = getattr(data, "getlist", None)
    result: dict[str, HandoverRequest] = {}
    for key in keys:
        raw_items = getlist(f"{key}-items") if getlist else []
        item_ids = {number for value in raw_items if (number := _id_or_none(value)) is not None}
        result[key] = HandoverRequest(_id_or_none(data.get(f"{key}-target")), item_ids)
    return result


def _id_or_none(raw: object) -> int | None:
    """An id (okrapp.parsing's rule: ASCII digits within bigint), else None: not chosen."""
    try:
        return parse_id(str(raw or ""), field="id")
    except BadInput:
        return None
