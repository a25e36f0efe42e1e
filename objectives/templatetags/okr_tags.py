"""One visual language for the numbers: progress bars with an expected tick, status, confidence."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

from objectives.progress import STATUS_LABELS, Status

register = template.Library()

STATUS_CLASS = {
    Status.ON_TRACK: "ok",
    Status.DONE: "ok",
    Status.AT_RISK: "risk",
    Status.OFF_TRACK: "off",
    Status.STALE: "stale",
    Status.NOT_STARTED: "none",
}


@register.filter
def percent(value: float | None) -> str:
    """0.64 → '64 %'; None → '—'."""
    if value is None:
        return "—"
    # Half up, the way people round (Python's round() would turn 0.325 into "32 %").
    whole = Decimal(repr(value * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole} %"


@register.filter
def number(value: float | None, unit: str = "") -> str:
    """A value for people: at most two decimals, no trailing zeros, with its unit ('350 ms', '99.95 %')."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip() if unit else text


@register.inclusion_tag("objectives/partials/_bar.html")
def progress_bar(
    value: float | None, expected: float | None = None, status: str = "", label: str = ""
) -> dict[str, Any]:
    """An SVG bar (sizes from attributes: the CSP forbids style=) with a thin tick at expected progress."""
    filled = 0.0 if value is None else max(0.0, min(1.0, value)) * 100
    tick = None if expected is None else max(0.0, min(1.0, expected)) * 100
    words = f"{label + ' ' if label else ''}progress {percent(value)}"
    if expected is not None:
        words += f", expected {percent(expected)}"
    return {
        "filled": round(filled, 2),
        "tick": None if tick is None else round(min(tick, 99.4), 2),
        "css": STATUS_CLASS.get(Status(status), "none") if status else "none",
        "words": words,
        "value": value,
        "text": percent(value),
    }


@register.inclusion_tag("objectives/partials/_status.html")
def status_pill(status: str) -> dict[str, Any]:
    s = Status(status)
    return {"css": STATUS_CLASS[s], "label": STATUS_LABELS[s]}


@register.inclusion_tag("objectives/partials/_confidence.html")
def confidence_pill(confidence: float | None) -> dict[str, Any]:
    """Confidence as a small pill coloured by its band (below 0.4 red, below 0.7 amber, else green)."""
    if confidence is None:
        return {"css": "none", "text": "—", "title": "No confidence given yet"}
    css = "off" if confidence < 0.4 else "risk" if confidence < 0.7 else "ok"
    # Two decimals where they matter: a mean of 0.65 is amber and must not read "0.7".
    text = f"{confidence:.2f}".rstrip("0") if round(confidence, 1) != round(confidence, 2) else f"{confidence:.1f}"
    return {"css": css, "text": text, "title": f"Confidence {text} of 1.0"}
