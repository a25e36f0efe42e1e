"""Attach the viewer (membership and team roles) to every request of a signed-in person."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from okrapp.http import Viewer


class OrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            # Lazy: pages that never look at the viewer (static files, login) pay no query.
            request.viewer = SimpleLazyObject(lambda: Viewer.load(user))  # type: ignore[attr-defined]
        else:
            request.viewer = None  # type: ignore[attr-defined]
        return self.get_response(request)
