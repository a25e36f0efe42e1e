"""The scheduled jobs of the goals, each recording its last run for System status."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from objectives.models import Objective
from objectives.services import outbox, snapshots
from objectives.services.recompute import recompute_graph
from okrapp.system import job_record

SWEEP = "Sweep"
DRAIN = "Outbox drain"
SNAPSHOTS = "Daily snapshots"


def _timed(name: str, work: Callable[[], tuple[int, str]]) -> int:
    started_at, clock = timezone.now(), time.monotonic()
    count, summary = work()
    job_record(name=name, started_at=started_at, duration=time.monotonic() - clock, summary=summary)
    return count


def sweep(*, today: date | None = None) -> tuple[int, str]:
    """Recompute every open objective, KR and health-metric light; store only what changed."""
    changes = recompute_graph(Objective.objects.all(), today=today, relight=True)
    changed_rows = len({(c.model, c.pk) for c in changes})
    return len(changes), f"{changed_rows} rows changed" if changed_rows != 1 else "1 row changed"


def sweep_job(*, today: date | None = None) -> int:
    return _timed(SWEEP, lambda: sweep(today=today))


def drain_job(*, older_than: timedelta = outbox.DRAIN_GRACE) -> int:
    def work() -> tuple[int, str]:
        done = outbox.outbox_drain(older_than=older_than)
        return done, f"{done} waiting requests recomputed" if done != 1 else "1 waiting request recomputed"

    return _timed(DRAIN, work)


def snapshots_job(*, today: date | None = None) -> int:
    def work() -> tuple[int, str]:
        result = snapshots.snapshots_take(today=today)
        return result.rows, result.describe()

    return _timed(SNAPSHOTS, work)
