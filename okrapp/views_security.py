"""Sign-in lockouts and the security log: the answer to a locked sign-in (page or API), the password
reset page within its limits, an admin's unlock on the person's page, and the organisation's security
log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from okrapp import lockout, password_reset, selectors, services
from okrapp.access import access_membership
from okrapp.api.base import error_body
from okrapp.decorators import admin_required
from okrapp.forms import EmailLoginForm, SetPasswordLinkForm
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


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, within ``okrapp.password_reset``'s limits: an account at its limit gets
    no e-mail and the same answer as any other; an address at its limit gets the form again, told (429)."""

    form_class = SetPasswordLinkForm

    def form_valid(self, form: SetPasswordLinkForm) -> HttpResponse:  # type: ignore[override]
        admission = password_reset.password_reset_admit(
            users=list(form.get_users(form.cleaned_data["email"])),
            ip_address=lockout.client_ip(self.request),
            now=timezone.now(),
        )
        if admission.address_limited:
            form.add_error(None, password_reset.ADDRESS_LIMIT_MESSAGE)
            response = self.render_to_response(self.get_context_data(form=form), status=LOCKED_STATUS)
            response["Retry-After"] = str(int(password_reset.WINDOW.total_seconds()))
            return response
        form.recipients = admission.recipients
        return super().form_valid(form)


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
