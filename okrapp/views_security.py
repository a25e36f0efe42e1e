"""Sign-in lockouts and the security log: the answer to a locked sign-in (page or API), an admin's
unlock on the person's page, and the organisation's security log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from okrapp import lockout, selectors, services
from okrapp.access import access_membership
from okrapp.api.base import error_body
from okrapp.decorators import admin_required
from okrapp.forms import EmailLoginForm
from okrapp.http import AuthedHttpRequest
from okrapp.models import SecurityEventKind

LOCKED_STATUS = 429


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what a locked account-and-address pair, or a locked address, gets instead
    of the refused login's answer, saying which limit it hit. The API answers its error shape; everything
    else gets the sign-in page with the message, the e-mail kept. 429 with Retry-After either way."""
    refusal = lockout.sign_in_refusal(request)
    message = lockout.lockout_message(refusal.limit if refusal is not None else lockout.SignInLimit.ACCOUNT)
    retry_after = str(lockout.cooloff_minutes() * 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body(message), status=LOCKED_STATUS)
    else:
        email = lockout.attempt_username(request, credentials) or ""
        form = EmailLoginForm(request, initial={"username": email})
        context = {"form": form, "locked_out": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=LOCKED_STATUS)
    response["Retry-After"] = retry_after
    return response


@admin_required
@require_POST
def person_unlock(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.viewer, pk, write=True)
    services.person_sign_in_unlock(
        membership=membership, actor=request.viewer.membership, ip_address=lockout.client_ip(request)
    )
    messages.success(request, f"{membership.user.full_name} can sign in again.")
    return redirect("person_detail", pk=membership.pk)


@admin_required
def security_log(request: AuthedHttpRequest) -> HttpResponse:
    """The organisation's latest security events, newest first, optionally of one kind."""
    kind = request.GET.get("kind", "")
    if kind not in SecurityEventKind.values:
        kind = ""
    events = selectors.security_events(request.viewer.organisation, kind=kind or None)
    context = {
        "events": events,
        "kind": kind,
        "kinds": SecurityEventKind.choices,
        "limit": selectors.SECURITY_LOG_LENGTH,
    }
    return render(request, "okrapp/security_log.html", context)
