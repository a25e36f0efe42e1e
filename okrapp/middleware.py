"""Attach the viewer (membership and team roles) to every request of a signed-in person; answer input that
okrapp.parsing refused with a 400."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from okrapp.http import Viewer
from okrapp.parsing import BadInput


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


class BadInputMiddleware:
    """Input that okrapp.parsing refused (an id that is not one, a number out of range, a NUL) answers 400
    with the message, like Http404 answers 404: a view parses at its edge and need not catch. An htmx
    request gets the message alone, for the place it swaps into. (The API answers in its own error
    shape: okrapp.api.base.exception_handler.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, BadInput):
            return None
        template = "400.html#message" if getattr(request, "htmx", False) else "400.html"
        return render(request, template, {"message": f"{exception.field}: {exception.message}"}, status=400)
