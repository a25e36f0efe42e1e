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
    actual = " ".join(f"{x(d.day)},{y_points(d.remaining)}" for d in days if d.remaining is not None)
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
    )
