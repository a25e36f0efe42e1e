"""Who sees which objective: the one rule every list, page, count, export and e-mail goes through.

| visibility | who sees it |
| company | every member of the organisation |
| team    | members of the owning team and of every team above it, leadership, admins |
| private | its owner, its KRs' owners and contributors, the owning team's leads
|           (company level: the owner and admins) |

A KR, its check-ins, links, history and snapshots are exactly as visible as their objective.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from objectives.models import KeyResult, Objective, Visibility
from okrapp.http import Viewer
from okrapp.models import Team, TeamRole


def teams_below(organisation_id: int, roots: set[int]) -> set[int]:
    """The given teams and every team below them (one query; the tree is walked in Python)."""
    pairs = list(Team.objects.filter(organisation_id=organisation_id).values_list("pk", "parent_id"))
    found = set(roots)
    frontier = set(roots)
    while frontier:
        frontier = {pk for pk, parent in pairs if parent in frontier} - found
        found |= frontier
    return found


def visibility_filter(viewer: Viewer) -> Q:
    """The Q that keeps exactly the objectives ``viewer`` may see (within their organisation)."""
    me = viewer.membership.pk
    rule = Q(visibility=Visibility.COMPANY)
    if viewer.is_leadership:
        rule |= Q(visibility=Visibility.TEAM)
    elif viewer.team_roles:
        rule |= Q(visibility=Visibility.TEAM, team_id__in=teams_below(viewer.organisation_id, set(viewer.team_roles)))
    krs_of_mine = KeyResult.objects.filter(objective_id=OuterRef("pk")).filter(Q(owner_id=me) | Q(contributors=me))
    rule |= Q(visibility=Visibility.PRIVATE, owner_id=me)
    rule |= Q(visibility=Visibility.PRIVATE) & Q(Exists(krs_of_mine))
    led = [team_id for team_id, role in viewer.team_roles.items() if role == TeamRole.LEAD]
    if led:
        rule |= Q(visibility=Visibility.PRIVATE, team_id__in=led)
    if viewer.is_admin:
        rule |= Q(visibility=Visibility.PRIVATE, team__isnull=True)
    return rule


def visible_objectives(viewer: Viewer) -> QuerySet[Objective]:
    """Every objective of the viewer's organisation that the viewer may see."""
    return Objective.objects.filter(organisation_id=viewer.organisation_id).filter(visibility_filter(viewer))


def visible_key_results(viewer: Viewer) -> QuerySet[KeyResult]:
    """Key results are exactly as visible as their objective."""
    return KeyResult.objects.filter(
        organisation_id=viewer.organisation_id, objective__in=visible_objectives(viewer).values("pk")
    )


def visible_key_result_ids(viewer: Viewer, ids: set[int]) -> set[int]:
    """Which of these KRs the viewer may see: one small query, for a page that found KR ids through
    links first (cheaper than joining every link to the whole visibility rule)."""
    if not ids:
        return set()
    return set(visible_key_results(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def can_see(viewer: Viewer, objective: Objective) -> bool:
    return visible_objectives(viewer).filter(pk=objective.pk).exists()
