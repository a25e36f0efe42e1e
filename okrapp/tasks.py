"""Celery tasks of the core."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from okrapp import system, webhooks


@shared_task(bind=True, acks_late=True, time_limit=30, soft_time_limit=20)
def heartbeat(self: Any) -> None:
    """Record that beat's message reached a worker (idempotent per message: it only adds a row)."""
    sent_at_raw = getattr(self.request, "okrapp_sent_at", None)
    sent_at = datetime.fromisoformat(sent_at_raw) if sent_at_raw else None
    system.heartbeat_record(sent_at=sent_at, worker=self.request.hostname or "unknown worker")


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def send_invitation(self: Any, *, user_id: int, invited_by_id: int, site_url: str) -> None:
    """The welcome e-mail with a set-password link; retried with backoff when the mail server fails."""
    from okrapp.models import User
    from okrapp.services import send_set_password_email

    user = User.objects.filter(pk=user_id, is_active=True).first()
    inviter = User.objects.filter(pk=invited_by_id).first()
    if user is None or inviter is None:
        return  # removed in the meantime: nothing to send
    send_set_password_email(user=user, invited_by=inviter, site_url=site_url)


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=30, max_retries=None)
def deliver_webhook(self: Any, *, delivery_id: int, attempt: int | None = None) -> None:
    """One attempt at a webhook delivery (``attempt``: the attempts made when it was queued); a failed
    attempt is queued again with exponential backoff until ``webhooks.MAX_ATTEMPTS``. Idempotent: a
    finished delivery, or an attempt already made, is not sent again."""
    next_attempt = webhooks.delivery_send(delivery_id=delivery_id, attempt=attempt)
    if next_attempt is not None:
        # Our own counter on the row decides when to stop, so Celery's retry limit is off.
        raise self.retry(
            kwargs={"delivery_id": delivery_id, "attempt": next_attempt.attempts}, countdown=next_attempt.countdown
        )


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def redeliver_webhooks() -> int:
    """Beat runs this every minute: pending deliveries no task took (broker down at commit, a worker
    killed) are queued again; old finished ones are pruned. Returns the deliveries queued."""
    started_at, clock = timezone.now(), time.monotonic()
    result = webhooks.webhooks_redeliver()
    system.job_record(
        name="Webhook redelivery", started_at=started_at, duration=time.monotonic() - clock, summary=result.describe()
    )
    return result.queued
