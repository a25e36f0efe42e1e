"""Pages that combine apps. Thin: access → one selector → render."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render

from backlog.access import can_plan
from dashboards import cascade, heatmap, selectors
from dashboards.forms import CascadeFilterForm
from objectives.access import access_objective
from objectives.models import Cycle
from objectives.selectors import default_cycle, scope_teams
from okrapp.access import access_team
from okrapp.decorators import member_required
from okrapp.http import AuthedHttpRequest
from okrapp.parsing import parse_id
from okrapp.timeutil import org_today


def _chosen_cycle(request: AuthedHttpRequest, today: date) -> tuple[list[Cycle], Cycle | None]:
    """The organisation's cycles, and the one the URL names (else the current one: another organisation's
    cycle is one that does not exist). Text that is no id answers 400."""
    cycles = list(Cycle.objects.filter(organisation_id=request.viewer.organisation_id).order_by("-start_date"))
    chosen = parse_id(request.GET.get("cycle"), field="cycle")
    return cycles, next((c for c in cycles if c.pk == chosen), None) or default_cycle(request.viewer, today)


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
    cycles, cycle = _chosen_cycle(request, today)
    expand_all = request.GET.get("expand") == "all"
    data = (
        heatmap.heatmap(
            viewer, cycle, today=today, objective_rows=True if expand_all else None, key_result_rows_too=expand_all
        )
        if cycle
        else None
    )
    return render(
        request,
        "dashboards/heatmap.html",
        {"heatmap": data, "cycles": cycles, "cycle": cycle, "expand_all": expand_all},
    )


@member_required
def heatmap_rows(request: AuthedHttpRequest) -> HttpResponse:
    """The rows a heatmap row opens in place (htmx): a team's objectives (``team``: its id, or
    ``company``) or an objective's key results (``objective``)."""
    viewer = request.viewer
    today = org_today(viewer.organisation)
    objective_id = parse_id(request.GET.get("objective"), field="objective")
    if objective_id is not None:
        objective = access_objective(viewer, objective_id)
        rows = heatmap.key_result_rows(objective, today=today)
        return render(
            request,
            "dashboards/heatmap.html#kr-rows",
            {"row": heatmap.Row(objective.title, [], objective=objective, children=rows)},
        )
    _cycles, cycle = _chosen_cycle(request, today)
    team = request.GET.get("team", "")
    chosen = None if team == "company" else parse_id(team, field="team")
    if cycle is None or (team != "company" and chosen is None):
        raise Http404("Name a team (or the company) or an objective.")
    team_id = None if chosen is None else access_team(viewer, chosen).pk
    data = heatmap.heatmap(viewer, cycle, today=today, objective_rows=True, team_id=team_id)
    group = data.groups[0][1] if data.groups else heatmap.Row("", [])
    return render(
        request, "dashboards/heatmap.html#objective-rows", {"group": group, "heatmap": data, "team_key": team}
    )


@member_required
def health_board(request: AuthedHttpRequest) -> HttpResponse:
    """Every health metric with its light, a sparkline of its readings, thresholds and guarded KRs."""
    return render(request, "dashboards/health_board.html", {"groups": selectors.health_board(request.viewer)})


@member_required
def cascade_page(request: AuthedHttpRequest) -> HttpResponse:
    """Leadership's home: the cascade of a cycle's objectives with header figures, filtered by the URL.
    An htmx request (expanding a team or an objective) gets the tree alone."""
    viewer = request.viewer
    today = org_today(viewer.organisation)
    teams = scope_teams(viewer)
    form = CascadeFilterForm(request.GET, viewer=viewer, teams=teams)
    filters = form.filters()
    cycle = form.value("cycle") or default_cycle(viewer, today)
    data = cascade.cascade(viewer, cycle, teams=teams, filters=filters, today=today) if cycle else None
    query = request.GET.copy()
    query.pop("open", None)
    context = {"cascade": data, "form": form, "cycle": cycle, "base_query": query.urlencode()}
    if request.htmx and request.htmx.target == "cascade-tree":
        return render(request, "dashboards/cascade.html#tree", context)
    return render(request, "dashboards/cascade.html", context)


@member_required
def dimension_coverage(request: AuthedHttpRequest) -> HttpResponse:
    """Value dimensions × teams: which dimensions each team's objectives feed, and which none does."""
    viewer = request.viewer
    cycles, cycle = _chosen_cycle(request, org_today(viewer.organisation))
    matrix = cascade.dimension_matrix(viewer, cycle, teams=scope_teams(viewer)) if cycle else None
    return render(request, "dashboards/dimension_coverage.html", {"matrix": matrix, "cycles": cycles, "cycle": cycle})
