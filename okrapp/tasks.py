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
