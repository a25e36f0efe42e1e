"""The cascade's header figures, by table: pure, no database."""

from __future__ import annotations

import pytest

from dashboards.cascade import toggled
from dashboards.figures import Change, KeyResultState, header_figures, mean_confidence, on_track_share, stale_count
from objectives.progress import Status

S = KeyResultState


@pytest.mark.parametrize(
    ("states", "share", "confidence", "stale"),
    [
        ([], None, None, 0),
        ([S(Status.ON_TRACK, 0.8), S(Status.DONE, None), S(Status.OFF_TRACK, 0.2)], 2 / 3, 0.5, 0),
        ([S(Status.STALE, 0.5), S(Status.STALE, None), S(Status.NOT_STARTED, None)], 0.0, 0.5, 2),
        ([S(Status.AT_RISK, 0.6), S(Status.ON_TRACK, 0.9)], 0.5, 0.75, 0),
    ],
)
def test_kr_figures(states, share, confidence, stale):
    assert on_track_share(states) == share
    got = mean_confidence(states)
    assert (got is None) if confidence is None else got == pytest.approx(confidence)
    assert stale_count(states) == stale


def test_header_figures_compare_with_a_week_ago():
    figures = header_figures(
        now=[S(Status.ON_TRACK, 0.9), S(Status.OFF_TRACK, 0.3), S(Status.STALE, None)],
        week_ago=[S(Status.NOT_STARTED, None), S(Status.ON_TRACK, 0.5)],
        checked_in=(2, 3),
        checked_in_last_week=(3, 3),
        coverage=(3, 4),
        coverage_week_ago=(1, 4),
    )
    assert figures.on_track_share == Change(1 / 3, 0.5)
    assert figures.on_track_share.delta == pytest.approx(-1 / 6)
    assert figures.confidence.now == pytest.approx(0.6) and figures.confidence.week_ago == 0.5
    assert figures.stale == Change(1.0, 0.0)
    assert figures.compliance == Change(2 / 3, 1.0)
    assert figures.coverage == Change(0.75, 0.25)
    assert (figures.key_results, figures.on_track, figures.stories, figures.linked_stories) == (3, 1, 4, 3)


def test_nothing_a_week_ago_has_no_change():
    figures = header_figures(
        now=[S(Status.ON_TRACK, 0.9)],
        week_ago=[],
        checked_in=(0, 0),
        checked_in_last_week=(0, 0),
        coverage=(0, 0),
        coverage_week_ago=None,
    )
    assert figures.on_track_share.delta is None
    assert figures.stale.week_ago is None
    assert figures.compliance.now is None and figures.coverage.now is None


@pytest.mark.parametrize(
    ("tokens", "key", "default_open", "after"),
    [
        (frozenset(), "t3", False, "t3"),  # open a closed team
        (frozenset({"t3", "o9"}), "t3", False, "o9"),  # close it again
        (frozenset(), "c", True, "c!"),  # close the company level, open by default
        (frozenset({"c!"}), "c", True, ""),  # and open it again
        (frozenset({"o9"}), "o12", False, "o12,o9"),
    ],
)
def test_toggled(tokens, key, default_open, after):
    assert toggled(tokens, key, default_open=default_open) == after


@pytest.mark.parametrize(
    ("figure", "kind", "better", "words"),
    [
        (Change(0.51, 0.5), "share", "up", "up 1 pt since a week ago"),
        (Change(0.4, 0.5), "share", "up", "down 10 pts since a week ago"),
        (Change(3.0, 1.0), "count", "down", "up 2 since a week ago"),
        (Change(0.6, 0.6), "confidence", "up", "= same as a week ago"),
        (Change(0.6, None), "confidence", "up", "no figure a week ago"),
        (Change(0.8, 0.9), "previous", "up", "last week 90 %"),
    ],
)
def test_change_in_words(figure, kind, better, words):
    from dashboards.templatetags.cascade_tags import change

    html = str(change(figure, kind, better))
    assert words in html
    if "since" in words:  # never colour alone: an arrow and a word, and good or bad news by direction
        assert ("change-good" in html) == ((words.startswith("up")) == (better == "up"))
