"""The search box of the page frame: its dropdown (htmx, as one types) and the full results page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards.search import DROPDOWN_LIMIT, MAX_QUERY_LENGTH, PAGE_LIMIT, SearchForm, search
from okrapp.decorators import member_required
from okrapp.http import AuthedHttpRequest


@member_required
@require_GET
def search_page(request: AuthedHttpRequest) -> HttpResponse:
    """GET /search/?q=…: results grouped by kind. An htmx request gets the frame's dropdown. Text past
    the length limit is refused (422) before any query; text without a word explains what to search."""
    form = SearchForm(request.GET)
    dropdown = bool(request.htmx)
    valid = form.is_valid()
    text = form.cleaned_data["q"] if valid else ""
    results = search(request.viewer, text, limit=DROPDOWN_LIMIT if dropdown else PAGE_LIMIT) if valid else None
    context = {"form": form, "results": results, "text": text, "max_length": MAX_QUERY_LENGTH}
    template = "dashboards/search.html#dropdown" if dropdown else "dashboards/search.html"
    return render(request, template, context, status=200 if valid else 422)
