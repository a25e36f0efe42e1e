"""What the goals add to System status: the recompute outbox and the daily snapshots."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from objectives.services.outbox import outbox_backlog
from objectives.services.snapshots import last_snapshot_day
from okrapp.system import StatusFact

OUTBOX_LATE = timedelta(minutes=5)  # the drain runs every minute; older rows mean it is not running


def _minutes(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{minutes // 60} hours"


def status_facts() -> list[StatusFact]:
    waiting, failed, oldest = outbox_backlog()
    if waiting:
        value = f"{waiting} recompute request{'s' if waiting != 1 else ''} waiting, the oldest for {_minutes(oldest or timedelta(0))}"
    else:
        value = "Empty: every saved change has been recomputed"
    facts = [
        StatusFact(
            label="Recompute outbox",
            value=value,
            note=f"{failed} failed at least once and will be retried" if failed else "",
            problem=bool(failed) or (oldest is not None and oldest > OUTBOX_LATE),
        )
    ]
    last = last_snapshot_day()
    today = timezone.localdate()
    facts.append(
        StatusFact(
            label="Last daily snapshot",
            value=f"{last:%a %-d %b %Y}" if last else "None yet",
            note="" if last else "taken hourly by beat",
            problem=last is None or (today - last).days > 1,
        )
    )
    return facts
