"""View guards: a signed-in member of an organisation; a company admin."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    """Signed in, and a member of an organisation; otherwise the login page or a clear 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = getattr(request, "viewer", None)
        if not viewer:  # a lazy object that loaded None is falsy too
            return render(request, "okrapp/no_organisation.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: View) -> View:
    """A company admin; anyone else of the organisation gets 403."""

    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.viewer.is_admin:  # type: ignore[attr-defined]
            raise PermissionDenied("Only company admins can open this page.")
        return view(request, *args, **kwargs)

    return wrapper


def directory_required(view: View) -> View:
    """The company directory (people, the team tree): every member but guests."""

    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.viewer.can_browse_directory:  # type: ignore[attr-defined]
            raise PermissionDenied("Guests see the teams they belong to, not the whole directory.")
        return view(request, *args, **kwargs)

    return wrapper
