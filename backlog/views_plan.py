"""Planning pages: epics with their mission briefings and the NOW / NEXT / LATER roadmap of themes (the
sprint pages are in ``views_sprint``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from backlog import selectors, services
from backlog.access import (
    access_backlog_team,
    access_epic,
    access_theme,
    can_edit_roadmap,
    can_plan,
)
from backlog.epic_panels import epic_panels
from backlog.forms import EpicForm, ThemeForm
from backlog.models import Epic, Lane, StoryStatus, Theme
from objectives.access import access_key_result
from objectives.models import CycleState
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.parsing import parse_id

# --- Epics -----------------------------------------------------------------------------------------


def _epic_form(team_org_id: int, data: Any = None, initial: dict[str, Any] | None = None) -> EpicForm:
    return EpicForm(
        data,
        initial=initial,
        themes=Theme.objects.filter(organisation_id=team_org_id).order_by("lane", "position"),
        parents=Epic.objects.filter(organisation_id=team_org_id, status="open")
        .select_related("team")
        .order_by("team__name", "rank"),
    )


@member_required
@require_http_methods(["GET", "POST"])
def epic_list(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_backlog_team(request.viewer, pk, plan=request.method == "POST")
    form = None
    status = 200
    if can_plan(request.viewer, team.pk):
        parent_id = parse_id(request.GET.get("parent"), field="parent") or 0
        theme_id = parse_id(request.GET.get("theme"), field="theme") or 0
        parent = Epic.objects.filter(organisation_id=team.organisation_id, pk=parent_id).first()
        theme = Theme.objects.filter(organisation_id=team.organisation_id, pk=theme_id).first()
        initial = {
            "parent": parent,
            "theme": theme,
            "higher_intent": services.suggested_higher_intent(parent=parent, theme=theme, team=team),
        }
        form = _epic_form(team.organisation_id, request.POST or None, initial=initial)
        if request.method == "POST":
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    epic = services.epic_save(
                        organisation=team.organisation,
                        team=team,
                        title=data.pop("title"),
                        theme=data.pop("theme"),
                        parent=data.pop("parent"),
                        status=data.pop("status"),
                        **data,
                    )
                except ValidationError as error:
                    apply_service_errors(form, error)
                else:
                    messages.success(request, f"Epic “{epic.title}” was added.")
                    return redirect("epic_detail", epic.pk)
            status = 422
    epics = (
        Epic.objects.filter(team=team)
        .select_related("theme", "parent")
        .annotate(
            open_stories=Count("stories", filter=~Q(stories__status=StoryStatus.DONE)),
            done_stories=Count("stories", filter=Q(stories__status=StoryStatus.DONE)),
        )
        .order_by("status", "rank", "pk")
    )
    return render(request, "backlog/epic_list.html", {"team": team, "epics": epics, "form": form}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def epic_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    epic = access_epic(request.viewer, pk)
    editable = can_plan(request.viewer, epic.team_id)
    initial = {name: getattr(epic, name) for name in ("title", "theme", "parent", "status", *services.BRIEFING_FIELDS)}
    form = _epic_form(epic.organisation_id, request.POST or None, initial=initial) if editable else None
    status = 200
    if request.method == "POST":
        access_epic(request.viewer, pk, write=True)
        action = request.POST.get("action", "save")
        if action == "link":
            return _epic_link(request, epic)
        if form is None:
            raise PermissionDenied("Only the team's leads change its epics.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.epic_save(
                    organisation=epic.organisation,
                    team=epic.team,
                    title=data.pop("title"),
                    theme=data.pop("theme"),
                    parent=data.pop("parent"),
                    status=data.pop("status"),
                    owner=epic.owner,
                    epic=epic,
                    **data,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, "The mission briefing was saved.")
                return redirect("epic_detail", epic.pk)
        status = 422
    visible = visible_key_results(request.viewer).values("pk")
    links = epic.links.filter(key_result__in=visible).select_related("key_result__objective")
    stories = epic.stories.order_by("rank", "pk")
    return render(
        request,
        "backlog/epic_detail.html",
        {
            "epic": epic,
            "form": form,
            "links": links,
            "stories": stories,
            "can_plan": editable,
            "linkable": selectors.linkable_key_results(request.viewer),
            "children": epic.children.select_related("team"),
            "panels": epic_panels(request.viewer, epic),
        },
        status=status,
    )


def _epic_link(request: AuthedHttpRequest, epic: Epic) -> HttpResponse:
    from backlog.forms import parse_impact

    kr_id = parse_id(request.POST.get("key_result"), field="key_result")
    if request.POST.get("remove"):
        services.unlink_epic(epic=epic, key_result=access_key_result(request.viewer, kr_id or 0))
        return redirect("epic_detail", epic.pk)
    try:
        share, amount = parse_impact(request.POST.get("impact", ""))
        kr = access_key_result(request.viewer, kr_id) if kr_id is not None else None
        if kr is None:
            raise ValidationError({"key_result": "Choose a key result."})
        services.link_epic(epic=epic, key_result=kr, share=share, amount=amount)
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(request, f"“{epic.title}” now serves “{kr.title}”.")
    return redirect("epic_detail", epic.pk)


# --- Roadmap ---------------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def roadmap(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    editable = can_edit_roadmap(viewer)
    objectives = visible_objectives(viewer).exclude(cycle__state=CycleState.CLOSED).order_by("team__name", "title")
    form = ThemeForm(request.POST or None, objectives=objectives) if editable else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only leadership, admins and team leads change the roadmap.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                theme = services.theme_save(
                    organisation=viewer.organisation,
                    title=data["title"],
                    description=data["description"],
                    lane=data["lane"],
                    objectives=data["objectives"],
                    writer=viewer,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Theme “{theme.title}” is on the roadmap.")
                return redirect("roadmap")
        status = 422
    return render(
        request, "backlog/roadmap.html", {**_lanes(viewer), "form": form, "can_edit": editable}, status=status
    )


def _lanes(viewer: Any) -> dict[str, Any]:
    """Each lane's theme cards with live KR health (the statuses of the KRs they serve that the viewer
    may see) and the share of their epics done. A fixed number of queries."""
    themes = list(
        Theme.objects.filter(organisation_id=viewer.organisation_id)
        .annotate(
            epic_count=Count("epics", distinct=True),
            epics_done=Count("epics", filter=Q(epics__status="done"), distinct=True),
        )
        .order_by("position", "pk")
    )
    visible = visible_key_results(viewer).exclude(objective__cycle__state=CycleState.CLOSED)
    health: dict[int, dict[int, Any]] = defaultdict(dict)
    for kr in visible.filter(objective__themes__in=themes).annotate(theme_id=F("objective__themes")):
        health[kr.theme_id][kr.pk] = kr
    for kr in visible.filter(epics__theme__in=themes).annotate(theme_id=F("epics__theme")):
        health[kr.theme_id][kr.pk] = kr
    lanes = []
    for lane in Lane:
        cards = [
            {
                "theme": t,
                "key_results": sorted(health[t.pk].values(), key=lambda k: k.title),
                "done_share": (t.epics_done / t.epic_count) if t.epic_count else None,
            }
            for t in themes
            if t.lane == lane
        ]
        lanes.append({"lane": lane, "cards": cards})
    return {"lanes": lanes}


@member_required
@require_POST
def theme_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move a theme to a lane (buttons, or drag and drop posting the same form), before a theme or last."""
    theme = access_theme(request.viewer, pk, write=True)
    lane = request.POST.get("lane", "")
    before_id = parse_id(request.POST.get("before"), field="before")
    before = access_theme(request.viewer, before_id) if before_id is not None else None
    try:
        services.theme_move(theme=theme, lane=lane, before=before)
    except ValidationError as error:
        message = " ".join(error.messages)
        if request.htmx:
            context = {**_lanes(request.viewer), "can_edit": True, "move_error": message, "error_theme": theme.pk}
            return render(request, "backlog/roadmap.html#board", context, status=422)
        messages.error(request, message)
        return redirect("roadmap")
    if request.htmx:
        return render(request, "backlog/roadmap.html#board", {**_lanes(request.viewer), "can_edit": True})
    return redirect(reverse("roadmap"))
