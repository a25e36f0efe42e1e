"""Pages that combine apps. Thin: access → one selector → render."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from backlog.access import can_plan
from dashboards import heatmap, selectors
from objectives.models import Cycle
from objectives.selectors import default_cycle
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


@member_required
def heatmap_page(request: AuthedHttpRequest) -> HttpResponse:
    """The cycle's weeks against the cascade, cells from the daily snapshots (this week: live)."""
    viewer = request.viewer
    today = org_today(viewer.organisation)
    cycles = list(Cycle.objects.filter(organisation_id=viewer.organisation_id).order_by("-start_date"))
    raw = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if str(c.pk) == raw), None) or default_cycle(viewer, today)
    data = heatmap.heatmap(viewer, cycle, today=today) if cycle else None
    return render(
        request,
        "dashboards/heatmap.html",
        {"heatmap": data, "cycles": cycles, "cycle": cycle, "expand_all": request.GET.get("expand") == "all"},
    )


@member_required
def health_board(request: AuthedHttpRequest) -> HttpResponse:
    """Every health metric with its light, a sparkline of its readings, thresholds and guarded KRs."""
    return render(request, "dashboards/health_board.html", {"groups": selectors.health_board(request.viewer)})
