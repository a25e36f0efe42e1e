"""Pages that combine apps. Thin: access → one selector → render."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from backlog.access import can_plan
from dashboards import selectors
from okrapp.access import access_team
from okrapp.decorators import member_required
from okrapp.http import AuthedHttpRequest
from okrapp.timeutil import org_today


@member_required
def team_page(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A team's page: its OKRs with the owner's and the delivery confidence, this week's check-ins, the
    active sprint's burndown with its focus KRs, backlog coverage and health metrics."""
    team = access_team(request.viewer, pk)
    page = selectors.team_page(request.viewer, team, today=org_today(request.viewer.organisation))
    children = [] if request.viewer.is_guest_only else list(team.children.order_by("name"))
    return render(
        request,
        "dashboards/team_page.html",
        {"page": page, "team": team, "children": children, "can_plan": can_plan(request.viewer, team.pk)},
    )
