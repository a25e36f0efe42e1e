"""Sprint pages: the team's sprints (plan one), a sprint (its stories, the KRs it serves, the burndown with
scope added, and once complete its velocity and KR delta), start, and the completion screen. Thin views:
access → form → one service or selector → render; htmx requests get their partial."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from backlog import charts, selectors, sprint_selectors, sprints
from backlog.access import access_backlog_team, access_sprint, can_plan
from backlog.forms import SprintForm
from backlog.models import Sprint, SprintReport, SprintState, Story, StoryStatus
from backlog.reports import sprint_report_write
from backlog.sprint_forms import SprintCompleteForm, SprintStoriesForm
from objectives.models import CycleState, KeyResult
from objectives.visibility import visible_key_results
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest, Viewer
from okrapp.timeutil import org_today

ADDABLE_STORIES = 60  # the planning list shows the top of the backlog; the backlog page plans the rest


def _sprint_krs(viewer: Viewer) -> QuerySet[KeyResult]:
    return selectors.linkable_key_results(viewer).filter(objective__cycle__state=CycleState.ACTIVE)


def _done_or_redirect(request: AuthedHttpRequest, url: str) -> HttpResponse:
    # htmx would follow a redirect and swap the whole page into the card: load it instead.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@member_required
@require_http_methods(["GET", "POST"])
def sprint_list(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_backlog_team(request.viewer, pk)
    editable = can_plan(request.viewer, pk)
    form = SprintForm(request.POST or None, key_results=_sprint_krs(request.viewer)) if editable else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the team's leads plan its sprints.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                sprint = sprints.sprint_save(
                    organisation=team.organisation,
                    team=team,
                    name=data["name"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    goal=data["goal"],
                    focus_key_results=data["focus_key_results"],
                    writer=request.viewer,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Sprint “{sprint.name}” was planned: add its stories.")
                return _done_or_redirect(request, sprint_url(sprint))
        status = 422
    if request.htmx and request.method == "POST":
        return render(request, "backlog/sprint_list.html#plan-form", {"team": team, "form": form}, status=status)
    sprints_of_team = Sprint.objects.filter(team=team).annotate(story_count=Count("stories")).order_by("-start_date")
    context = {"team": team, "sprints": sprints_of_team, "form": form}
    return render(request, "backlog/sprint_list.html", context, status=status)


def sprint_url(sprint: Sprint) -> str:
    return reverse("sprint_detail", args=[sprint.pk])


def _addable(sprint: Sprint) -> QuerySet[Story]:
    """Open stories of the sprint's team not in it nor in a completed sprint, in backlog order."""
    return (
        Story.objects.filter(team_id=sprint.team_id)
        .exclude(status=StoryStatus.DONE)
        .exclude(sprint=sprint)
        .exclude(sprint__state=SprintState.CLOSED)
        .select_related("sprint")
        .order_by("rank", "pk")
    )


@member_required
@require_http_methods(["GET", "POST"])
def sprint_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A sprint: planning (add stories; the KRs its stories serve), the burndown with the focus KRs and
    the scope added after the start, and once complete its velocity and KR delta report. POST adds
    stories (the team's leads)."""
    sprint = access_sprint(request.viewer, pk, write=request.method == "POST")
    editable = can_plan(request.viewer, sprint.team_id) and sprint.state != SprintState.CLOSED
    addable = _addable(sprint)
    data = request.POST if request.method == "POST" else None  # an empty POST is still a submission
    form = SprintStoriesForm(data, stories=addable) if editable else None
    status = 200
    if request.method == "POST":
        if form is None:  # a lead, but the sprint is complete
            messages.error(request, "That sprint is complete: plan the stories into the next one.")
        elif form.is_valid():
            try:
                moved = sprints.sprint_add_stories(sprint=sprint, stories=form.cleaned_data["stories"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                added = " (scope added after the start)" if sprint.state == SprintState.ACTIVE else ""
                messages.success(request, f"{moved} stor{'y' if moved == 1 else 'ies'} added to {sprint.name}{added}.")
                return _done_or_redirect(request, sprint_url(sprint))
        status = 422
    context = {**_detail_context(request.viewer, sprint), "form": form, "addable_count": addable.count()}
    if form is not None:
        form.fields["stories"].queryset = addable[:ADDABLE_STORIES]  # type: ignore[attr-defined]
    if request.htmx and request.method == "POST":
        return render(request, "backlog/sprint_detail.html#add-stories", context, status=status)
    return render(request, "backlog/sprint_detail.html", context, status=status)


def _detail_context(viewer: Viewer, sprint: Sprint) -> dict[str, Any]:
    today = org_today(viewer.organisation)
    stories = list(Story.objects.filter(sprint=sprint).select_related("epic").order_by("rank", "pk"))
    rows = selectors.story_rows(viewer, sprint.team, selectors.BacklogFilters(status="all", sprint=str(sprint.pk)))
    served: dict[int, dict[str, Any]] = {}
    for row in rows:
        for chip in row.chips:
            entry = served.setdefault(chip.key_result.pk, {"key_result": chip.key_result, "points": 0.0, "stories": 0})
            entry["points"] += row.story.points or 0
            entry["stories"] += 1
    focus = list(sprint.focus_key_results.filter(pk__in=visible_key_results(viewer).values("pk")))
    series = selectors.focus_series(sprint, focus)
    chart = charts.burndown_chart(days=selectors.sprint_burndown(sprint, today=today), key_results=series, today=today)
    closed = sprint.state == SprintState.CLOSED
    report = None
    if closed:  # the job writes it after completion; a page opened before the job ran writes it itself
        report = SprintReport.objects.filter(sprint=sprint).first() or sprint_report_write(sprint_id=sprint.pk)
    added_after_start = (
        [s for s in stories if s.sprint_added_at is not None and s.sprint_added_at > sprint.started_at]
        if sprint.started_at is not None
        else []
    )
    return {
        "sprint": sprint,
        "stories": stories,
        "added_ids": {s.pk for s in added_after_start},
        "added_points": sum(s.points or 0 for s in added_after_start),
        "rows": rows,
        "served": sorted(served.values(), key=lambda e: -e["points"]),
        "focus": focus,
        "chart": chart,
        "can_plan": can_plan(viewer, sprint.team_id),
        "points_total": sum(s.points or 0 for s in stories),
        "points_done": sum(s.points or 0 for s in stories if s.status == StoryStatus.DONE),
        "report": report,
        "report_krs": _report_key_results(viewer, report),
        "velocity": sprint_selectors.team_velocity(sprint.team_id, current=sprint) if closed else None,
        "coverage": selectors.coverage_of(selectors.open_stories(sprint=sprint)),
    }


def _report_key_results(viewer: Viewer, report: SprintReport | None) -> list[dict[str, Any]]:
    """The report's KRs the viewer may see, with their titles (a private KR is left out, not counted)."""
    if report is None:
        return []
    titles = dict(
        visible_key_results(viewer).filter(pk__in=[k["id"] for k in report.key_results]).values_list("pk", "title")
    )
    return [{**k, "title": titles[k["id"]]} for k in report.key_results if k["id"] in titles]


@member_required
@require_POST
def sprint_start(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    sprint = access_sprint(request.viewer, pk, write=True)
    try:
        started = sprints.sprint_start(sprint=sprint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Sprint “{started.name}” started with {started.committed_points or 0:g} points committed."
        )
    return redirect("sprint_detail", sprint.pk)


@member_required
@require_http_methods(["GET", "POST"])
def sprint_complete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The completion screen: done and not-done points, and where each unfinished story goes."""
    sprint = access_sprint(request.viewer, pk, write=True)
    if sprint.state != SprintState.ACTIVE and request.method == "GET":
        done = "is complete already" if sprint.state == SprintState.CLOSED else "has not started"
        messages.error(request, f"{sprint.name} {done}: only an active sprint can be completed.")
        return redirect("sprint_detail", sprint.pk)
    completion = sprint_selectors.sprint_completion(sprint)
    form = SprintCompleteForm(
        request.POST if request.method == "POST" else None,
        sprint=sprint,
        unfinished=completion.unfinished,
        destinations=completion.destinations,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sprints.sprint_complete(sprint=sprint, moves=form.moves)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                moved = sum(target is not None for target in form.moves.values())
                messages.success(
                    request,
                    f"Sprint “{sprint.name}” is complete: {completion.done_points:g} points done; "
                    f"{moved} unfinished stor{'y' if moved == 1 else 'ies'} moved to a sprint, "
                    f"{len(form.moves) - moved} back to the backlog.",
                )
                return _done_or_redirect(request, sprint_url(sprint))
        status = 422
    context = {"sprint": sprint, "completion": completion, "form": form}
    template = "backlog/sprint_complete.html#complete-form" if request.htmx else "backlog/sprint_complete.html"
    return render(request, template, context, status=status)
