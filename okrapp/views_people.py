"""People leaving: deactivate (with a confirmation step), reactivate, and hand their work over.
Admins only; another organisation's person answers 404. Thin: access → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from okrapp import lockout, people
from okrapp.access import access_membership
from okrapp.decorators import admin_required
from okrapp.handover import hand_over, handover_groups, requests_from
from okrapp.http import AuthedHttpRequest


def _error_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(m) for e in errors for m in e.messages] for key, errors in error.error_dict.items()}
    return {"__all__": list(error.messages)}


@admin_required
@require_http_methods(["GET", "POST"])
def person_deactivate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm (what they still hold is named by count, so the admin hands it over first);
    POST deactivates."""
    membership = access_membership(request.viewer, pk, write=True)
    errors: list[str] = []
    if request.method == "POST":
        try:
            people.person_deactivate(
                actor=request.viewer.membership,
                membership=membership,
                now=timezone.now(),
                ip_address=lockout.client_ip(request),
            )
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(request, f"{membership.user.full_name} was deactivated and can no longer sign in.")
            return redirect("person_detail", pk=membership.pk)
    held = sum(len(group.items) for group in handover_groups(request.viewer, membership))
    context = {
        "person": membership,
        "errors": errors,
        "held": held,
        "is_self": membership.pk == request.viewer.membership.pk,
    }
    template = "okrapp/person_deactivate.html#confirm" if request.htmx else "okrapp/person_deactivate.html"
    return render(request, template, context, status=422 if errors else 200)


@admin_required
@require_POST
def person_reactivate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.viewer, pk, write=True)
    people.person_reactivate(
        actor=request.viewer.membership, membership=membership, ip_address=lockout.client_ip(request)
    )
    messages.success(request, f"{membership.user.full_name} can sign in again.")
    return redirect("person_detail", pk=membership.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def person_handover(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Everything the person holds that the admin may see, grouped; the selected rows of each group go
    to the person chosen for it, all at once."""
    membership = access_membership(request.viewer, pk, write=True)
    groups = handover_groups(request.viewer, membership)
    errors: dict[str, list[str]] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        asked = requests_from(request.POST, [group.key for group in groups])
        try:
            moved = hand_over(viewer=request.viewer, person=membership, requests=asked)
        except ValidationError as error:
            errors = _error_messages(error)
            posted = {key: {"target": r.target_id, "items": r.item_ids} for key, r in asked.items()}
        else:
            total = sum(moved.values())
            message = f"{total} item{'' if total == 1 else 's'} handed over from {membership.user.full_name}."
            if not request.htmx:
                messages.success(request, message)
                return redirect("person_handover", pk=membership.pk)
            groups = handover_groups(request.viewer, membership)
            posted = {"__done__": message}
    context = {
        "person": membership,
        "groups": _rows(groups, errors, posted),
        "errors": errors.get("__all__", []),
        "done": posted.get("__done__", ""),
        "deactivated": people.is_deactivated(membership),
    }
    template = "okrapp/person_handover.html#handover" if request.htmx else "okrapp/person_handover.html"
    return render(request, template, context, status=422 if errors else 200)


def _rows(groups: list[Any], errors: dict[str, list[str]], posted: dict[str, Any]) -> list[dict[str, Any]]:
    """Each group with its errors and, after a refused POST, what was chosen (kept, so nothing is lost)."""
    rows = []
    for group in groups:
        chosen = posted.get(group.key, {})
        rows.append(
            {
                "group": group,
                "errors": errors.get(group.key, []),
                "target": chosen.get("target"),
                "selected": chosen.get("items", set()),
            }
        )
    return rows


def deactivated_people_filter(status: str) -> dict[str, Any]:
    """The people list's filter: active people by default, deactivated ones on request."""
    return {"deactivated_at__isnull": status != "deactivated"}
