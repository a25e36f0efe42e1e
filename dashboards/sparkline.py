"""A health metric's sparkline as SVG geometry: its readings with the green and amber thresholds. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 160, 36, 3


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: str  # "x,y x,y"
    last: tuple[float, float] | None  # the latest reading's dot
    green_y: float
    amber_y: float
    description: str


def sparkline(*, values: Sequence[float], green: float, amber: float, unit: str = "") -> Sparkline:
    """``values`` oldest first. The vertical range covers the readings and both thresholds."""
    low = min([*values, green, amber])
    high = max([*values, green, amber])
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return round(PAD + (HEIGHT - 2 * PAD) * (1 - (value - low) / span), 1)

    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    coords = [(round(PAD + i * step, 1), y(v)) for i, v in enumerate(values)]
    if len(values) == 1:
        coords = [(float(WIDTH - PAD), coords[0][1])]
    suffix = f" {unit}" if unit else ""
    description = (
        f"{len(values)} readings from {values[0]:g}{suffix} to {values[-1]:g}{suffix}" if values else "No readings yet"
    )
    return Sparkline(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(f"{px},{py}" for px, py in coords),
        last=coords[-1] if coords else None,
        green_y=y(green),
        amber_y=y(amber),
        description=description,
    )
