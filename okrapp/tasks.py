"""Celery tasks of the core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task

from okrapp import system


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
