"""Comment threads (on a key result, a check-in, an epic) and a comment's edit and delete. Thin views:
access → form → service → the thread partial (htmx) or a redirect to the comment (plain POST)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from comments import selectors, services
from comments.access import Target, access_comment, access_target, can_comment, target_of
from comments.forms import CommentForm
from comments.models import Comment
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest, Viewer

THREAD_PAGE = "comments/thread.html"


def thread_context(viewer: Viewer, target: Target, form: CommentForm | None = None) -> dict[str, Any]:
    """What the thread partial needs; panels on other pages use it too."""
    return {
        "target": target,
        "comments": selectors.thread(target),
        "form": (form or CommentForm(auto_id=f"id_{target.kind}_{target.obj.pk}_%s")) if can_comment(viewer) else None,
        "me": viewer.membership.pk,
    }


def _thread(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    target = access_target(request.viewer, kind, pk, write=request.method == "POST")
    form = None
    if request.method == "POST":
        form = CommentForm(request.POST, auto_id=f"id_{target.kind}_{target.obj.pk}_%s")
        if form.is_valid():
            try:
                comment = services.comment_create(
                    author=request.viewer.membership, target=target, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if not request.htmx:
                    return redirect(services.comment_link(comment, target))
                form = None  # a fresh box under the new comment
    status = 422 if form is not None and form.errors else 200
    template = f"{THREAD_PAGE}#thread" if request.htmx else THREAD_PAGE
    return render(request, template, thread_context(request.viewer, target, form), status=status)


@member_required
@require_http_methods(["GET", "POST"])
def key_result_thread(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _thread(request, "key_result", pk)


@member_required
@require_http_methods(["GET", "POST"])
def checkin_thread(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _thread(request, "checkin", pk)


@member_required
@require_http_methods(["GET", "POST"])
def epic_thread(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _thread(request, "epic", pk)


def _comment_partial(request: AuthedHttpRequest, comment: Comment, **extra: Any) -> HttpResponse:
    context = {"comment": comment, "me": request.viewer.membership.pk, "target": target_of(comment), **extra}
    status = 422 if extra.get("form") is not None and extra["form"].errors else 200
    return render(request, "comments/comment_edit.html#comment", context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    comment = access_comment(request.viewer, pk, write=True)
    target = target_of(comment)
    auto_id = f"id_comment_{comment.pk}_%s"
    form = CommentForm(
        request.POST if request.method == "POST" else None, initial={"body": comment.body}, auto_id=auto_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(comment=comment, body=form.cleaned_data["body"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if request.htmx:
                return _comment_partial(request, comment)
            return redirect(services.comment_link(comment, target))
    context = {"comment": comment, "me": request.viewer.membership.pk, "target": target, "form": form}
    status = 422 if request.method == "POST" else 200
    template = "comments/comment_edit.html#comment" if request.htmx else "comments/comment_edit.html"
    return render(request, template, context, status=status)


@member_required
@require_POST
def comment_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    comment = access_comment(request.viewer, pk, write=True)
    services.comment_delete(comment=comment)
    if request.htmx:
        return _comment_partial(request, comment)
    return redirect(services.comment_link(comment, target_of(comment)))
