"""A heatmap cell for people: a status symbol and the confidence, never colour alone."""

from __future__ import annotations

from typing import Any

from django import template

from dashboards.heatmap import Cell
from objectives.progress import Status
from objectives.templatetags.okr_tags import STATUS_CLASS, STATUS_LABELS

register = template.Library()

SYMBOL = {
    Status.ON_TRACK: "✓",
    Status.DONE: "✓",
    Status.AT_RISK: "!",
    Status.OFF_TRACK: "✕",
    Status.STALE: "–",
    Status.NOT_STARTED: "○",
}


@register.inclusion_tag("dashboards/partials/_heat_cell.html")
def heat_cell(cell: Cell, url: str = "", week_anchor: bool = False) -> dict[str, Any]:
    """``week_anchor``: the link goes to that week's row of the check-in history (a KR's page)."""
    if week_anchor and url:
        url = f"{url}#week-{cell.week:%Y-%m-%d}"
    if cell.status is None:
        return {"empty": True, "week": cell.week}
    status = Status(cell.status)
    words = STATUS_LABELS[status].lower()
    figures = [words]
    if cell.confidence is not None:
        figures.append(f"confidence {cell.confidence:.2f}".rstrip("0").rstrip("."))
    if cell.progress is not None:
        figures.append(f"progress {round(cell.progress * 100)} %")
    return {
        "empty": False,
        "css": STATUS_CLASS[status],
        "symbol": SYMBOL[status],
        "confidence": "" if cell.confidence is None else f"{cell.confidence:.1f}",
        "title": f"Week of {cell.week:%a} {cell.week.day} {cell.week:%b}: " + ", ".join(figures),
        "url": url,
    }
