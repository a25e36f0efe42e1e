"""The recompute outbox: requests written in the writer's transaction, processed after commit.

A write adds ``RecomputeRequest`` rows in its own transaction and, once it commits, publishes one task
with their ids. The task recomputes the upward closure of the objectives they name and deletes the rows
in the same transaction, so a row disappears only when its recompute has committed. When the broker is
down the publish fails after about a second (socket timeouts, no publish retries), the web request goes
on, and the rows wait for the beat job that drains the outbox; a worker killed mid-task leaves its rows
too. Processing is idempotent, so a row processed twice (task and drain at once) costs only time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from objectives.models import KeyResult, RecomputeRequest
from objectives.services.recompute import Change, recompute_objectives

logger = logging.getLogger(__name__)

DRAIN_GRACE = timedelta(seconds=30)  # younger rows are still in their own task's hands
DRAIN_BATCH = 500
GIVE_UP_AFTER = 5  # attempts; after that a row is retried only hourly (it shows as failed on System status)


def recompute_request(
    *, organisation_id: int, objective_ids: Iterable[int] = (), key_result_ids: Iterable[int] = ()
) -> list[int]:
    """Ask for a recompute of these objectives and KRs (and everything above them), in the caller's
    transaction; the task is published after commit. Returns the outbox rows' ids."""
    rows = [RecomputeRequest(organisation_id=organisation_id, objective_id=pk) for pk in set(objective_ids)]
    rows += [RecomputeRequest(organisation_id=organisation_id, key_result_id=pk) for pk in set(key_result_ids)]
    if not rows:
        return []
    ids = [row.pk for row in RecomputeRequest.objects.bulk_create(rows)]
    transaction.on_commit(lambda: publish_recompute(ids))
    return ids


def publish_recompute(request_ids: list[int]) -> bool:
    """Publish the task; when the broker is unreachable, log and leave the rows to the drain."""
    from objectives.tasks import recompute

    try:
        recompute.apply_async(kwargs={"request_ids": request_ids}, retry=False)
    except (BrokerError, OSError) as exc:
        logger.warning("recompute of outbox rows %s not queued (%s); the outbox drain will do it", request_ids, exc)
        return False
    return True


def recompute_process(*, request_ids: Iterable[int], today: date | None = None) -> list[Change]:
    """Recompute what these outbox rows ask for and delete them, all in one transaction. Rows already
    gone (processed by the drain) are skipped. A failure is recorded on the rows and raised."""
    rows = list(
        RecomputeRequest.objects.filter(pk__in=list(request_ids)).values_list("pk", "objective_id", "key_result_id")
    )
    if not rows:
        return []
    ids = [pk for pk, _, _ in rows]
    objective_ids = {objective_id for _, objective_id, _ in rows if objective_id is not None}
    kr_ids = {kr_id for _, _, kr_id in rows if kr_id is not None}
    if kr_ids:
        objective_ids |= set(KeyResult.objects.filter(pk__in=kr_ids).values_list("objective_id", flat=True))
    try:
        with transaction.atomic():
            changes = recompute_objectives(objective_ids=objective_ids, today=today)
            RecomputeRequest.objects.filter(pk__in=ids).delete()
    except Exception as exc:
        RecomputeRequest.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000], last_attempt_at=timezone.now()
        )
        raise
    return changes


def outbox_drain(*, older_than: timedelta = DRAIN_GRACE, today: date | None = None) -> int:
    """Process every outbox row older than ``older_than``, oldest first, in batches; a batch that fails
    is retried row by row so one bad row holds up no other. Returns the rows processed."""
    now = timezone.now()
    done = 0
    failed: set[int] = set()
    while True:
        due = (
            RecomputeRequest.objects.filter(created_at__lte=now - older_than)
            .exclude(pk__in=failed)
            .exclude(attempts__gte=GIVE_UP_AFTER, last_attempt_at__gt=now - timedelta(hours=1))
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        batch = list(due)
        if not batch:
            return done
        try:
            recompute_process(request_ids=batch, today=today)
            done += len(batch)
        except Exception:
            logger.exception("outbox batch failed; retrying its %d rows one by one", len(batch))
            for pk in batch:
                try:
                    recompute_process(request_ids=[pk], today=today)
                    done += 1
                except Exception:
                    logger.exception("outbox row %s failed (kept for a later drain)", pk)
                    failed.add(pk)


def outbox_backlog() -> tuple[int, int, timedelta | None]:
    """Rows waiting, rows that failed at least once, and the age of the oldest."""
    waiting = RecomputeRequest.objects.count()
    failed = RecomputeRequest.objects.filter(attempts__gt=0).count()
    oldest = RecomputeRequest.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return waiting, failed, (timezone.now() - oldest) if oldest else None
