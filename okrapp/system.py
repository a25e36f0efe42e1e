"""System status: is the scheduler → broker → worker path alive? Read by admins on /system/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from okrapp.models import Heartbeat, JobFailure, JobRun

HEARTBEAT_KEEP = 200  # rows kept; older ones are pruned as new ones arrive
HEARTBEAT_INTERVAL = timedelta(seconds=30)  # keep in step with okrapp/celery.py's beat schedule
FAILURE_KEEP = timedelta(days=30)  # failed jobs older than this are pruned


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
class StatusFact:
    """One line of System status contributed by an app (the core imports none of them)."""

    label: str
    value: str
    note: str = ""
    problem: bool = False


# Apps add their facts here when ready (objectives: the recompute outbox and the last snapshot).
STATUS_PROVIDERS: list[Callable[[], list[StatusFact]]] = []


def register_status_provider(provider: Callable[[], list[StatusFact]]) -> None:
    if provider not in STATUS_PROVIDERS:
        STATUS_PROVIDERS.append(provider)


@dataclass(frozen=True)
class FailureLine:
    task: str
    kind: str
    failed_at: datetime


@dataclass(frozen=True)
class SystemStatus:
    last_beat_at: datetime | None
    last_heartbeat_at: datetime | None
    last_worker: str
    heartbeats_last_hour: int
    queue: QueueDepth
    broker: str
    checked_at: datetime
    jobs: list[JobRun] = field(default_factory=list)
    failures_last_day: int = 0
    recent_failures: list[FailureLine] = field(default_factory=list)
    facts: list[StatusFact] = field(default_factory=list)

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
        jobs=list(JobRun.objects.order_by("name")),
        failures_last_day=JobFailure.objects.filter(failed_at__gte=now - timedelta(days=1)).count(),
        recent_failures=[
            FailureLine(task=f.task, kind=failure_kind(f), failed_at=f.failed_at)
            for f in JobFailure.objects.order_by("-failed_at")[:5]
        ],
        facts=[fact for provider in STATUS_PROVIDERS for fact in provider()],
    )


# --- Scheduled jobs and failures ----------------------------------------------------------------------


def job_record(*, name: str, started_at: datetime, duration: float, summary: str) -> JobRun:
    """Keep the last run of a job (one row per job name)."""
    run, _ = JobRun.objects.update_or_create(
        name=name,
        defaults={
            "started_at": started_at,
            "finished_at": timezone.now(),
            "duration_ms": max(0, round(duration * 1000)),
            "summary": summary[:300],
        },
    )
    return run


def failure_kind(failure: JobFailure) -> str:
    """The exception's class only: the message may name another organisation's rows."""
    return failure.error.split(":", 1)[0]


def job_failure_record(*, task: str, task_id: str, error: str) -> JobFailure:
    failure = JobFailure.objects.create(task=task[:200], task_id=task_id[:64], error=error[:4000])
    JobFailure.objects.filter(failed_at__lt=timezone.now() - FAILURE_KEEP).delete()
    return failure
