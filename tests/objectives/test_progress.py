"""The numbers, table by table, without a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from objectives import progress as p
from objectives.progress import Bound, Direction, KeyResultState, KeyResultSummary, Kind, Light, Status

Q1_START, Q1_END = date(2026, 1, 1), date(2026, 3, 31)  # 89 days apart
Q1 = {"cycle_start": Q1_START, "cycle_end": Q1_END}


@pytest.mark.parametrize(
    ("start", "target", "current", "expected"),
    [
        (0, 100, 50, 0.5),
        (0, 100, None, 0.0),  # no value yet counts as the start
        (0, 100, -20, 0.0),  # clamped below
        (0, 100, 130, 1.0),  # clamped above
        (800, 300, 350, 0.9),  # decreasing: 800 ms → 300 ms, now 350 ms
        (800, 300, 900, 0.0),  # worse than the start
        (800, 300, 250, 1.0),  # beyond the target
        (20, 45, 32.5, 0.5),
        (-10, 10, 0, 0.5),  # negative start
        (1.5, 1.0, 1.25, 0.5),  # small decreasing
    ],
)
def test_metric_progress(start, target, current, expected):
    assert p.metric_progress(start=start, target=target, current=current) == pytest.approx(expected)


def test_metric_target_equal_to_start_is_refused():
    with pytest.raises(ValueError, match="target must differ"):
        p.metric_progress(start=5, target=5, current=5)


def test_metric_needs_numbers():
    with pytest.raises(ValueError, match="numbers"):
        p.check_metric_definition(float("nan"), 3)


@pytest.mark.parametrize(("start", "target", "up"), [(0, 1, True), (800, 300, False), (-5, -1, True)])
def test_direction_follows_start_and_target(start, target, up):
    assert p.is_increasing(start, target) is up


@pytest.mark.parametrize(
    ("value", "bound", "keep", "kept"),
    [
        (99.97, 99.95, Bound.STAY_ABOVE, True),
        (99.95, 99.95, Bound.STAY_ABOVE, True),  # the bound itself keeps it
        (99.90, 99.95, Bound.STAY_ABOVE, False),
        (0.8, 1.0, Bound.STAY_BELOW, True),
        (1.0, 1.0, Bound.STAY_BELOW, True),
        (1.2, 1.0, Bound.STAY_BELOW, False),
    ],
)
def test_guardrail_keeps(value, bound, keep, kept):
    assert p.guardrail_keeps(value, bound=bound, keep=keep) is kept


@pytest.mark.parametrize(("kept", "total", "expected"), [(0, 0, 0.0), (3, 4, 0.75), (4, 4, 1.0), (0, 5, 0.0)])
def test_guardrail_progress(kept, total, expected):
    assert p.guardrail_progress(kept=kept, total=total) == expected


def test_guardrail_progress_rejects_impossible_counts():
    with pytest.raises(ValueError):
        p.guardrail_progress(kept=5, total=4)


def test_milestone_progress():
    assert p.milestone_progress(done=False) == 0.0
    assert p.milestone_progress(done=True) == 1.0


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0.5, 1), (1.0, 1)], 0.75),
        ([(0.5, 1), (1.0, 3)], 0.875),  # weight-weighted
        ([(0.2, 2), (None, 5)], 0.2),  # members without a value are left out
        ([], None),
        ([(None, 1)], None),
        ([(0.4, 0)], None),  # zero weight counts for nothing
    ],
)
def test_objective_and_aligned_progress(pairs, expected):
    assert p.objective_progress(pairs) == (pytest.approx(expected) if expected is not None else None)
    assert p.aligned_progress(pairs) == (pytest.approx(expected) if expected is not None else None)


def test_rollup_is_the_plain_mean_of_objectives():
    assert p.rollup_progress([0.2, 0.4, None, 0.9]) == pytest.approx(0.5)
    assert p.rollup_progress([]) is None


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 12, 1), 0.0),  # before the cycle
        (Q1_START, 0.0),
        (date(2026, 2, 15), 45 / 89),
        (Q1_END, 1.0),
        (date(2026, 5, 1), 1.0),  # after the cycle
    ],
)
def test_expected_progress(on, expected):
    assert p.expected_progress(start=Q1_START, end=Q1_END, on=on) == pytest.approx(expected)


def test_cycle_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after it starts"):
        p.expected_progress(start=Q1_END, end=Q1_START, on=Q1_START)


@pytest.mark.parametrize(
    ("days_ago", "active", "stale"),
    [(14, True, False), (15, True, True), (30, False, False), (0, True, False)],
)
def test_stale(days_ago, active, stale):
    today = date(2026, 2, 20)
    assert p.is_stale(last_checkin=today - timedelta(days=days_ago), today=today, cycle_active=active) is stale


@pytest.mark.parametrize(
    ("confidence", "band"),
    [
        (None, None),
        (0.0, Status.OFF_TRACK),
        (0.39, Status.OFF_TRACK),
        (0.4, Status.AT_RISK),
        (0.6, Status.AT_RISK),
        (0.69, Status.AT_RISK),
        (0.7, Status.ON_TRACK),
        (1.0, Status.ON_TRACK),
    ],
)
def test_confidence_band(confidence, band):
    assert p.confidence_band(confidence) == band


@pytest.mark.parametrize("confidence", [-0.1, 1.01])
def test_confidence_outside_zero_one_is_refused(confidence):
    with pytest.raises(ValueError, match=r"between 0\.0 and 1\.0"):
        p.confidence_band(confidence)


@pytest.mark.parametrize(
    ("progress", "expected", "band"),
    [
        (0.0, 0.09, Status.ON_TRACK),  # the cycle's first tenth: on track whatever the progress
        (0.0, 0.1, Status.OFF_TRACK),
        (0.45, 0.5, Status.ON_TRACK),  # r = 0.9 exactly
        (0.44, 0.5, Status.AT_RISK),
        (0.35, 0.5, Status.AT_RISK),  # r = 0.7 exactly
        (0.34, 0.5, Status.OFF_TRACK),
        (1.0, 1.0, Status.ON_TRACK),
        (0.9, 1.0, Status.ON_TRACK),
    ],
)
def test_progress_band(progress, expected, band):
    assert p.progress_band(progress=progress, expected=expected) == band


TODAY = date(2026, 2, 15)


def state(**overrides):
    values = {
        "kind": Kind.METRIC,
        "has_checkin": True,
        "progress": 0.5,
        "expected": 0.5,
        "confidence": 0.8,
        "last_checkin": TODAY - timedelta(days=3),
        "today": TODAY,
        "cycle_active": True,
    }
    values.update(overrides)
    return KeyResultState(**values)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"has_checkin": False}, Status.NOT_STARTED),
        ({}, Status.ON_TRACK),
        ({"confidence": 0.5}, Status.AT_RISK),  # confidence band is worse
        ({"confidence": 0.3}, Status.OFF_TRACK),
        ({"progress": 0.4}, Status.AT_RISK),  # r = 0.8
        ({"progress": 0.3, "confidence": 0.5}, Status.OFF_TRACK),  # the worse of the two
        ({"last_checkin": TODAY - timedelta(days=15)}, Status.STALE),
        ({"last_checkin": TODAY - timedelta(days=15), "cycle_active": False}, Status.ON_TRACK),
        ({"kfi_red": True}, Status.AT_RISK),  # a red KFI caps on track at at risk
        ({"kfi_red": True, "confidence": 0.2}, Status.OFF_TRACK),  # and never raises a status
        ({"confidence": None}, Status.ON_TRACK),  # progress band alone
        ({"kind": Kind.MILESTONE, "progress": 0.0, "confidence": 0.8}, Status.ON_TRACK),  # confidence alone
        ({"kind": Kind.MILESTONE, "progress": 0.0, "confidence": 0.5}, Status.AT_RISK),
        ({"kind": Kind.MILESTONE, "done": True, "progress": 1.0}, Status.DONE),
        ({"kind": Kind.MILESTONE, "done": True, "last_checkin": TODAY - timedelta(days=40)}, Status.DONE),
        ({"kind": Kind.GUARDRAIL, "latest_kept": True, "progress": 0.2}, Status.ON_TRACK),  # not banded by r
        ({"kind": Kind.GUARDRAIL, "latest_kept": False, "progress": 1.0}, Status.OFF_TRACK),
        ({"kind": Kind.GUARDRAIL, "latest_kept": True, "confidence": 0.5}, Status.AT_RISK),
        ({"kind": Kind.GUARDRAIL, "aligned": True, "progress": 0.3}, Status.OFF_TRACK),  # aligned bands by r
        ({"expected": 0.05, "progress": 0.0}, Status.ON_TRACK),
    ],
)
def test_key_result_status(overrides, status):
    assert p.key_result_status(state(**overrides)) == status


def summary(status, weight=1.0, confidence=0.8):
    return KeyResultSummary(status=status, weight=weight, confidence=confidence)


@pytest.mark.parametrize(
    ("progress", "expected", "krs", "status"),
    [
        (None, 0.5, [], Status.NOT_STARTED),
        (0.0, 0.5, [summary(Status.NOT_STARTED, confidence=None)], Status.NOT_STARTED),
        (0.5, 0.5, [summary(Status.STALE), summary(Status.STALE)], Status.STALE),
        (0.5, 0.5, [summary(Status.STALE), summary(Status.ON_TRACK)], Status.ON_TRACK),
        (
            0.5,
            0.5,
            [summary(Status.ON_TRACK, confidence=0.8), summary(Status.AT_RISK, confidence=0.6)],
            Status.ON_TRACK,
        ),
        # mean confidence weighted: (0.8·1 + 0.3·3) ÷ 4 = 0.425 → at risk
        (0.5, 0.5, [summary(Status.ON_TRACK, 1, 0.8), summary(Status.OFF_TRACK, 3, 0.3)], Status.AT_RISK),
        (0.2, 0.5, [summary(Status.ON_TRACK)], Status.OFF_TRACK),  # r = 0.4
        (0.4, 0.5, [summary(Status.ON_TRACK)], Status.AT_RISK),  # r = 0.8
    ],
)
def test_objective_status(progress, expected, krs, status):
    assert p.objective_status(progress=progress, expected=expected, key_results=krs) == status


def series(*pairs):
    return [(Q1_START + timedelta(days=d), v) for d, v in pairs]


def test_forecast_needs_three_checkins():
    assert p.forecast(series=series((0, 800), (7, 700)), start=800, target=300, **Q1) is None
    same_day = series((7, 800), (7, 700), (7, 650))
    assert p.forecast(series=same_day, start=800, target=300, **Q1) is None


def test_forecast_of_a_straight_line():
    # 0 → 100 over the quarter, +1 a day: reaches 89 on the last day, never 100 in the cycle.
    f = p.forecast(series=series((0, 0), (10, 10), (20, 20), (30, 30)), start=0, target=100, **Q1)
    assert f is not None
    assert f.slope_per_day == pytest.approx(1.0)
    assert f.value_at_end == pytest.approx(89.0)
    assert f.grade == pytest.approx(0.89)
    assert f.reaches_target_on is None  # "not in this cycle"


def test_forecast_of_a_decreasing_metric_reaches_the_target():
    # 800 ms → 300 ms, falling 10 ms a day: 300 is reached on day 50 (20 Feb).
    f = p.forecast(
        series=series((0, 800), (7, 730), (14, 660), (21, 590)),
        start=800,
        target=300,
        cycle_start=Q1_START,
        cycle_end=Q1_END,
    )
    assert f is not None
    assert f.reaches_target_on == date(2026, 2, 20)
    assert f.value_at_end == pytest.approx(800 - 890)
    assert f.grade == 1.0


def test_forecast_is_robust_to_one_outlier():
    clean = series((0, 0), (7, 7), (14, 14), (21, 21), (28, 28), (35, 35))
    spiked = series((0, 0), (7, 7), (14, 500), (21, 21), (28, 28), (35, 35))
    a = p.forecast(series=clean, start=0, target=100, **Q1)
    b = p.forecast(series=spiked, start=0, target=100, **Q1)
    assert a is not None and b is not None
    assert b.slope_per_day == pytest.approx(a.slope_per_day)
    assert b.value_at_end == pytest.approx(a.value_at_end)


def test_forecast_moving_away_never_reaches():
    f = p.forecast(series=series((0, 50), (7, 45), (14, 40)), start=50, target=100, **Q1)
    assert f is not None and f.reaches_target_on is None and f.grade == 0.0


def test_forecast_already_past_the_target_and_flat():
    f = p.forecast(series=series((0, 120), (7, 120), (14, 120)), start=50, target=100, **Q1)
    assert f is not None and f.reaches_target_on == Q1_START and f.grade == 1.0


@pytest.mark.parametrize(("progress", "grade"), [(0.666, 0.67), (1.2, 1.0), (-0.1, 0.0), (0.7, 0.7)])
def test_default_grade(progress, grade):
    assert p.default_grade(progress) == grade


@pytest.mark.parametrize(
    ("grade", "stretch", "success"),
    [(0.7, True, True), (0.69, True, False), (0.7, False, False), (1.0, False, True), (0.0, True, False)],
)
def test_grade_success(grade, stretch, success):
    assert p.grade_is_success(grade, stretch=stretch) is success


@pytest.mark.parametrize("grade", [-0.01, 1.01, float("nan")])
def test_grade_outside_zero_one_is_refused(grade):
    with pytest.raises(ValueError):
        p.grade_is_success(grade, stretch=True)


@pytest.mark.parametrize(
    ("value", "direction", "green", "amber", "light"),
    [
        (None, Direction.HIGHER, 80, 60, None),
        (85, Direction.HIGHER, 80, 60, Light.GREEN),
        (80, Direction.HIGHER, 80, 60, Light.GREEN),
        (70, Direction.HIGHER, 80, 60, Light.AMBER),
        (60, Direction.HIGHER, 80, 60, Light.AMBER),
        (59.9, Direction.HIGHER, 80, 60, Light.RED),
        (120, Direction.LOWER, 150, 200, Light.GREEN),
        (150, Direction.LOWER, 150, 200, Light.GREEN),
        (180, Direction.LOWER, 150, 200, Light.AMBER),
        (201, Direction.LOWER, 150, 200, Light.RED),
    ],
)
def test_health_light(value, direction, green, amber, light):
    assert p.health_light(value=value, direction=direction, green=green, amber=amber) == light


def test_thresholds_must_agree_with_the_direction():
    with pytest.raises(ValueError, match="higher is better"):
        p.health_light(value=1, direction=Direction.HIGHER, green=50, amber=60)
    with pytest.raises(ValueError, match="lower is better"):
        p.health_light(value=1, direction=Direction.LOWER, green=60, amber=50)


def test_worse_ranks_bands():
    assert p.worse(Status.ON_TRACK, Status.OFF_TRACK, Status.AT_RISK) == Status.OFF_TRACK
    assert p.worse(None, None) == Status.ON_TRACK
    assert Status.AT_RISK.label == "At risk"


@pytest.mark.parametrize(
    ("value", "text"), [(0.325, "33 %"), (0.645, "65 %"), (0.0, "0 %"), (1.0, "100 %"), (None, "—")]
)
def test_percent_rounds_half_up(value, text):
    from objectives.templatetags.okr_tags import percent

    assert percent(value) == text


def test_objective_is_stale_only_when_all_key_results_are():
    krs = [summary(Status.STALE), summary(Status.NOT_STARTED, confidence=None)]
    assert p.objective_status(progress=0.5, expected=0.5, key_results=krs) != Status.STALE


def test_forecast_robust_to_one_outlier_among_four():
    good = series((0, 800), (7, 780), (14, 760), (21, 740))
    bad = series((0, 800), (7, 780), (14, 760), (21, 100))
    a = p.forecast(series=good, start=800, target=300, **Q1)
    b = p.forecast(series=bad, start=800, target=300, **Q1)
    assert a is not None and b is not None
    assert b.slope_per_day == pytest.approx(a.slope_per_day)
    assert b.reaches_target_on is None and a.reaches_target_on is None


def test_metric_towards_zero():
    assert p.metric_progress(start=5, target=0, current=1) == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("confidence", "text", "css"), [(0.65, "0.65", "risk"), (0.7, "0.7", "ok"), (0.4, "0.4", "risk")]
)
def test_confidence_pill_never_rounds_into_another_band(confidence, text, css):
    from objectives.templatetags.okr_tags import confidence_pill

    pill = confidence_pill(confidence)
    assert (pill["text"], pill["css"]) == (text, css)


def test_forecast_with_a_nearly_flat_trend_does_not_overflow():
    f = p.forecast(series=series((0, 200000), (7, 200000), (14, 200001)), start=0, target=1_000_000, **Q1)
    assert f is not None and f.reaches_target_on is None


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], None),
        (["on_track", "done"], "on_track"),
        (["on_track", "stale"], "stale"),  # nobody knows: grey wins over good news
        (["stale", "at_risk", "on_track"], "at_risk"),
        (["at_risk", "off_track"], "off_track"),
        (["not_started", "done"], "done"),
        (["not_started"], "not_started"),
    ],
)
def test_worst_status_of_a_heatmap_cell(statuses, expected):
    result = p.worst_status(Status(s) for s in statuses)
    assert (result.value if result else None) == expected
