"""The Celery app and the only beat schedule.

Broker: Redis in production and tests, kombu's filesystem transport in the demo (no server needed).
Tasks take ids, are idempotent and are enqueued after commit (see STYLE.md).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.signals import beat_init, before_task_publish, task_failure
from kombu.exceptions import OperationalError as BrokerError

from okrapp.boot import settings_or_exit

settings_or_exit()

from django.conf import settings  # noqa: E402 - only after the settings are known to load

logger = logging.getLogger(__name__)
app = Celery("okrapp")
app.config_from_object("django.conf:settings", namespace="CELERY")

_transport_options: dict[str, Any]
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = settings.BROKER_DIR / "queue"
    _transport_options = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),  # the same folder: producers and consumers meet there
        "processed_folder": str(settings.BROKER_DIR / "processed"),
        "control_folder": str(settings.BROKER_DIR / "control"),  # kombu's default is ./control
        "store_processed": False,
        "bad_folder": str(settings.BROKER_DIR / "bad"),  # malformed message files, set aside with a warning
    }
    # kombu's transport with whole-file writes and malformed messages dropped, never fatal to the worker.
    app.conf.broker_transport = "okrapp.filesystem_broker:Transport"
else:
    # The web request never waits on Redis for long: a down broker costs about a second, not a hang.
    _transport_options = {
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
        "visibility_timeout": 3600,  # above every task's time limit
        "max_retries": 1,
    }

app.conf.update(
    broker_transport_options=_transport_options,
    broker_connection_timeout=1.0,
    broker_connection_retry_on_startup=True,
    result_backend=None,
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_time_limit=300,
    task_soft_time_limit=240,
    worker_prefetch_multiplier=1,
    timezone="UTC",
    beat_schedule={
        "heartbeat": {"task": "okrapp.tasks.heartbeat", "schedule": 30.0},
        # Hourly, so each organisation's check-in day is met in its own time zone; sends once a week.
        "checkin-reminders": {"task": "checkins.tasks.send_checkin_reminders", "schedule": 3600.0},
        "weekly-digest": {"task": "checkins.tasks.send_weekly_digests", "schedule": 3600.0},
        # The recompute outbox: requests whose task never ran (broker down at commit, worker killed).
        "drain-recompute-outbox": {"task": "objectives.tasks.drain_outbox", "schedule": 60.0},
        # Expected progress moves with time, KRs go stale, lights follow readings: all numbers, set-based.
        "sweep": {"task": "objectives.tasks.sweep", "schedule": 900.0},
        # Today's snapshot per organisation (its own time zone); a missed day is back-filled.
        "daily-snapshots": {"task": "objectives.tasks.take_snapshots", "schedule": 3600.0},
        # Webhook deliveries whose task never ran (broker down at commit, worker killed); prunes old ones.
        "redeliver-webhooks": {"task": "okrapp.tasks.redeliver_webhooks", "schedule": 60.0},
    },
)
app.autodiscover_tasks()


@before_task_publish.connect
def stamp_sent_at(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Stamp every message with its publishing time, so a task knows when beat (or a view) sent it."""
    if headers is not None:
        headers.setdefault("okrapp_sent_at", datetime.now(UTC).isoformat())


@task_failure.connect
def record_failure(
    sender: Any = None, task_id: str | None = None, exception: BaseException | None = None, **_: Any
) -> None:
    """A task that failed for good (its retries spent) shows on System status."""
    from okrapp.system import job_failure_record

    job_failure_record(
        task=getattr(sender, "name", str(sender)),
        task_id=task_id or "",
        error=f"{type(exception).__name__}: {exception}" if exception else "unknown error",
    )


@beat_init.connect
def catch_up(sender: Any = None, **_: Any) -> None:
    """When beat (re)starts, sweep, drain and snapshot at once rather than after a full interval: the
    numbers kept moving with the clock while it was down."""
    for task in ("objectives.tasks.drain_outbox", "objectives.tasks.sweep", "objectives.tasks.take_snapshots"):
        try:
            app.send_task(task)
        except BrokerError as exc:  # beat itself retries its schedule; this head start is only a nicety
            logger.warning("could not send %s at beat start: %s", task, exc)
