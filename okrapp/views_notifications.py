"""A person's e-mail settings (/profile/notifications/) and the public unsubscribe page of the links
in those e-mails."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from okrapp.decorators import member_required
from okrapp.http import AuthedHttpRequest
from okrapp.models import Membership
from okrapp.unsubscribe import read_token, unsubscribe


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("email_reminders", "email_digest", "email_mentions")
        labels = {
            "email_reminders": "Check-in reminders",
            "email_digest": "Weekly digest",
            "email_mentions": "Mentions",
        }
        help_texts = {
            "email_reminders": "On check-in day, when a key result of yours has no check-in that week.",
            "email_digest": "Monday morning, for team leads and leadership: what moved, risks, blockers.",
            "email_mentions": "When someone mentions you in a comment.",
        }


@member_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthedHttpRequest) -> HttpResponse:
    membership = request.viewer.membership
    form = NotificationSettingsForm(request.POST if request.method == "POST" else None, instance=membership)
    saved = False
    if request.method == "POST" and form.is_valid():
        form.save()
        if not request.htmx:
            messages.success(request, "Notification settings saved.")
            return redirect("notification_settings")
        saved = True
    template = "okrapp/notification_settings.html#settings" if request.htmx else "okrapp/notification_settings.html"
    status = 422 if request.method == "POST" and not saved else 200
    return render(request, template, {"form": form, "saved": saved}, status=status)


# Authenticated by the token's signature, not a session: mail clients' one-click unsubscribe
# (RFC 8058) POSTs without any cookie or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token)
    if found is None:
        return render(request, "okrapp/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        unsubscribe(found)
        done = True
    email = found.membership.user.email
    local, _, domain = email.partition("@")
    context = {"found": found, "done": done, "masked_email": f"{local}@…" if domain else email}
    return render(request, "okrapp/unsubscribe.html", context)
