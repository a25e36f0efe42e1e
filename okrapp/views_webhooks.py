"""Settings → Webhooks (admins): register URLs for events, see each one's secret and delivery log."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from okrapp import selectors, webhooks
from okrapp.decorators import admin_required
from okrapp.forms_webhooks import WebhookForm
from okrapp.http import AuthedHttpRequest
from okrapp.models import DeliveryState

DELIVERY_LOG_LENGTH = 50


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: AuthedHttpRequest) -> HttpResponse:
    """The organisation's webhooks and the form that adds one; a new webhook opens on its own page,
    where its secret is shown."""
    viewer = request.viewer
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        webhook = webhooks.webhook_create(
            organisation_id=viewer.organisation_id,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            created_by_id=viewer.membership.pk,
        )
        messages.success(request, "Webhook added. Configure its receiver with the secret below.")
        return redirect("webhook_detail", pk=webhook.pk)
    context = {"rows": webhooks.webhooks_of(viewer.organisation_id), "form": form, "now": timezone.now()}
    return render(request, "okrapp/webhook_list.html", context, status=422 if request.method == "POST" else 200)


@admin_required
def webhook_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A webhook's address, events and secret, and its latest deliveries (htmx: the log only)."""
    webhook = webhooks.access_webhook(request.viewer.organisation_id, pk)
    deliveries = webhooks.webhook_deliveries(webhook, limit=DELIVERY_LOG_LENGTH)
    context = {
        "webhook": webhook,
        "host": urlsplit(webhook.url).hostname or webhook.url,
        "events": webhooks.event_labels(webhook.events),
        "deliveries": deliveries,
        "has_pending": any(d.state == DeliveryState.PENDING for d in deliveries),
        "log_length": DELIVERY_LOG_LENGTH,
        "max_attempts": webhooks.MAX_ATTEMPTS,
        "timeout": webhooks.TIMEOUT_SECONDS,
        "allow_internal": settings.WEBHOOKS_ALLOW_INTERNAL,
        "now": timezone.now(),
    }
    template = "okrapp/webhook_detail.html#deliveries" if request.htmx else "okrapp/webhook_detail.html"
    return render(request, template, context)


@admin_required
@require_POST
def webhook_active(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Switch a webhook on (``active=1``) or off (``active=0``)."""
    webhook = webhooks.access_webhook(request.viewer.organisation_id, pk)
    active = request.POST.get("active") == "1"
    webhooks.webhook_set_active(webhook=webhook, active=active)
    if active:
        messages.success(request, "Webhook switched on: new events are sent to it again.")
    else:
        messages.success(request, "Webhook switched off: no events are sent to it until you switch it on.")
    return redirect("webhook_detail", pk=webhook.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """GET names what goes with the webhook (its delivery log, the events still waiting) and asks to
    confirm (htmx: the confirmation only); POST deletes."""
    webhook = webhooks.access_webhook(request.viewer.organisation_id, pk)
    if request.method == "POST":
        url = webhook.url
        webhooks.webhook_delete(webhook=webhook)
        messages.success(request, f"The webhook for {url} and its delivery log were deleted.")
        return redirect("webhook_list")
    context = {
        "webhook": webhook,
        "host": urlsplit(webhook.url).hostname or webhook.url,
        "goes": selectors.webhook_deletion(webhook),
    }
    template = "okrapp/webhook_delete.html#confirm" if request.htmx else "okrapp/webhook_delete.html"
    return render(request, template, context)
