"""Celery tasks of the goals: ids in, one service each, idempotent (see DESIGN.md, "Scheduled and
background work"). Beat's schedule lives in ``okrapp/celery.py``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import DatabaseError

from objectives.services import jobs, outbox


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(DatabaseError,),  # a deadlock or a dropped connection: try again a little later
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=6,
)
def recompute(self: Any, *, request_ids: list[int]) -> int:
    """Recompute what these outbox rows ask for (after a write committed); returns the values changed.
    Spent retries leave the rows in the outbox for the drain."""
    return len(outbox.recompute_process(request_ids=request_ids))


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def drain_outbox(*, older_than_seconds: float = outbox.DRAIN_GRACE.total_seconds()) -> int:
    """Beat runs this every minute: the outbox rows no task took care of (broker down, worker killed)."""
    return jobs.drain_job(older_than=timedelta(seconds=older_than_seconds))


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def sweep() -> int:
    """Beat runs this every quarter of an hour: expected progress moves with time, KRs go stale and
    lights follow their readings even when nobody checks in. Returns the values changed."""
    return jobs.sweep_job()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def take_snapshots() -> int:
    """Beat runs this hourly: today's snapshot of every open KR and objective, back-filling missed days."""
    return jobs.snapshots_job()
