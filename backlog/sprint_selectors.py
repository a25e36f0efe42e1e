"""Reads of the sprint lifecycle: the completion screen's figures and a team's velocity history. Each a
fixed number of queries, whatever the number of stories or sprints."""

from __future__ import annotations

from dataclasses import dataclass

from backlog import charts, figures
from backlog.models import Sprint, SprintState, Story, StoryStatus
from backlog.sprints import next_planned_sprints

VELOCITY_HISTORY = 8  # bars on the chart; the velocity itself averages the last three


@dataclass(frozen=True)
class Completion:
    """What completing a sprint would store and move: done and not-done points and counts (unestimated
    stories count as 0 points and are counted apart), the unfinished stories and where they may go."""

    done_points: float
    done_count: int
    open_points: float
    open_count: int
    unestimated_open: int
    unfinished: list[Story]
    destinations: list[Sprint]  # the team's planned sprints, soonest first


def sprint_completion(sprint: Sprint) -> Completion:
    """Two queries."""
    stories = list(Story.objects.filter(sprint=sprint).order_by("rank", "pk"))
    done = [s for s in stories if s.status == StoryStatus.DONE]
    unfinished = [s for s in stories if s.status != StoryStatus.DONE]
    return Completion(
        done_points=float(sum(s.points or 0.0 for s in done)),
        done_count=len(done),
        open_points=float(sum(s.points or 0.0 for s in unfinished)),
        open_count=len(unfinished),
        unestimated_open=sum(s.points is None for s in unfinished),
        unfinished=unfinished,
        destinations=next_planned_sprints(sprint),
    )


@dataclass(frozen=True)
class Velocity:
    """The team's completed points per closed sprint (oldest first, the last ``VELOCITY_HISTORY``) and its
    velocity: the mean of the last three (``figures.velocity``, what delivery confidence reads)."""

    history: list[Sprint]
    velocity: float | None
    counted: int
    chart: charts.VelocityChart


def team_velocity(team_id: int, *, current: Sprint | None = None) -> Velocity:
    """One query. Ordered as ``selectors.velocity_inputs`` orders them (by end date), so the figure here is
    the one delivery confidence uses."""
    newest_first = list(
        Sprint.objects.filter(team_id=team_id, state=SprintState.CLOSED).order_by("-end_date", "-pk")[:VELOCITY_HISTORY]
    )
    points = [s.completed_points or 0.0 for s in newest_first]
    velocity = figures.velocity(points)
    counted = min(len(points), figures.VELOCITY_SPRINTS)
    history = list(reversed(newest_first))
    chart = charts.velocity_chart(
        history=[(s.name, s.completed_points or 0.0) for s in history],
        velocity=velocity,
        counted=counted,
        current=current.name if current is not None else None,
    )
    return Velocity(history=history, velocity=velocity, counted=counted, chart=chart)
