"""The sprint burndown with the focus KRs' progress, as geometry for a server-rendered SVG. Pure.

Left axis: remaining points (ideal line dashed, actual line solid). Right axis: 0–100 % progress of
each focus KR, one line per KR from its daily snapshots, on the same days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from backlog.figures import BurndownDay

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 48, 12, 28


@dataclass(frozen=True)
class KeyResultLine:
    title: str
    points: str  # "x,y x,y"
    last: str  # its latest progress, for the legend and the text alternative
    css: str  # colour class: kr-line-1…


@dataclass(frozen=True)
class ScopeMarker:
    """Scope added after the start: where the actual line steps up, with what it says on hover."""

    x: float
    y: float
    label: str  # "5 points added on Tue 3 Mar"


@dataclass(frozen=True)
class BurndownChart:
    width: int
    height: int
    ideal: str
    actual: str
    lines: list[KeyResultLine]
    left_labels: list[tuple[float, str]]
    right_labels: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    today_x: float | None
    description: str
    scope_added: list[ScopeMarker]


def _pct(value: float) -> str:
    return f"{round(value * 100)} %"


def burndown_chart(
    *, days: Sequence[BurndownDay], key_results: Mapping[str, Sequence[tuple[date, float]]], today: date
) -> BurndownChart:
    """``days`` from ``figures.burndown``; ``key_results`` maps a KR's title to its (day, progress 0–1)."""
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    first, last = days[0].day, days[-1].day
    span = max(1, (last - first).days)
    top = max([d.ideal for d in days] + [d.remaining or 0 for d in days] + [1.0])

    def x(day: date) -> float:
        return round(PAD_LEFT + inner_w * (day - first).days / span, 1)

    def y_points(value: float) -> float:
        return round(PAD_TOP + inner_h * (1 - value / top), 1)

    def y_share(value: float) -> float:
        return round(PAD_TOP + inner_h * (1 - max(0.0, min(1.0, value))), 1)

    ideal = " ".join(f"{x(d.day)},{y_points(d.ideal)}" for d in days)
    actual_points: list[str] = []
    markers: list[ScopeMarker] = []
    for d in days:
        if d.remaining is None:
            continue
        if d.added:  # a vertical step up at the day: the remaining before the addition, then after it
            actual_points.append(f"{x(d.day)},{y_points(max(0.0, d.remaining - d.added))}")
            label = f"{d.added:g} point{'s' if d.added != 1 else ''} added on {d.day:%a} {d.day.day} {d.day:%b}"
            markers.append(ScopeMarker(x=x(d.day), y=y_points(d.remaining), label=label))
        actual_points.append(f"{x(d.day)},{y_points(d.remaining)}")
    actual = " ".join(actual_points)
    lines = []
    for index, (title, series) in enumerate(sorted(key_results.items())):
        inside = [(day, p) for day, p in series if first <= day <= last]
        if not inside:
            continue
        lines.append(
            KeyResultLine(
                title=title,
                points=" ".join(f"{x(day)},{y_share(p)}" for day, p in inside),
                last=_pct(inside[-1][1]),
                css=f"kr-line-{index % 4 + 1}",
            )
        )
    step = max(1, round(top / 4))
    left = [(y_points(v), f"{v:g}") for v in range(0, int(top) + 1, step)]
    right = [(y_share(v / 100), f"{v} %") for v in (0, 50, 100)]
    x_labels = [(x(d.day), f"{d.day:%a} {d.day.day}") for d in days[:: max(1, len(days) // 7)]]
    remaining_now = next((d.remaining for d in reversed(days) if d.remaining is not None), None)
    description = (
        f"Burndown from {first:%-d %b} to {last:%-d %b}: {days[0].ideal:g} points planned"
        + (f", {remaining_now:g} remaining" if remaining_now is not None else "")
        + "".join(f"; {line.title} at {line.last}" for line in lines)
        + (f"; scope added after the start: {', '.join(m.label for m in markers)}" if markers else "")
        + "."
    )
    return BurndownChart(
        width=WIDTH,
        height=HEIGHT,
        ideal=ideal,
        actual=actual,
        lines=lines,
        left_labels=left,
        right_labels=right,
        x_labels=x_labels,
        today_x=x(today) if first <= today <= last else None,
        description=description,
        scope_added=markers,
    )


# --- Velocity ---------------------------------------------------------------------------------------

BAR_WIDTH, BAR_GAP, BARS_HEIGHT, BARS_PAD_TOP, BARS_PAD_BOTTOM = 44, 16, 150, 18, 22


@dataclass(frozen=True)
class VelocityBar:
    x: float
    y: float
    height: float
    label: str  # the sprint's name
    value: str  # its completed points
    counted: bool  # one of the last three: the velocity is their mean
    current: bool  # the sprint the page is about


@dataclass(frozen=True)
class VelocityChart:
    width: int
    height: int
    bars: list[VelocityBar]
    mean_y: float | None  # the velocity as a horizontal line
    description: str


def velocity_chart(
    *, history: Sequence[tuple[str, float]], velocity: float | None, counted: int, current: str | None = None
) -> VelocityChart:
    """Bars of completed points per closed sprint, ``history`` oldest first as (name, points); the last
    ``counted`` bars are those the velocity averages."""
    width = max(1, len(history)) * (BAR_WIDTH + BAR_GAP) + BAR_GAP
    inner = BARS_HEIGHT - BARS_PAD_TOP - BARS_PAD_BOTTOM
    top = max([p for _, p in history] + [velocity or 0.0, 1.0])

    def y(value: float) -> float:
        return round(BARS_PAD_TOP + inner * (1 - value / top), 1)

    bars = [
        VelocityBar(
            x=BAR_GAP + i * (BAR_WIDTH + BAR_GAP),
            y=y(points),
            height=round(inner * points / top, 1),
            label=name,
            value=f"{points:g}",
            counted=i >= len(history) - counted,
            current=name == current,
        )
        for i, (name, points) in enumerate(history)
    ]
    description = (
        "Completed points per sprint: "
        + ", ".join(f"{b.label} {b.value}" for b in bars)
        + (f". Velocity (mean of the last {counted}): {velocity:.1f} points." if velocity is not None else ".")
    )
    return VelocityChart(
        width=width,
        height=BARS_HEIGHT,
        bars=bars,
        mean_y=y(velocity) if velocity is not None else None,
        description=description,
    )
