"""Outbound webhooks: events recorded in the writer's transaction, sent by Celery after commit.

An admin registers a URL for some events (``WebhookEvent``). A write that causes an event calls
``webhook_emit`` inside its own transaction: one ``WebhookDelivery`` row per active webhook of the
organisation subscribed to the event. Once the write commits, a ``deliver_webhook`` task per row is
published; when the broker is down that is logged, the write still succeeds, and the beat job
``redeliver_webhooks`` sends the rows no task took. Callers must never emit anything about a private
objective or its key results: a receiver sees what the whole company may see, no more.

What a receiver gets: ``POST`` with a JSON body
``{"id": <delivery id>, "event": "checkin.saved", "occurred_at": "<ISO 8601>", "organisation": <id>,
"data": {...}}`` and the headers

- ``X-Webhook-Event``: the event, as in the body;
- ``X-Webhook-Delivery``: the delivery id (the same on every retry: use it to drop duplicates);
- ``X-Webhook-Timestamp``: when this attempt was signed, in unix seconds;
- ``X-Webhook-Signature``: ``sha256=`` and the hex HMAC-SHA256 of ``f"{timestamp}.{body}"``, keyed
  with the webhook's secret as shown on its page (the 64 hex characters, as UTF-8 text, not decoded).

How a receiver verifies a delivery (``raw_body`` is the request body exactly as received, in bytes)::

    import hashlib, hmac, time

    def verified(secret: str, headers, raw_body: bytes, tolerance: int = 300) -> bool:
        timestamp = headers["X-Webhook-Timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:
            return False  # too old (or from the future): a replay
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
        return hmac.compare_digest("sha256=" + mac.hexdigest(), headers["X-Webhook-Signature"])

Any 2xx answer counts as delivered. Anything else (another status, a redirect: redirects are not
followed; a timeout after ``TIMEOUT_SECONDS``; a refused connection) is retried with exponential backoff,
``RETRY_BASE_SECONDS`` × 2^(attempt − 1), up to ``MAX_ATTEMPTS`` attempts in all; then the delivery is
failed. Every attempt is recorded on the row: the status, how long it took and an error in words; never
the answer's body.

Deliveries go to public internet addresses only, unless ``settings.WEBHOOKS_ALLOW_INTERNAL``: each
attempt resolves the host again and refuses it if any address is internal (``okrapp.webhook_targets``),
then connects to the address it checked (``okrapp.webhook_transport``). A refused delivery fails at once,
with the reason ("Refused: 127.0.0.1 is a loopback address."), and is not tried again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from okrapp import webhook_transport
from okrapp.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 5
# Seconds before the second attempt; each later wait doubles (30 s → 8 min: about 16 minutes in all).
# Read from the environment so tests (whose worker is another process) can make it short.
RETRY_BASE_SECONDS: int = settings.WEBHOOK_RETRY_BASE_SECONDS
STALE_AFTER = timedelta(minutes=5)  # a pending row no task has touched for this long is sent again
REDELIVER_BATCH = 500
KEEP_FINISHED = timedelta(days=30)  # delivered and failed rows older than this are pruned
ERROR_LIMIT = 500  # characters kept of an error (WebhookDelivery.error)
USER_AGENT = "okrapp-webhooks/1"

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
EVENT_HEADER = "X-Webhook-Event"
DELIVERY_HEADER = "X-Webhook-Delivery"


# --- Signing ---------------------------------------------------------------------------------------


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + hex HMAC-SHA256 of ``b"{timestamp}." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The body sent: compact JSON in UTF-8 (the signature covers these exact bytes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def request_headers(*, delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret=delivery.webhook.secret, timestamp=timestamp, body=body),
    }


# --- Emitting --------------------------------------------------------------------------------------


def webhook_emit(*, organisation_id: int, event: str, data: Mapping[str, Any]) -> list[int]:
    """Record one event for every active webhook of the organisation subscribed to it, in the caller's
    transaction; the deliveries are queued after commit. ``data`` must be JSON-ready (no dates, no
    models). Returns the deliveries' ids (none when nobody listens: one query)."""
    return webhook_emit_many(organisation_id=organisation_id, event=event, items=[data])


def webhook_emit_many(*, organisation_id: int, event: str, items: Sequence[Mapping[str, Any]]) -> list[int]:
    """``webhook_emit`` for several events of one kind at once (a sweep, a cycle close): three queries
    whatever their number."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if not items:
        return []
    hook_ids = list(
        Webhook.objects.filter(organisation_id=organisation_id, active=True, events__contains=[event]).values_list(
            "pk", flat=True
        )
    )
    if not hook_ids:
        return []
    occurred_at = timezone.now().isoformat()
    rows = [
        WebhookDelivery(
            webhook_id=hook_id,
            event=event,
            payload={"event": event, "occurred_at": occurred_at, "organisation": organisation_id, "data": dict(data)},
        )
        for data in items
        for hook_id in hook_ids
    ]
    WebhookDelivery.objects.bulk_create(rows)
    for row in rows:  # the id travels in the body too, so a receiver storing bodies can drop duplicates
        row.payload = {"id": row.pk, **row.payload}
    WebhookDelivery.objects.bulk_update(rows, ["payload"])
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: deliveries_publish([(pk, 0) for pk in ids]))
    return ids


def webhook_listening(*, organisation_ids: Iterable[int], event: str) -> set[int]:
    """Which of these organisations have an active webhook for the event (one query; none if no ids).
    Lets a caller skip building an event's data when nobody would receive it."""
    ids = set(organisation_ids)
    if not ids:
        return set()
    hooks = Webhook.objects.filter(organisation_id__in=ids, active=True, events__contains=[event])
    return set(hooks.values_list("organisation_id", flat=True).distinct())


def deliveries_publish(deliveries: Iterable[tuple[int, int]]) -> int:
    """Queue a task per (delivery id, attempts made). When the broker is unreachable, log it and leave
    the rest to ``redeliver_webhooks`` (one failed publish costs about a second; no more are tried).
    Returns how many were queued."""
    from okrapp.tasks import deliver_webhook

    queued = 0
    for delivery_id, attempt in deliveries:
        try:
            deliver_webhook.apply_async(kwargs={"delivery_id": delivery_id, "attempt": attempt}, retry=False)
        except (BrokerError, OSError) as exc:
            logger.warning("webhook delivery %s not queued (%s); the redelivery job will send it", delivery_id, exc)
            break
        queued += 1
    return queued


# --- Sending ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextAttempt:
    """The delivery is still pending: try again after ``countdown`` seconds, as attempt ``attempts`` + 1."""

    attempts: int
    countdown: int


def retry_countdown(attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts: the base, doubled each time."""
    return RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)


def delivery_send(*, delivery_id: int, attempt: int | None = None) -> NextAttempt | None:
    """Make one attempt at a pending delivery and record it; returns when to try again, if at all.

    Idempotent: a delivered or failed row is never sent again, and with ``attempt`` (the attempts made
    when the message was queued) a second message for the same attempt does nothing. The row stays
    locked while sending (the host's lookup, then up to ``TIMEOUT_SECONDS`` to connect and as long for
    the answer), so a duplicate task skips it rather than sending in parallel; a worker killed midway
    rolls back, and the redelivered message tries again.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return None  # gone, finished, or being sent by another task right now
        if attempt is not None and delivery.attempts != attempt:
            return None  # this attempt was made already (a duplicate message)
        if not delivery.webhook.active:
            delivery.state, delivery.finished_at = DeliveryState.FAILED, timezone.now()
            delivery.error = "Not sent: the webhook was deactivated."
            delivery.save(update_fields=["state", "finished_at", "error"])
            return None
        body = encode_payload(delivery.payload)
        timestamp = int(time.time())
        answer = webhook_transport.deliver(
            delivery.webhook.url,
            body=body,
            headers=request_headers(delivery=delivery, body=body, timestamp=timestamp),
            allow_internal=settings.WEBHOOKS_ALLOW_INTERNAL,  # read now: an override applies at once
            timeout=TIMEOUT_SECONDS,
        )
        delivery.attempts += 1
        delivery.response_status = answer.status
        delivery.duration_ms = answer.duration_ms
        delivery.error = answer.error[:ERROR_LIMIT]
        next_attempt = None
        if answer.ok:
            delivery.state, delivery.finished_at = DeliveryState.DELIVERED, timezone.now()
        elif answer.refused or delivery.attempts >= MAX_ATTEMPTS:  # a refused address stays refused
            delivery.state, delivery.finished_at = DeliveryState.FAILED, timezone.now()
        else:
            next_attempt = NextAttempt(attempts=delivery.attempts, countdown=retry_countdown(delivery.attempts))
        delivery.save(update_fields=["attempts", "response_status", "duration_ms", "error", "state", "finished_at"])
    return next_attempt


# --- The beat job ----------------------------------------------------------------------------------


def redelivery_due_at(*, created_at: datetime, attempts: int) -> datetime:
    """When a pending row with ``attempts`` made is overdue: all its backoff (and timeouts) spent, plus
    ``STALE_AFTER``. Before then its next attempt may still be waiting in the broker."""
    spent = sum(retry_countdown(n) + TIMEOUT_SECONDS for n in range(1, attempts + 1))
    return created_at + timedelta(seconds=spent) + STALE_AFTER


@dataclass(frozen=True)
class Redelivery:
    queued: int
    pruned: int

    def describe(self) -> str:
        sent = (
            f"{self.queued} waiting deliveries queued again" if self.queued != 1 else "1 waiting delivery queued again"
        )
        return f"{sent}, {self.pruned} old deliveries pruned"


def webhooks_redeliver(*, now: datetime | None = None) -> Redelivery:
    """Queue again the pending deliveries no task took (broker down at commit, worker killed, a retry
    that could not be published), oldest first; prune finished rows older than ``KEEP_FINISHED``."""
    now = now or timezone.now()
    rows = (
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, created_at__lte=now - STALE_AFTER)
        .order_by("created_at", "pk")
        .values_list("pk", "attempts", "created_at")[:REDELIVER_BATCH]
    )
    due = [
        (pk, attempts)
        for pk, attempts, created_at in rows
        if now >= redelivery_due_at(created_at=created_at, attempts=attempts)
    ]
    queued = deliveries_publish(due) if due else 0
    pruned, _ = WebhookDelivery.objects.filter(
        state__in=[DeliveryState.DELIVERED, DeliveryState.FAILED], finished_at__lt=now - KEEP_FINISHED
    ).delete()
    return Redelivery(queued=queued, pruned=pruned)


# --- Admin writes and reads ------------------------------------------------------------------------


def access_webhook(organisation_id: int, pk: int) -> Webhook:
    """A webhook of this organisation; another organisation's (or none) is a 404."""
    return get_object_or_404(Webhook.objects.select_related("created_by__user"), organisation_id=organisation_id, pk=pk)


def webhook_create(*, organisation_id: int, url: str, events: Iterable[str], created_by_id: int | None) -> Webhook:
    """Register a URL for some events with a fresh secret (64 hex characters: 256 random bits)."""
    chosen = [event for event in WebhookEvent.values if event in set(events)]  # known ones, in a fixed order
    if not chosen:
        raise ValueError("a webhook needs at least one event")
    return Webhook.objects.create(
        organisation_id=organisation_id,
        url=url,
        events=chosen,
        secret=secrets.token_hex(32),
        created_by_id=created_by_id,
    )


def webhook_set_active(*, webhook: Webhook, active: bool) -> Webhook:
    """Switch a webhook on or off; while off, no event is recorded for it and waiting ones are not sent."""
    webhook.active = active
    webhook.save(update_fields=["active"])
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    """Remove a webhook and its delivery log."""
    webhook.delete()


def event_labels(events: Iterable[str]) -> list[str]:
    """The events' names for people, in the fixed order of ``WebhookEvent`` (unknown values skipped)."""
    chosen = set(events)
    return [label for value, label in WebhookEvent.choices if value in chosen]


@dataclass(frozen=True)
class WebhookRow:
    """A webhook in the list, with its latest delivery's state and time (None: nothing sent yet)."""

    webhook: Webhook
    events: list[str]
    last_state: str | None
    last_attempts: int | None
    last_at: datetime | None


def webhooks_of(organisation_id: int) -> list[WebhookRow]:
    """The organisation's webhooks by URL, each with its latest delivery (one query)."""
    latest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-pk")
    hooks = Webhook.objects.filter(organisation_id=organisation_id).annotate(
        last_state=Subquery(latest.values("state")[:1]),
        last_attempts=Subquery(latest.values("attempts")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )
    return [
        WebhookRow(
            webhook=hook,
            events=event_labels(hook.events),
            last_state=hook.last_state,
            last_attempts=hook.last_attempts,
            last_at=hook.last_at,
        )
        for hook in hooks.order_by("url", "pk")
    ]


def webhook_deliveries(webhook: Webhook, *, limit: int = 50) -> list[WebhookDelivery]:
    """The latest deliveries of a webhook, newest first (one query)."""
    return list(WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-pk")[:limit])
