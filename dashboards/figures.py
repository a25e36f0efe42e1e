"""The cascade's header figures, pure: states in, figures out (no ORM, no clock).

Each figure is computed the same way for today's stored state and for the daily snapshot a week ago,
so "since last week" compares like with like. Private objectives never reach these functions: the
caller leaves them out, so no figure reveals them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from objectives.progress import Status

ON_TRACK = {Status.ON_TRACK, Status.DONE}


@dataclass(frozen=True)
class KeyResultState:
    status: Status
    confidence: float | None


@dataclass(frozen=True)
class Change:
    """A figure now and a week ago (None where there was nothing to count)."""

    now: float | None
    week_ago: float | None

    @property
    def delta(self) -> float | None:
        return None if self.now is None or self.week_ago is None else self.now - self.week_ago


def on_track_share(states: Iterable[KeyResultState]) -> float | None:
    """Share in [0, 1] of the KRs that are on track or done; None without KRs."""
    rows = list(states)
    return sum(1 for s in rows if s.status in ON_TRACK) / len(rows) if rows else None


def mean_confidence(states: Iterable[KeyResultState]) -> float | None:
    """Mean of the confidences people gave; KRs without one are left out; None if nobody gave one."""
    known = [s.confidence for s in states if s.confidence is not None]
    return sum(known) / len(known) if known else None


def stale_count(states: Iterable[KeyResultState]) -> int:
    return sum(1 for s in states if s.status == Status.STALE)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class HeaderFigures:
    key_results: int
    on_track: int
    on_track_share: Change
    confidence: Change
    stale: Change
    checked_in: int
    to_check_in: int
    compliance: Change
    coverage: Change
    stories: int
    linked_stories: int


def header_figures(
    *,
    now: list[KeyResultState],
    week_ago: list[KeyResultState],
    checked_in: tuple[int, int],
    checked_in_last_week: tuple[int, int],
    coverage: tuple[int, int],
    coverage_week_ago: tuple[int, int] | None,
) -> HeaderFigures:
    """``checked_in`` pairs are (KRs checked in, KRs expected to); ``coverage`` pairs are (open stories
    serving a KR, open stories). ``week_ago`` holds the snapshots a week ago of the same KRs (those that
    existed then)."""
    return HeaderFigures(
        key_results=len(now),
        on_track=sum(1 for s in now if s.status in ON_TRACK),
        on_track_share=Change(on_track_share(now), on_track_share(week_ago)),
        confidence=Change(mean_confidence(now), mean_confidence(week_ago)),
        stale=Change(float(stale_count(now)), float(stale_count(week_ago)) if week_ago else None),
        checked_in=checked_in[0],
        to_check_in=checked_in[1],
        compliance=Change(share(*checked_in), share(*checked_in_last_week)),
        coverage=Change(share(*coverage), share(*coverage_week_ago) if coverage_week_ago else None),
        stories=coverage[1],
        linked_stories=coverage[0],
    )
