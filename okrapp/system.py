"""System status: is the scheduler → broker → worker path alive? Read by admins on /system/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from okrapp.models import Heartbeat

HEARTBEAT_KEEP = 200  # rows kept; older ones are pruned as new ones arrive
HEARTBEAT_INTERVAL = timedelta(seconds=30)  # keep in step with okrapp/celery.py's beat schedule


def heartbeat_record(*, sent_at: datetime | None, worker: str) -> Heartbeat:
    beat = Heartbeat.objects.create(sent_at=sent_at, received_at=timezone.now(), worker=worker[:200])
    stale_ids = Heartbeat.objects.order_by("-received_at").values_list("pk", flat=True)[HEARTBEAT_KEEP:]
    Heartbeat.objects.filter(pk__in=list(stale_ids)).delete()
    return beat


@dataclass(frozen=True)
class QueueDepth:
    messages: int | None
    error: str = ""


def queue_depth() -> QueueDepth:
    """Messages waiting in the default queue; the broker's failure is reported, never raised."""
    from okrapp.celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
            channel = connection.default_channel
            ok = channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=False, durable=True)
            return QueueDepth(messages=int(ok.message_count))
    except Exception as exc:  # any broker failure is a status to show, not a page crash
        return QueueDepth(messages=None, error=f"{type(exc).__name__}: {exc}"[:300])


@dataclass(frozen=True)
class SystemStatus:
    last_beat_at: datetime | None
    last_heartbeat_at: datetime | None
    last_worker: str
    heartbeats_last_hour: int
    queue: QueueDepth
    broker: str
    checked_at: datetime

    @property
    def healthy(self) -> bool:
        """A heartbeat within three beat intervals and a reachable broker."""
        if self.last_heartbeat_at is None or self.queue.messages is None:
            return False
        return self.checked_at - self.last_heartbeat_at <= 3 * HEARTBEAT_INTERVAL


def system_status() -> SystemStatus:
    now = timezone.now()
    last = Heartbeat.objects.order_by("-received_at").first()
    last_beat = Heartbeat.objects.exclude(sent_at=None).order_by("-sent_at").values_list("sent_at", flat=True).first()
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return SystemStatus(
        last_beat_at=last_beat,
        last_heartbeat_at=last.received_at if last else None,
        last_worker=last.worker if last else "",
        heartbeats_last_hour=Heartbeat.objects.filter(received_at__gte=now - timedelta(hours=1)).count(),
        queue=queue_depth(),
        broker={"filesystem": "filesystem (kombu, no server)", "redis": "Redis", "rediss": "Redis (TLS)"}.get(
            broker, broker
        ),
        checked_at=now,
    )
