"""The backlog's numbers, pure: no ORM, no clock (dates are passed in). See DESIGN.md, "The numbers".

- ``impact_share``: how much of a KR one piece of work is expected to move, in [0, 1];
- ``rank_by_impact``: the open stories ordered by expected KR impact per point, each with its reason;
- ``coverage``: the share of open stories (and of their points) that serve at least one KR;
- ``delivery_confidence``: whether the team's velocity covers the work up to a KR's last linked story;
- ``burndown``: a sprint's ideal and actual remaining points per day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# --- Impact share ----------------------------------------------------------------------------------


def check_impact(*, share: float | None, amount: float | None) -> None:
    """An impact is a share of the KR in (0, 1] or an amount in the KR's unit (not zero), not both."""
    if share is not None and amount is not None:
        raise ValueError("Give the impact either as a share of the key result or in its unit, not both.")
    if share is not None and (not math.isfinite(share) or not 0 < share <= 1):
        raise ValueError("A share of the key result lies between 0 (exclusive) and 1, e.g. 0.25 for a quarter.")
    if amount is not None and (not math.isfinite(amount) or amount == 0):
        raise ValueError("An impact in the key result's unit is a number other than zero, e.g. −100.")


def impact_share(*, share: float | None, amount: float | None, start: float | None, target: float | None) -> float:
    """The share of the KR a link expects to deliver, in [0, 1].

    Given as a share, it is that share (capped at 1). Given in the KR's unit (``−100`` ms on a KR from
    800 ms to 300 ms), it is |amount| ÷ |target − start| capped at 1: 100 ÷ 500 = 0.2. An amount on a KR
    without a start and target (a milestone, a guardrail) counts as the whole KR. No impact given: 0.
    """
    if share is not None:
        return min(1.0, max(0.0, share))
    if amount is None:
        return 0.0
    if start is None or target is None or start == target:
        return 1.0
    return min(1.0, abs(amount) / abs(target - start))


# --- Rank by KR impact -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyResultFacts:
    """What ranking needs of a KR: its weight and progress in [0, 1], and a name for the reason."""

    title: str
    weight: float
    progress: float


@dataclass(frozen=True)
class OpenStory:
    """An open (not done) story: its points (None while unestimated), its epic and its own links as
    (KR id, impact share) pairs."""

    id: int
    points: float | None
    epic_id: int | None = None
    links: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class ReasonPart:
    """One KR's contribution to a story's value: share × weight × (1 − progress)."""

    key_result_id: int
    title: str
    share: float
    weight: float
    remaining: float
    via_epic: bool

    @property
    def value(self) -> float:
        return self.share * self.weight * self.remaining

    def describe(self) -> str:
        via = " (through its epic)" if self.via_epic else ""
        return (
            f"{self.title}{via}: {self.share:.0%} of it × weight {self.weight:g} × {self.remaining:.0%} still to go"
        ).replace("%", " %")


UNNAMED = "key results you may not see"  # the part of a reason that names no KR


@dataclass(frozen=True)
class RankedStory:
    story_id: int
    points: float | None
    value: float
    score: float | None  # value ÷ points; None while unestimated
    parts: tuple[ReasonPart, ...]

    def reason(self, visible: Container[int] | None = None) -> str:
        """The reason in words, for a reader who may see the KRs ``visible`` (None: every KR, for callers
        that show no one). A KR the reader may not see still counts, as it does in the score (the order is
        one order, whoever reads it), but is not named: the parts of such KRs are summed in one part that
        names none of them, so the figures add up and the words hold nothing the reader may not see."""
        if not self.parts:
            return "Serves no key result."
        named = [p for p in self.parts if visible is None or p.key_result_id in visible]
        unnamed = [p for p in self.parts if visible is not None and p.key_result_id not in visible]
        words = [p.describe() for p in named]
        if unnamed:
            words.append(f"{UNNAMED}: {sum(p.value for p in unnamed):.3f}")
        per_point = (
            f"{self.score:.3f} per point" if self.score is not None else "not estimated: ranked after estimated work"
        )
        return f"{'; '.join(words)} → {self.value:.3f}, {per_point}"


def rank_by_impact(
    stories: Sequence[OpenStory],
    *,
    epic_links: Mapping[int, Sequence[tuple[int, float]]],
    key_results: Mapping[int, KeyResultFacts],
) -> list[RankedStory]:
    """Order open stories by expected KR impact per point, highest first.

    A story's value is the sum over its KRs (its own links and its epic's) of impact share × KR weight ×
    (1 − KR progress); an epic's share is spread over the epic's open stories by their points (an
    unestimated story gets none of it). Score = value ÷ points. Stories with points come first by score;
    then those without points by value; ties keep the given (current rank) order. A KR both linked to a
    story and to its epic counts once, with the larger share. KRs not in ``key_results`` (of a private
    objective, or of a closed cycle) are ignored. The order is the same for every reader: a KR of
    another team that a reader may not see counts, and ``RankedStory.reason`` leaves its name out.
    """
    epic_points: dict[int, float] = defaultdict(float)
    for story in stories:
        if story.epic_id is not None and story.points:
            epic_points[story.epic_id] += story.points
    ranked: list[RankedStory] = []
    for story in stories:
        best: dict[int, tuple[float, bool]] = {}
        for kr_id, share in story.links:
            if kr_id in key_results and share > best.get(kr_id, (0.0, False))[0]:
                best[kr_id] = (share, False)
        if story.epic_id is not None and story.points and epic_points[story.epic_id] > 0:
            spread = story.points / epic_points[story.epic_id]
            for kr_id, share in epic_links.get(story.epic_id, ()):
                if kr_id in key_results and share * spread > best.get(kr_id, (0.0, False))[0]:
                    best[kr_id] = (share * spread, True)
        parts = tuple(
            ReasonPart(
                key_result_id=kr_id,
                title=key_results[kr_id].title,
                share=share,
                weight=key_results[kr_id].weight,
                remaining=max(0.0, 1.0 - key_results[kr_id].progress),
                via_epic=via_epic,
            )
            for kr_id, (share, via_epic) in sorted(best.items())
        )
        value = sum(p.value for p in parts)
        score = value / story.points if story.points else None
        ranked.append(RankedStory(story_id=story.id, points=story.points, value=value, score=score, parts=parts))
    order = {r.story_id: i for i, r in enumerate(ranked)}
    return sorted(
        ranked,
        key=lambda r: (r.score is None, -(r.score if r.score is not None else r.value), order[r.story_id]),
    )


# --- Coverage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageItem:
    id: int
    points: float | None
    serves: bool  # serves at least one KR of an active cycle (its own links or its epic's)


@dataclass(frozen=True)
class Coverage:
    total: int
    linked: int
    total_points: float
    linked_points: float
    unestimated: int
    orphans: tuple[int, ...] = field(default=())

    @property
    def share(self) -> float | None:
        """The share of open stories serving a KR; None without open stories."""
        return self.linked / self.total if self.total else None

    @property
    def points_share(self) -> float | None:
        """The share of estimated open points serving a KR; None without estimated stories."""
        return self.linked_points / self.total_points if self.total_points else None


def coverage(items: Iterable[CoverageItem]) -> Coverage:
    """Coverage of open stories: by count (every story) and by points (estimated stories only);
    orphans are the stories serving no KR, in the given order."""
    rows = list(items)
    estimated = [r for r in rows if r.points is not None]
    return Coverage(
        total=len(rows),
        linked=sum(r.serves for r in rows),
        total_points=sum(r.points or 0.0 for r in estimated),
        linked_points=sum(r.points or 0.0 for r in estimated if r.serves),
        unestimated=len(rows) - len(estimated),
        orphans=tuple(r.id for r in rows if not r.serves),
    )


# --- Delivery confidence ---------------------------------------------------------------------------

VELOCITY_SPRINTS = 3


@dataclass(frozen=True)
class DeliveryConfidence:
    """min(1, capacity ÷ points needed), with its inputs for display."""

    value: float
    velocity: float
    sprints_used: int
    sprints_left: float
    capacity: float
    points_needed: float
    unestimated: int


def velocity(completed_points: Sequence[float]) -> float | None:
    """The mean completed points of the last three closed sprints (newest first); None without any."""
    recent = list(completed_points)[:VELOCITY_SPRINTS]
    return sum(recent) / len(recent) if recent else None


def sprints_left(*, today: date, cycle_end: date, sprint_days: int) -> float:
    """How many sprints of ``sprint_days`` fit between today and the cycle's end (fractional, ≥ 0)."""
    if sprint_days <= 0:
        raise ValueError("A sprint lasts at least one day.")
    return max(0.0, ((cycle_end - today).days + 1) / sprint_days)


def delivery_confidence(
    *, completed_points: Sequence[float], sprints_remaining: float, backlog: Sequence[tuple[float | None, bool]]
) -> DeliveryConfidence | None:
    """Whether the team can deliver a KR's linked work in this cycle.

    ``completed_points``: points done in the team's closed sprints, newest first. ``backlog``: the team's
    open stories in rank order as (points, serves this KR). The work needed is every open story up to and
    including the KR's last linked one (what comes before it in rank is done first); unestimated stories
    add nothing and are counted. None without velocity or without linked open work.
    """
    v = velocity(completed_points)
    last = max((i for i, (_, serves) in enumerate(backlog) if serves), default=None)
    if v is None or last is None:
        return None
    needed_rows = backlog[: last + 1]
    needed = sum(points or 0.0 for points, _ in needed_rows)
    capacity = v * sprints_remaining
    value = 1.0 if needed == 0 else min(1.0, capacity / needed)
    return DeliveryConfidence(
        value=value,
        velocity=v,
        sprints_used=min(len(completed_points), VELOCITY_SPRINTS),
        sprints_left=sprints_remaining,
        capacity=capacity,
        points_needed=needed,
        unestimated=sum(points is None for points, _ in needed_rows),
    )


# --- Burndown --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurndownDay:
    day: date
    ideal: float
    remaining: float | None  # None for days still to come
    added: float = 0.0  # points that entered the sprint that day, after its start (scope added)


def burndown(
    *,
    start: date,
    end: date,
    total_points: float,
    done: Iterable[tuple[date, float]],
    today: date,
    added: Iterable[tuple[date, float]] = (),
) -> list[BurndownDay]:
    """Per sprint day: the ideal remaining (a straight line from the points planned at the start on the
    first day to 0 on the last) and the actual remaining (planned plus scope added by the end of that day,
    minus points done by then; none after today). ``total_points`` is all the sprint's points now;
    ``added`` the (day, points) of stories that entered it after its start, which the line steps up by.
    Points done before the sprint started count on its first day."""
    if end < start:
        raise ValueError("A sprint ends on or after the day it starts.")
    done_by_day: dict[date, float] = defaultdict(float)
    for day, points in done:
        done_by_day[max(day, start)] += points
    added_by_day: dict[date, float] = defaultdict(float)
    for day, points in added:
        added_by_day[min(max(day, start), end)] += points
    planned = total_points - sum(added_by_day.values())
    length = (end - start).days
    days: list[BurndownDay] = []
    remaining = planned
    for offset in range(length + 1):
        day = start + timedelta(days=offset)
        step = added_by_day.get(day, 0.0)
        remaining += step - done_by_day.get(day, 0.0)
        ideal = planned * (1 - offset / length) if length else 0.0
        days.append(
            BurndownDay(
                day=day, ideal=ideal, remaining=remaining if day <= today else None, added=step if day <= today else 0.0
            )
        )
    return days
