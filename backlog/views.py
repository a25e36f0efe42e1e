"""The team backlog: stories with the KRs they serve, coverage, the KR link picker, and the impact ranking.
Thin views: access → form → one service or selector → render (htmx requests get their partial)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from backlog import selectors, services
from backlog.access import access_backlog_team, access_story, can_edit_stories, can_plan, can_see_team
from backlog.assignees import assignable_people
from backlog.forms import LinkForm, StoryForm
from backlog.models import Epic, Sprint, SprintState, Story, StoryStatus
from objectives.access import access_key_result
from objectives.models import CycleState
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.models import Membership, Team
from okrapp.parsing import check_text, parse_id, parse_int
from okrapp.versioning import form_is_current, form_open


def _default_team(request: AuthedHttpRequest) -> Team:
    """The team named by ?team=, else the viewer's first team, else the organisation's first one."""
    viewer = request.viewer
    chosen = parse_id(request.GET.get("team"), field="team")
    if chosen is not None:
        return access_backlog_team(viewer, chosen)
    mine = Team.objects.filter(organisation_id=viewer.organisation_id, pk__in=list(viewer.team_roles)).order_by("name")
    team = mine.first() or Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name").first()
    if team is None or not can_see_team(viewer, team.pk):
        raise Http404("No team yet.")
    return team


def _filters(request: AuthedHttpRequest, query: QueryDict | None = None) -> selectors.BacklogFilters:
    """The page's filters, from its query string (or ``query``: the page a move was made on). An id that
    is not one answers 400 (okrapp.parsing); an id of something the viewer may not see filters like one
    that does not exist: no stories."""
    params = request.GET if query is None else query
    status = params.get("status", "open")
    return selectors.BacklogFilters(
        status=status if status in {"open", "done", "all"} else "open",
        sprint=_id_or_none(params.get("sprint"), field="sprint"),
        key_result=parse_id(params.get("kr"), field="kr"),
        not_linked=params.get("linked") == "no",
        assignee=_id_or_none(params.get("assignee"), field="assignee"),
    )


def _id_or_none(raw: str | None, *, field: str) -> str:
    """A filter that takes an id or "none" (nothing set), as text: "" for any."""
    if raw == "none":
        return raw
    chosen = parse_id(raw, field=field)
    return "" if chosen is None else str(chosen)


def _mine_url(request: AuthedHttpRequest, team: Team) -> str:
    """The "Mine" toggle: the same filters with the assignee set to the viewer (or, when it is, unset)."""
    query = request.GET.copy()
    query["team"] = str(team.pk)
    mine = str(request.viewer.membership.pk)
    if query.get("assignee") == mine:
        query.pop("assignee")
    else:
        query["assignee"] = mine
    return f"{reverse('backlog')}?{query.urlencode()}"


def _story_form(team: Team, data: Any = None, initial: dict[str, Any] | None = None, prefix: str = "") -> StoryForm:
    return StoryForm(
        data,
        initial=initial,
        prefix=prefix or None,
        epics=Epic.objects.filter(organisation_id=team.organisation_id, team=team, status="open").order_by("rank"),
        sprints=Sprint.objects.filter(team=team).exclude(state=SprintState.CLOSED).order_by("start_date"),
        people=assignable_people(team.pk),
    )


def _coverage_context(team: Team, viewer: Any) -> dict[str, Any]:
    open_work = selectors.open_stories(team=team)
    team_krs = selectors.linkable_key_results(viewer).filter(
        objective__team=team, objective__cycle__state=CycleState.ACTIVE
    )
    return {
        "coverage": selectors.coverage_of(open_work),
        "unsupported": list(selectors.unsupported_key_results(team_krs)),
    }


MAX_PAGE = 1_000_000  # far past any backlog's last page (a page past the end shows the last one)


def _page_number(query: QueryDict) -> int:
    return parse_int(query.get("page"), field="page", minimum=1, maximum=MAX_PAGE, default=1) or 1


def _page_urls(params: QueryDict, team: Team, page: selectors.StoryPage) -> dict[str, str]:
    """The previous and next pages' URLs, with the same filters."""
    urls = {}
    for name, number in (("previous", page.number - 1), ("next", page.number + 1)):
        if 1 <= number <= page.pages:
            query = params.copy()
            query["team"] = str(team.pk)
            query["page"] = str(number)
            urls[name] = f"{reverse('backlog')}?{query.urlencode()}"
    return urls


@member_required
def backlog_page(request: AuthedHttpRequest) -> HttpResponse:
    team = _default_team(request)
    viewer = request.viewer
    filters = _filters(request)
    context = {
        "team": team,
        "teams": [
            t
            for t in Team.objects.filter(organisation_id=viewer.organisation_id).order_by("name")
            if can_see_team(viewer, t.pk)
        ],
        "rows": (page := selectors.story_page(viewer, team, filters, page=_page_number(request.GET))).rows,
        "page": page,
        "page_urls": _page_urls(request.GET, team, page),
        "filters": filters,
        "sprints": Sprint.objects.filter(team=team).order_by("-start_date"),
        "filter_krs": selectors.filter_key_results(viewer, team, chosen=filters.key_result),
        "can_edit": can_edit_stories(viewer, team.pk),
        "can_plan": can_plan(viewer, team.pk),
        "form": _story_form(team),
        "status_choices": StoryStatus.choices,
        "people": assignable_people(team.pk),
        "mine_url": _mine_url(request, team),
        "is_mine": filters.assignee == str(viewer.membership.pk),
        "can_order": can_edit_stories(viewer, team.pk) and filters.status != "done",
        "list_query": _list_query(request.GET, team),
        **_coverage_context(team, viewer),
    }
    if request.htmx and request.htmx.target == "story-list":
        return render(request, "backlog/backlog.html#story-list", context)
    return render(request, "backlog/backlog.html", context)


@member_required
@require_POST
def story_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    team = access_backlog_team(request.viewer, pk, write=True)
    form = _story_form(team, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            story = services.story_save(
                organisation=team.organisation,
                team=team,
                title=data["title"],
                points=data["points"],
                status=data["status"],
                epic=data["epic"],
                sprint=data["sprint"],
                description=data["description"],
                assignee=data["assignee"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Story “{story.title}” was added.")
            url = f"{reverse('backlog')}?team={team.pk}"
            # htmx would follow a redirect and swap the whole page into the form's card: load it instead.
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"team": team, "form": form, "can_edit": True}
    template = "backlog/backlog.html#add-story" if request.htmx else "backlog/story_add.html"
    return render(request, template, context, status=422)


def _row_context(request: AuthedHttpRequest, story_pk: int) -> dict[str, Any]:
    story = access_story(request.viewer, story_pk)
    rows = selectors.story_rows(
        request.viewer, story.team, selectors.BacklogFilters(status="all"), story_ids=[story.pk]
    )
    return {
        "row": rows[0],
        "team": story.team,
        "can_edit": can_edit_stories(request.viewer, story.team_id),
        "can_order": can_edit_stories(request.viewer, story.team_id),
        "list_query": _list_query(_current_query(request), story.team),
        "status_choices": StoryStatus.choices,
        **_coverage_context(story.team, request.viewer),
    }


def _current_query(request: AuthedHttpRequest) -> QueryDict:
    """The query string of the page an htmx request came from (its filters), else none."""
    url = request.htmx.current_url if request.htmx else None
    return QueryDict(urlsplit(url).query if url else "")


def _list_query(query: QueryDict, team: Team) -> str:
    """The backlog page's filters as a query string, with its team: where a move returns to."""
    params = query.copy()
    params["team"] = str(team.pk)
    return params.urlencode()


@member_required
@require_POST
def story_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    story = access_story(request.viewer, pk, write=True)
    status = request.POST.get("status", "")
    try:
        services.story_set_status(story=story, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{reverse('backlog')}?team={story.team_id}")
    if request.htmx:
        return render(request, "backlog/backlog.html#story-row-update", _row_context(request, pk))
    return redirect(f"{reverse('backlog')}?team={story.team_id}")


@member_required
@require_http_methods(["GET", "POST"])
def story_link(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The KR picker of a story row: GET searches (?q=) and shows the picker; POST links."""
    story = access_story(request.viewer, pk, write=True)
    candidates = selectors.linkable_key_results(request.viewer)
    raw_query = request.GET.get("q", "") if request.method == "GET" else request.POST.get("q", "")
    query = check_text(raw_query, field="q", max_length=200).strip()
    if query:
        candidates = candidates.filter(title__icontains=query) | candidates.filter(objective__title__icontains=query)
    form = LinkForm(
        request.POST or None, key_results=selectors.linkable_key_results(request.viewer), prefix=f"s{story.pk}"
    )
    if request.method == "POST":
        chosen = parse_id(request.POST.get(f"s{story.pk}-key_result"), field="key_result")
        if chosen is not None:
            access_key_result(request.viewer, chosen)  # a KR one may not see answers 404, as everywhere
        if form.is_valid():
            share, amount = form.cleaned_data["impact"]
            kr = access_key_result(request.viewer, form.cleaned_data["key_result"].pk)
            try:
                services.link_story(story=story, key_result=kr, share=share, amount=amount)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if request.htmx:
                    # The picker sits inside the row: on success the whole row (and the coverage) is redrawn.
                    response = render(request, "backlog/backlog.html#story-row-update", _row_context(request, pk))
                    return reswap(retarget(response, f"#story-{story.pk}"), "outerHTML")
                messages.success(request, f"“{story.title}” now serves “{kr.title}”.")
                return redirect(f"{reverse('backlog')}?team={story.team_id}")
        status = 422
    else:
        status = 200
    context = {
        "story": story,
        "form": form,
        "candidates": candidates.distinct()[:12],
        "query": query,
    }
    if request.htmx and request.htmx.target == f"picker-results-{story.pk}":
        return render(request, "backlog/partials/_link_picker.html#results", context)
    if request.htmx:
        return render(request, "backlog/partials/_link_picker.html", context, status=status)
    return render(request, "backlog/story_link.html", context, status=status)


@member_required
@require_POST
def story_unlink(request: AuthedHttpRequest, pk: int, kr_pk: int) -> HttpResponse:
    story = access_story(request.viewer, pk, write=True)
    kr = access_key_result(request.viewer, kr_pk)
    services.unlink_story(story=story, key_result=kr)
    if request.htmx:
        return render(request, "backlog/backlog.html#story-row-update", _row_context(request, pk))
    return redirect(f"{reverse('backlog')}?team={story.team_id}")


@member_required
@require_http_methods(["GET", "POST"])
def ranked(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Rank by KR impact: the open backlog ordered by expected impact per point, with the reasons; the
    team's planners may accept the order into the backlog rank."""
    team = access_backlog_team(request.viewer, pk)
    rows = selectors.ranked_backlog(team, viewer=request.viewer)
    if request.method == "POST":
        access_backlog_team(request.viewer, pk, plan=True)
        services.stories_rerank(team=team, ordered_ids=[row.story.pk for row in rows])
        messages.success(request, f"The backlog of {team.name} now follows the KR impact order.")
        return redirect(f"{reverse('backlog')}?team={team.pk}")
    return render(
        request,
        "backlog/ranked.html",
        {"team": team, "rows": rows, "can_plan": can_plan(request.viewer, team.pk), "done_status": StoryStatus.DONE},
    )


@member_required
@require_http_methods(["GET", "POST"])
def story_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Change a story: title, points, status, epic, sprint, description (its KR links stay in the row)."""
    story = access_story(request.viewer, pk, write=request.method == "POST")
    editable = can_edit_stories(request.viewer, story.team_id)
    initial = {
        "title": story.title,
        "points": story.points,
        "status": story.status,
        "epic": story.epic,
        "sprint": story.sprint,
        "assignee": story.assignee,
        "description": story.description,
    }
    form = _story_form(story.team, request.POST or None, initial=initial)
    if story.assignee_id is not None:
        # someone who has since left the team keeps the stories already theirs until they are reassigned
        people = form.fields["assignee"]
        people.queryset = people.queryset | Membership.objects.filter(pk=story.assignee_id)  # type: ignore[attr-defined]
    if request.method == "GET":
        form_open(form, story)
    if story.sprint is not None and story.sprint.state == SprintState.CLOSED:
        # a done story may stay in its closed sprint; other closed sprints are not offered
        sprints = form.fields["sprint"]
        sprints.queryset = sprints.queryset | Sprint.objects.filter(pk=story.sprint.pk)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():  # the row stays locked from the version check to the save
                    stored = Story.objects.select_for_update().get(pk=story.pk)
                    current = form_is_current(form, stored, viewer_user_id=request.user.pk)
                    if current:
                        services.story_save(
                            organisation=story.organisation,
                            team=story.team,
                            title=data["title"],
                            points=data["points"],
                            status=data["status"],
                            epic=data["epic"],
                            sprint=data["sprint"],
                            description=data["description"],
                            assignee=data["assignee"],
                            story=story,
                        )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if current:
                    messages.success(request, f"Story “{data['title']}” was saved.")
                    return redirect(f"{reverse('backlog')}?team={story.team_id}#story-{story.pk}")
        status = 422
    return render(
        request, "backlog/story_edit.html", {"story": story, "form": form, "can_edit": editable}, status=status
    )
