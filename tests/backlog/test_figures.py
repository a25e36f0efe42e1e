"""The backlog's pure figures, by table. Every expected number is worked out by hand beside it."""

from __future__ import annotations

from datetime import date

import pytest

from backlog import figures as f


@pytest.mark.parametrize(
    ("share", "amount", "start", "target", "expected"),
    [
        (0.25, None, 800, 300, 0.25),  # a quarter of the KR, as entered
        (None, -100, 800, 300, 0.2),  # −100 ms of a 500 ms drop: 100 ÷ 500
        (None, 100, 800, 300, 0.2),  # the sign does not matter: |impact|
        (None, 900, 800, 300, 1.0),  # more than the whole KR: capped at 1
        (None, 5, 20, 45, 0.2),  # +5 NPS of 25: 5 ÷ 25
        (None, 1, None, None, 1.0),  # a milestone: the whole KR
        (None, None, 0, 10, 0.0),  # no impact given
    ],
)
def test_impact_share(share, amount, start, target, expected):
    assert f.impact_share(share=share, amount=amount, start=start, target=target) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("share", "amount", "message"),
    [
        (0.5, -100, "not both"),
        (0, None, "between 0"),
        (1.5, None, "between 0"),
        (float("nan"), None, "between 0"),
        (None, 0, "other than zero"),
        (None, float("inf"), "other than zero"),
    ],
)
def test_bad_impacts(share, amount, message):
    with pytest.raises(ValueError, match=message):
        f.check_impact(share=share, amount=amount)


KRS = {
    1: f.KeyResultFacts(title="Latency", weight=1.0, progress=0.5),
    2: f.KeyResultFacts(title="NPS", weight=2.0, progress=0.0),
    3: f.KeyResultFacts(title="Done KR", weight=1.0, progress=1.0),
}


def test_rank_by_impact_per_point_with_epic_shares_spread_by_points():
    stories = [
        f.OpenStory(id=10, points=5, links=((1, 0.4),)),  # 0.4 × 1 × 0.5 = 0.2 → 0.04 per point
        f.OpenStory(id=11, points=2, links=((2, 0.1),)),  # 0.1 × 2 × 1.0 = 0.2 → 0.10 per point
        f.OpenStory(id=12, points=3, epic_id=7),  # epic share 0.5 × 3/4 = 0.375 on KR 2 → 0.75 → 0.25 per point
        f.OpenStory(id=13, points=1, epic_id=7),  # 0.5 × 1/4 = 0.125 × 2 × 1 = 0.25 → 0.25 per point
        f.OpenStory(id=14, points=None, links=((2, 0.5),)),  # unestimated: value 1.0, ranked after
        f.OpenStory(id=15, points=8),  # serves nothing: 0
        f.OpenStory(id=16, points=2, links=((3, 1.0),)),  # a finished KR: 1 − 1 = 0 left to move
    ]
    ranked = f.rank_by_impact(stories, epic_links={7: [(2, 0.5)]}, key_results=KRS)
    assert [r.story_id for r in ranked] == [12, 13, 11, 10, 15, 16, 14]  # ties (12, 13) and (15, 16) keep order
    by_id = {r.story_id: r for r in ranked}
    assert by_id[12].score == pytest.approx(0.25) and by_id[12].value == pytest.approx(0.75)
    assert by_id[13].score == pytest.approx(0.25)
    assert by_id[10].score == pytest.approx(0.04)
    assert by_id[14].score is None and by_id[14].value == pytest.approx(1.0)
    assert by_id[12].reason() == (
        "NPS (through its epic): 38 % of it × weight 2 × 100 % still to go → 0.750, 0.250 per point"
    )
    assert by_id[15].reason() == "Serves no key result."
    assert "not estimated" in by_id[14].reason()


def test_a_kr_linked_to_story_and_epic_counts_once_with_the_larger_share():
    stories = [f.OpenStory(id=1, points=2, epic_id=9, links=((2, 0.1),))]
    [ranked] = f.rank_by_impact(stories, epic_links={9: [(2, 0.3)]}, key_results=KRS)
    assert len(ranked.parts) == 1 and ranked.parts[0].share == pytest.approx(0.3) and ranked.parts[0].via_epic


def test_invisible_krs_are_ignored_when_ranking():
    [ranked] = f.rank_by_impact([f.OpenStory(id=1, points=1, links=((99, 1.0),))], epic_links={}, key_results=KRS)
    assert ranked.value == 0 and ranked.parts == ()


def test_a_reason_names_only_the_key_results_its_reader_may_see():
    stories = [f.OpenStory(id=1, points=2, epic_id=9, links=((1, 0.4),))]
    [ranked] = f.rank_by_impact(stories, epic_links={9: [(2, 0.3)]}, key_results=KRS)
    assert ranked.value == pytest.approx(0.4 * 0.5 + 0.3 * 2)  # both count, whoever reads it
    assert ranked.reason({1}) == (
        "Latency: 40 % of it × weight 1 × 50 % still to go; key results you may not see: 0.600 → 0.800, 0.400 per point"
    )
    assert "NPS" not in ranked.reason(set()) and "Latency" not in ranked.reason(set())
    assert ranked.reason(set()).startswith("key results you may not see: 0.800 →")
    assert ranked.reason({1, 2}) == ranked.reason()


def test_coverage_by_count_and_by_points():
    result = f.coverage(
        [
            f.CoverageItem(id=1, points=5, serves=True),
            f.CoverageItem(id=2, points=3, serves=False),
            f.CoverageItem(id=3, points=None, serves=True),  # counts by count only
            f.CoverageItem(id=4, points=2, serves=True),
        ]
    )
    assert (result.total, result.linked, result.unestimated) == (4, 3, 1)
    assert result.share == pytest.approx(0.75)  # 3 of 4 stories
    assert result.points_share == pytest.approx(0.7)  # (5 + 2) of (5 + 3 + 2) points
    assert result.orphans == (2,)


def test_coverage_of_nothing_is_none_not_zero():
    empty = f.coverage([])
    assert empty.share is None and empty.points_share is None
    unestimated = f.coverage([f.CoverageItem(id=1, points=None, serves=False)])
    assert unestimated.share == 0 and unestimated.points_share is None


@pytest.mark.parametrize(
    ("completed", "sprints", "backlog", "expected"),
    [
        # v = (20 + 30 + 25) ÷ 3 = 25 (a fourth, older sprint is ignored); capacity 25 × 2 = 50;
        # needed: 10 + 20 + 30 up to the KR's last linked story = 60 → 50 ÷ 60
        ([20, 30, 25, 100], 2, [(10, False), (20, True), (30, True), (40, False)], 50 / 60),
        # plenty of room: capped at 1
        ([30], 3, [(10, True)], 1.0),
        # an unestimated story adds nothing to the need
        ([10, 10], 1, [(None, False), (20, True)], 0.5),
    ],
)
def test_delivery_confidence(completed, sprints, backlog, expected):
    result = f.delivery_confidence(completed_points=completed, sprints_remaining=sprints, backlog=backlog)
    assert result is not None and result.value == pytest.approx(expected)


def test_delivery_confidence_shows_its_inputs_and_needs_velocity_and_linked_work():
    result = f.delivery_confidence(
        completed_points=[20, 30, 25, 100], sprints_remaining=2, backlog=[(None, False), (20, True)]
    )
    assert result is not None
    assert (result.velocity, result.sprints_used, result.capacity, result.points_needed, result.unestimated) == (
        25,
        3,
        50,
        20,
        1,
    )
    assert f.delivery_confidence(completed_points=[], sprints_remaining=2, backlog=[(5, True)]) is None
    assert f.delivery_confidence(completed_points=[10], sprints_remaining=2, backlog=[(5, False)]) is None


def test_sprints_left():
    # 23 Nov → 31 Dec is 39 days counting both ends; two-week sprints: 39 ÷ 14 ≈ 2.79
    assert f.sprints_left(today=date(2026, 11, 23), cycle_end=date(2026, 12, 31), sprint_days=14) == pytest.approx(
        39 / 14
    )
    assert f.sprints_left(today=date(2027, 1, 5), cycle_end=date(2026, 12, 31), sprint_days=14) == 0


def test_burndown_ideal_and_actual():
    days = f.burndown(
        start=date(2026, 11, 16),
        end=date(2026, 11, 20),  # five days, four steps: ideal 20, 15, 10, 5, 0
        total_points=20,
        done=[(date(2026, 11, 14), 2), (date(2026, 11, 17), 5), (date(2026, 11, 18), 3)],
        today=date(2026, 11, 18),
    )
    assert [d.ideal for d in days] == [20, 15, 10, 5, 0]
    # done before the start counts on day one: 18; then 13; then 10; nothing known after today
    assert [d.remaining for d in days] == [18, 13, 10, None, None]
    with pytest.raises(ValueError, match="ends on or after"):
        f.burndown(start=date(2026, 11, 20), end=date(2026, 11, 16), total_points=1, done=[], today=date(2026, 11, 20))
