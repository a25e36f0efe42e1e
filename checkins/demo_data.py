"""Believable check-in history for the demo KRs: up to twelve weeks each, drifting from the start
towards where each KR stands now, with confidence, notes and the odd blocker. A few KRs are left
stale or not started, as in a real company. Idempotent: skipped once any check-in exists."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from checkins.models import CheckIn, MetricReading
from checkins.services import series_summary
from checkins.weeks import week_of
from objectives.models import CycleState, HealthMetric, KeyResult
from objectives.progress import Bound, Kind
from objectives.services.series import key_result_apply_series
from okrapp.models import Organisation

NOT_STARTED = {"Implement offline mode", "AI reconciliation beta live with 10 customers"}
STALE = {"Customers with a success plan", "Offer acceptance rate"}  # last check-in three weeks ago
NOTES = [
    ("Shipped the first improvement behind a flag.", "Roll out to all customers.", ""),
    ("Numbers moved after the release on Tuesday.", "Watch the weekend traffic.", ""),
    ("Slower week: two people out.", "Pair on the open items.", "Waiting on the vendor's API keys."),
    ("Experiment results came in, mostly positive.", "Write up the learnings.", ""),
    ("On plan.", "Keep going.", ""),
]


@transaction.atomic
def load_demo(organisation: Organisation, *, today: date) -> str:
    if CheckIn.objects.filter(organisation=organisation).exists():
        return "Check-ins: already loaded."
    this_week = week_of(today)
    checkins: list[CheckIn] = []
    key_results = list(
        KeyResult.objects.filter(organisation=organisation, objective__cycle__state=CycleState.ACTIVE)
        .select_related("objective__cycle", "owner")
        .exclude(progress_from_aligned=True)
    )
    for kr in key_results:
        if kr.title in NOT_STARTED:
            continue
        rng = random.Random(kr.title)  # noqa: S311 - demo data: the same history on every machine
        cycle = kr.objective.cycle
        first = max(week_of(cycle.start_date), this_week - timedelta(weeks=11))
        last = this_week - timedelta(weeks=3) if kr.title in STALE else this_week
        weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
        confidence = rng.choice([0.5, 0.6, 0.7, 0.8])
        for i, week in enumerate(weeks):
            share = (i + 1) / len(weeks)
            value: float | None = None
            done: bool | None = None
            if kr.kind == Kind.METRIC and kr.start_value is not None and kr.current_value is not None:
                step = kr.start_value + (kr.current_value - kr.start_value) * share
                noise = 0 if week == last else (kr.current_value - kr.start_value) * rng.uniform(-0.08, 0.08)
                value = round(step + noise, 2)
            elif kr.kind == Kind.GUARDRAIL and kr.bound is not None:
                kept = rng.random() > 0.15 or week == last
                wobble = abs(kr.bound) * rng.uniform(0.0005, 0.02)
                above = (kr.bound_keep == Bound.STAY_ABOVE) == kept
                value = round(
                    (
                        kr.current_value
                        if week == last and kr.current_value is not None
                        else kr.bound + wobble
                        if above
                        else kr.bound - wobble
                    ),
                    3,
                )
            else:
                done = False
            confidence = min(1.0, max(0.2, round(confidence + rng.choice([-0.1, 0, 0, 0.1]), 1)))
            changed, nxt, blockers = NOTES[rng.randrange(len(NOTES))]
            checkins.append(
                CheckIn(
                    organisation=organisation,
                    key_result=kr,
                    week=week,
                    value=value,
                    done=done,
                    confidence=confidence,
                    what_changed=changed,
                    next_steps=nxt,
                    blockers=blockers if week == last else "",
                    author=kr.owner,
                )
            )
    CheckIn.objects.bulk_create(checkins)
    for kr in key_results:
        key_result_apply_series(key_result_id=kr.pk, summary=series_summary(kr), today=today)
    readings = _metric_history(organisation, today=today)
    return (
        f"Check-ins: {len(checkins)} over up to twelve weeks for {len(key_results)} key results; "
        f"{readings} health-metric readings."
    )


def _metric_history(organisation: Organisation, *, today: date) -> int:
    """Twelve weekly readings per health metric, wandering towards the latest value it was given (the
    last reading is that value, so its light stays as it is)."""
    rng = random.Random(7)  # noqa: S311 - demo data: the same readings on every machine
    rows = []
    for metric in HealthMetric.objects.filter(organisation=organisation).exclude(latest_value=None):
        latest = metric.latest_value or 0.0
        swing = abs(metric.green_threshold - metric.amber_threshold) or abs(latest) * 0.1 or 1.0
        for weeks_ago in range(11, -1, -1):
            noise = 0.0 if weeks_ago == 0 else rng.uniform(-0.8, 0.8) * swing * (weeks_ago / 11 + 0.3)
            rows.append(
                MetricReading(
                    organisation=organisation,
                    metric=metric,
                    taken_on=today - timedelta(weeks=weeks_ago),
                    value=round(latest + noise, 2),
                    note="" if weeks_ago else "Latest reading",
                )
            )
    MetricReading.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
