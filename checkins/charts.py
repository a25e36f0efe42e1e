"""The KR trend chart as geometry for a server-rendered SVG. Pure: no ORM, no clock.

Value over time against the target line, the expected line (start → target over the cycle), the
forecast (dotted, from progress.forecast) and, in a band below, the confidence series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from checkins.weeks import week_of
from objectives import progress as numbers
from okrapp.parsing import MAX_CYCLE_DAYS

WIDTH, HEIGHT = 640, 220  # the value plot, in SVG units
CONF_HEIGHT = 60  # the confidence band below it
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 12, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    values: str  # polyline points "x,y x,y"
    dots: list[Point]
    target_y: float | None
    expected: str
    forecast: str
    forecast_text: str
    confidence: str
    confidence_dots: list[Point]
    today_x: float | None
    y_labels: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    conf_top: float
    description: str


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def trend_chart(
    *,
    series: list[tuple[date, float, float | None]],
    start: float | None,
    target: float | None,
    cycle_start: date,
    cycle_end: date,
    today: date,
    unit: str = "",
) -> TrendChart:
    """``series``: (week, value, confidence) oldest first. ``start``/``target`` None for a milestone
    (values are 0/1 then). The x axis spans at most the cycle's last MAX_CYCLE_DAYS: a cycle stored
    before cycles had a maximum length draws its latest two years, not a label per month since year 1."""
    drawn_from = max(cycle_start, cycle_end - timedelta(days=MAX_CYCLE_DAYS - 1))
    span_days = max(1, (cycle_end - drawn_from).days)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    values = [v for _, v, _ in series]
    bounds = [*values, *(b for b in (start, target) if b is not None)] or [0.0, 1.0]
    forecast = None
    if start is not None and target is not None and start != target:
        forecast = numbers.forecast(
            series=[(d, v) for d, v, _ in series],
            start=start,
            target=target,
            cycle_start=cycle_start,
            cycle_end=cycle_end,
        )
        if forecast is not None:
            bounds.append(forecast.value_at_end)
    low, high = min(bounds), max(bounds)
    if low == high:
        low, high = low - 1, high + 1
    margin = (high - low) * 0.08
    low, high = low - margin, high + margin

    def x_of(day: date) -> float:
        return round(PAD_LEFT + plot_w * min(max((day - drawn_from).days / span_days, 0), 1), 1)

    def y_of(value: float) -> float:
        return round(PAD_TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    drawn = [(d, v, c) for d, v, c in series if d >= week_of(drawn_from)]
    dots = [Point(x_of(d), y_of(v)) for d, v, _ in drawn]
    conf_top = HEIGHT + 8
    conf_points = [Point(x_of(d), round(conf_top + CONF_HEIGHT * (1 - c), 1)) for d, _, c in drawn if c is not None]
    expected = ""
    if start is not None and target is not None:
        # The expected line runs start → target over the whole cycle; drawn from where the axis starts.
        share = (drawn_from - cycle_start).days / max(1, (cycle_end - cycle_start).days)
        expected = f"{x_of(drawn_from)},{y_of(start + (target - start) * share)} {x_of(cycle_end)},{y_of(target)}"
    forecast_line, forecast_text = "", ""
    if forecast is not None and series:
        last_day = series[-1][0]
        fitted_last = forecast.value_at_end - forecast.slope_per_day * (cycle_end - last_day).days
        forecast_line = f"{x_of(last_day)},{y_of(fitted_last)} {x_of(cycle_end)},{y_of(forecast.value_at_end)}"
        reach = (
            f"reaches the target on {forecast.reaches_target_on:%a %-d %b}"
            if forecast.reaches_target_on
            else "does not reach the target in this cycle"
        )
        forecast_text = f"Forecast: {_fmt(forecast.value_at_end)}{' ' + unit if unit else ''} at cycle end, {reach}."
    y_labels = [(y_of(v), f"{v:,.3g}") for v in (low + margin, (low + high) / 2, high - margin)]
    months = sorted(
        {date(d.year, d.month, 1) for d in (drawn_from, cycle_end)}
        | {
            date(drawn_from.year + (drawn_from.month - 1 + i) // 12, (drawn_from.month - 1 + i) % 12 + 1, 1)
            for i in range(0, (cycle_end.year - drawn_from.year) * 12 + cycle_end.month - drawn_from.month + 1)
        }
    )
    x_labels = [(x_of(m), f"{m:%b}") for m in months if drawn_from <= m <= cycle_end]
    today_x = x_of(today) if drawn_from <= today <= cycle_end else None
    description = (
        f"{len(series)} check-in{'s' if len(series) != 1 else ''}"
        + (f", latest {_fmt(values[-1])}{' ' + unit if unit else ''}" if values else "")
        + (f"; target {_fmt(target)}{' ' + unit if unit else ''}" if target is not None else "")
        + (f". {forecast_text}" if forecast_text else ".")
    )
    return TrendChart(
        width=WIDTH,
        height=HEIGHT + CONF_HEIGHT + 16,
        values=" ".join(f"{p.x},{p.y}" for p in dots),
        dots=dots,
        target_y=y_of(target) if target is not None else None,
        expected=expected,
        forecast=forecast_line,
        forecast_text=forecast_text,
        confidence=" ".join(f"{p.x},{p.y}" for p in conf_points),
        confidence_dots=conf_points,
        today_x=today_x,
        y_labels=y_labels,
        x_labels=x_labels,
        conf_top=conf_top,
        description=description,
    )
