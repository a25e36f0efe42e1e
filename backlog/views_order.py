"""Ordering the backlog by hand: a drop (the story and the row it landed under or over) or a keyboard
move (to the top, up, down). htmx gets the story list back as it now stands, with the page's filters,
and the move announced; a plain POST returns to the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backlog import ordering, selectors
from backlog.access import access_story, can_edit_stories
from backlog.models import Story, StoryStatus
from backlog.views import _filters, _list_query, _page_number, _page_urls
from okrapp.decorators import member_required
from okrapp.http import AuthedHttpRequest
from okrapp.parsing import BadInput, parse_id

STEP_WORDS = {"top": "to the top", "up": "up", "down": "down"}


def _neighbour(request: AuthedHttpRequest, name: str) -> Story | None:
    try:
        chosen = parse_id(request.POST.get(name), field=name)
    except BadInput:
        raise ValidationError({name: "Name the neighbouring story by its number."}) from None
    # a story one may not see answers 404, as everywhere
    return access_story(request.viewer, chosen) if chosen is not None else None


def _position(story: Story, page: selectors.StoryPage) -> str:
    index = next((i for i, row in enumerate(page.rows) if row.story.pk == story.pk), None)
    return "" if index is None else f" It is now {page.first + index} of {page.total}."


@member_required
@require_POST
def story_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    story = access_story(request.viewer, pk, write=True)
    query = QueryDict(request.POST.get("query", ""))
    list_query = _list_query(query, story.team)
    to = request.POST.get("to", "")
    status = 200
    try:
        if to:
            if to not in ordering.STEPS:
                raise ValidationError({"to": "Move it to the top, up or down."})
            ordering.story_step(story=story, to=to)
            said = f"Moved “{story.title}” {STEP_WORDS[to]}."
        else:
            ordering.story_move(story=story, above=_neighbour(request, "above"), below=_neighbour(request, "below"))
            said = f"Moved “{story.title}”."
    except ValidationError as error:
        said, status = "Not moved: " + " ".join(error.messages), 422
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, said)
        return redirect(f"{reverse('backlog')}?{list_query}#story-{story.pk}")
    filters = _filters(request, query)
    page = selectors.story_page(request.viewer, story.team, filters, page=_page_number(query))
    context: dict[str, Any] = {
        "team": story.team,
        "rows": page.rows,
        "page": page,
        "page_urls": _page_urls(query, story.team, page),
        "filters": filters,
        "can_edit": can_edit_stories(request.viewer, story.team_id),
        "can_order": filters.status != "done",
        "list_query": list_query,
        "status_choices": StoryStatus.choices,
        "order_said": said + (_position(story, page) if status == 200 else ""),
    }
    return render(request, "backlog/partials/_story_order.html#moved", context, status=status)
