"""Attach the viewer (membership and team roles) to every request of a signed-in person."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from okrapp.http import Viewer


def healthz(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Answer /healthz before ALLOWED_HOSTS and the HTTPS redirect apply: health probes from inside
    the container use 127.0.0.1 over plain HTTP."""
    from django.db import connection

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return HttpResponse("ok", content_type="text/plain")
        return get_response(request)

    return middleware


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
