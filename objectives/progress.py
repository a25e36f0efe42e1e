"""The numbers: progress, expected progress, status, forecast, grade and health lights.

Pure: no ORM, no clock (every date is passed in), no I/O. Every page, API, Celery job and management
command takes its numbers from here; nothing re-implements them in SQL or templates.

Units and conventions
- Progress, expected progress, confidence and grades are floats in [0, 1] (0.64 is shown as "64 %").
- Dates are ``datetime.date`` in the organisation's time zone; a "day" is a calendar day.
- Weights are positive numbers (default 1); a weight-weighted mean ignores members without a value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from statistics import median

STALE_AFTER_DAYS = 14  # a KR of an active cycle whose latest check-in is older than this is stale
EXPECTED_GRACE = 0.1  # while less than 10 % of the cycle has passed, the progress band is on track
STRETCH_SUCCESS = 0.7  # a stretch KR graded 0.7 or more is a success
MIN_FORECAST_POINTS = 3


class Kind(StrEnum):
    METRIC = "metric"
    GUARDRAIL = "guardrail"
    MILESTONE = "milestone"


class Bound(StrEnum):
    """How a guardrail's bound is kept."""

    STAY_ABOVE = "above"  # value ≥ bound keeps it (uptime ≥ 99.95 %)
    STAY_BELOW = "below"  # value ≤ bound keeps it (error rate ≤ 1 %)


class Status(StrEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    STALE = "stale"
    DONE = "done"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.NOT_STARTED: "Not started",
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.OFF_TRACK: "Off track",
    Status.STALE: "Stale",
    Status.DONE: "Done",
}

# Only these three are ranked against each other: "the worse of two bands".
_SEVERITY = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class Direction(StrEnum):
    """Which way is better for a health metric."""

    HIGHER = "higher"
    LOWER = "lower"


def clamp01(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else float(value)


def worse(*statuses: Status | None) -> Status:
    """The worst of on track / at risk / off track among the given bands (None bands are ignored)."""
    bands = [s for s in statuses if s is not None]
    if not bands:
        return Status.ON_TRACK
    return max(bands, key=lambda s: _SEVERITY[s])


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Σ value·weight ÷ Σ weight over the pairs whose value is not None; None when none has a value."""
    total = 0.0
    weights = 0.0
    for value, weight in pairs:
        if value is None or weight <= 0:
            continue
        total += value * weight
        weights += weight
    return total / weights if weights else None


# --- Key result progress -------------------------------------------------------------------------


def check_metric_definition(start: float, target: float) -> None:
    """A metric KR needs a target different from its start: otherwise progress has no scale."""
    if not (math.isfinite(start) and math.isfinite(target)):
        raise ValueError("Start and target must be numbers.")
    if start == target:
        raise ValueError("The target must differ from the start value.")


def is_increasing(start: float, target: float) -> bool:
    """A metric KR increases when its target is above its start (800 ms → 300 ms decreases)."""
    return target > start


def metric_progress(*, start: float, target: float, current: float | None) -> float:
    """(current − start) ÷ (target − start), clamped to [0, 1]; no current value yet counts as the start.

    Works both ways: 800 ms → 300 ms with 350 ms now is (350 − 800) ÷ (300 − 800) = 0.9.
    """
    check_metric_definition(start, target)
    if current is None:
        return 0.0
    return clamp01((current - start) / (target - start))


def guardrail_keeps(value: float, *, bound: float, keep: Bound) -> bool:
    """Whether one value keeps a guardrail's bound (the bound itself keeps it)."""
    return value >= bound if keep == Bound.STAY_ABOVE else value <= bound


def guardrail_progress(*, kept: int, total: int) -> float:
    """The share of this cycle's check-ins whose value kept the bound; 0 before the first check-in."""
    if total < 0 or kept < 0 or kept > total:
        raise ValueError("kept must lie between 0 and total")
    return kept / total if total else 0.0


def milestone_progress(*, done: bool) -> float:
    """0 until done, then 1."""
    return 1.0 if done else 0.0


def aligned_progress(aligned: Iterable[tuple[float | None, float]]) -> float | None:
    """A KR that takes its progress from the objectives aligned to it (its children and contributors):
    the weight-weighted mean of their progress, as (progress, weight) pairs. None when none has progress."""
    return weighted_mean(aligned)


def objective_progress(key_results: Iterable[tuple[float | None, float]]) -> float | None:
    """The weight-weighted mean of its KRs' progress, as (progress, weight) pairs; None without KRs."""
    return weighted_mean(key_results)


def rollup_progress(objectives: Iterable[float | None]) -> float | None:
    """A team's or the company's progress: the plain mean of its objectives' progress (None ignored)."""
    return weighted_mean((p, 1.0) for p in objectives)


# --- Time ----------------------------------------------------------------------------------------


def check_cycle_dates(start: date, end: date) -> None:
    if end <= start:
        raise ValueError("The cycle must end after it starts.")


def expected_progress(*, start: date, end: date, on: date) -> float:
    """The share of the cycle's days elapsed on ``on``, clamped to [0, 1]: (on − start) ÷ (end − start).

    A quarter from 1 Jan to 31 Mar (89 days apart) expects 0.0 on 1 Jan, 45/89 ≈ 0.51 on 15 Feb and
    1.0 from 31 Mar on.
    """
    check_cycle_dates(start, end)
    return clamp01((on - start).days / (end - start).days)


def is_stale(*, last_checkin: date | None, today: date, cycle_active: bool) -> bool:
    """In an active cycle, a latest check-in more than 14 days before today."""
    return cycle_active and last_checkin is not None and (today - last_checkin).days > STALE_AFTER_DAYS


# --- Status --------------------------------------------------------------------------------------


def confidence_band(confidence: float | None) -> Status | None:
    """Below 0.4 off track, below 0.7 at risk, else on track (0.0–0.3 red, 0.4–0.6 amber, 0.7–1.0 green).
    None when no confidence was given."""
    if confidence is None:
        return None
    if not 0 <= confidence <= 1:
        raise ValueError("Confidence lies between 0.0 and 1.0.")
    if confidence < 0.4:
        return Status.OFF_TRACK
    if confidence < 0.7:
        return Status.AT_RISK
    return Status.ON_TRACK


def progress_band(*, progress: float, expected: float) -> Status:
    """r = progress ÷ expected: r ≥ 0.9 on track, r ≥ 0.7 at risk, else off track.
    While expected < 0.1 (the cycle's first tenth) it is on track whatever the progress."""
    if expected < EXPECTED_GRACE:
        return Status.ON_TRACK
    ratio = progress / expected
    if ratio >= 0.9:
        return Status.ON_TRACK
    if ratio >= 0.7:
        return Status.AT_RISK
    return Status.OFF_TRACK


@dataclass(frozen=True)
class KeyResultState:
    """What the status of one KR depends on.

    ``aligned`` marks a KR that takes its progress from aligned objectives (banded like a metric).
    ``latest_kept`` is whether a guardrail's latest value kept its bound. ``kfi_red`` is whether any
    key failure indicator bound to the KR shows a red light.
    """

    kind: Kind
    has_checkin: bool
    progress: float
    expected: float
    confidence: float | None = None
    last_checkin: date | None = None
    today: date | None = None
    cycle_active: bool = True
    done: bool = False
    latest_kept: bool | None = None
    aligned: bool = False
    kfi_red: bool = False


def key_result_status(state: KeyResultState) -> Status:
    """The status of one KR, by these rules in this order:

    1. ``not started`` while it has no check-in (an aligned KR: while none of its aligned objectives has);
    2. ``done`` for a milestone that is done (a finished milestone never goes stale);
    3. ``stale`` in an active cycle when its latest check-in is more than 14 days old;
    4. otherwise the worse of two bands:
       - the confidence band of its latest confidence (below 0.4 off track, below 0.7 at risk);
       - the progress band: metric and aligned KRs by progress ÷ expected (see ``progress_band``);
         a guardrail is on track while its latest value keeps the bound, else off track;
         a milestone has none (confidence alone decides);
    5. a red key failure indicator turns on track into at risk (it never raises a status).
    """
    if not state.has_checkin:
        return Status.NOT_STARTED
    if state.kind == Kind.MILESTONE and state.done:
        return Status.DONE
    if state.today is not None and is_stale(
        last_checkin=state.last_checkin, today=state.today, cycle_active=state.cycle_active
    ):
        return Status.STALE
    band: Status | None
    if state.aligned or state.kind == Kind.METRIC:
        band = progress_band(progress=state.progress, expected=state.expected)
    elif state.kind == Kind.GUARDRAIL:
        band = None if state.latest_kept is None else Status.ON_TRACK if state.latest_kept else Status.OFF_TRACK
    else:
        band = None
    status = worse(confidence_band(state.confidence), band)
    if state.kfi_red and status == Status.ON_TRACK:
        return Status.AT_RISK
    return status


@dataclass(frozen=True)
class KeyResultSummary:
    """One KR as its objective's status sees it."""

    status: Status
    weight: float
    confidence: float | None


def objective_status(*, progress: float | None, expected: float, key_results: Sequence[KeyResultSummary]) -> Status:
    """The status of an objective:

    - ``not started`` while no KR has a check-in (or it has no KRs);
    - ``stale`` when every one of its KRs is stale;
    - otherwise the worse of the progress band on its progress (see ``progress_band``) and the
      confidence band on its KRs' weight-weighted mean confidence.
    """
    started = [kr for kr in key_results if kr.status != Status.NOT_STARTED]
    if not started or progress is None:
        return Status.NOT_STARTED
    if all(kr.status == Status.STALE for kr in key_results):
        return Status.STALE
    mean_confidence = weighted_mean((kr.confidence, kr.weight) for kr in started)
    return worse(progress_band(progress=progress, expected=expected), confidence_band(mean_confidence))


# --- Forecast ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """A trend fitted to a metric KR's check-ins.

    ``value_at_end`` is the projected value on the cycle's last day, ``grade`` its progress (clamped),
    ``reaches_target_on`` the first date the trend meets the target, or None: "not in this cycle".
    ``slope_per_day`` is in the KR's unit per day.
    """

    value_at_end: float
    grade: float
    reaches_target_on: date | None
    slope_per_day: float


def robust_line(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Slope and intercept of Siegel's repeated-median line: for each point the median of its slopes to
    the others, the slope is the median of those; the intercept the median of y − slope·x. Robust to
    outliers (breakdown 50 %), so one bad check-in among three or four does not bend the trend.
    Needs two distinct x values."""
    per_point = []
    for i, (x1, y1) in enumerate(points):
        slopes = [(y2 - y1) / (x2 - x1) for j, (x2, y2) in enumerate(points) if j != i and x2 != x1]
        if slopes:
            per_point.append(median(slopes))
    if not per_point:
        raise ValueError("A trend needs check-ins on at least two different days.")
    slope = median(per_point)
    intercept = median(y - slope * x for x, y in points)
    return slope, intercept


def forecast(
    *, series: Sequence[tuple[date, float]], start: float, target: float, cycle_start: date, cycle_end: date
) -> Forecast | None:
    """The forecast of a metric KR from its check-in series (date, value); None with fewer than three
    check-ins or fewer than two different days.

    The date the target is reached is the first day on which the fitted line meets or passes the
    target, not before the cycle's start; None when the trend never gets there by the cycle's end.
    """
    check_metric_definition(start, target)
    check_cycle_dates(cycle_start, cycle_end)
    if len(series) < MIN_FORECAST_POINTS or len({d for d, _ in series}) < 2:
        return None
    points = [(float((d - cycle_start).days), float(v)) for d, v in series]
    slope, intercept = robust_line(points)
    end_x = (cycle_end - cycle_start).days
    value_at_end = intercept + slope * end_x
    grade = metric_progress(start=start, target=target, current=value_at_end)

    increasing = is_increasing(start, target)
    reached_on: date | None = None
    if (increasing and slope > 0) or (not increasing and slope < 0):
        x = math.ceil((target - intercept) / slope - 1e-9)
        if x <= (cycle_end - cycle_start).days:  # checked before building a date: x may be astronomical
            reached_on = cycle_start + timedelta(days=max(0, x))
    elif (increasing and intercept >= target) or (not increasing and intercept <= target):
        reached_on = cycle_start  # flat or moving away, but already past the target
    return Forecast(value_at_end=value_at_end, grade=grade, reaches_target_on=reached_on, slope_per_day=slope)


# --- Grades and health -----------------------------------------------------------------------------


def default_grade(progress: float) -> float:
    """The grade a KR gets at cycle close unless someone changes it (with a reason): its progress,
    rounded to two decimals."""
    return round(clamp01(progress), 2)


def check_grade(grade: float) -> None:
    if not (math.isfinite(grade) and 0 <= grade <= 1):
        raise ValueError("A grade lies between 0.0 and 1.0.")


def is_stretch(*, key_result_stretch: bool, objective_stretch: bool) -> bool:
    """A KR's effective ambition, the one rule every page, grade, filter and API reads: it is a stretch
    KR when it is marked stretch or its objective is (a stretch objective makes all its KRs stretch)."""
    return key_result_stretch or objective_stretch


def grade_is_success(grade: float, *, stretch: bool) -> bool:
    """0.7 on a stretch KR is success; a committed KR succeeds when it is met (1.0)."""
    check_grade(grade)
    return grade >= STRETCH_SUCCESS if stretch else grade >= 1.0


def check_thresholds(*, direction: Direction, green: float, amber: float) -> None:
    """Higher is better: green ≥ amber. Lower is better: green ≤ amber."""
    if direction == Direction.HIGHER and green < amber:
        raise ValueError("When higher is better, the green threshold must not be below the amber one.")
    if direction == Direction.LOWER and green > amber:
        raise ValueError("When lower is better, the green threshold must not be above the amber one.")


def health_light(*, value: float | None, direction: Direction, green: float, amber: float) -> Light | None:
    """The traffic light of a health metric's latest reading; None before the first reading.

    Higher is better: value ≥ green is green, value ≥ amber is amber, else red.
    Lower is better: value ≤ green is green, value ≤ amber is amber, else red.
    """
    check_thresholds(direction=direction, green=green, amber=amber)
    if value is None:
        return None
    if direction == Direction.HIGHER:
        return Light.GREEN if value >= green else Light.AMBER if value >= amber else Light.RED
    return Light.GREEN if value <= green else Light.AMBER if value <= amber else Light.RED


# --- Heatmap ---------------------------------------------------------------------------------------

_HEAT = {
    Status.OFF_TRACK: 5,
    Status.AT_RISK: 4,
    Status.STALE: 3,
    Status.ON_TRACK: 2,
    Status.DONE: 1,
    Status.NOT_STARTED: 0,
}


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """What a group (a team's objectives, an objective's KRs) shows in a heatmap cell: the worst of its
    members, in this order: off track, at risk, stale (nobody knows: grey), on track, done, not started.
    None for an empty group."""
    members = list(statuses)
    return max(members, key=lambda s: _HEAT[s]) if members else None
