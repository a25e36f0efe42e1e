"""A heatmap cell for people: a status symbol and the confidence, never colour alone."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


@register.simple_tag
def heat_cell(cell: Cell, url: str = "", week_anchor: bool = False) -> SafeString:
    """One ``<td>``: the status symbol and the confidence, the figures in words (title and screen
    readers). Built in Python, not an included template: a large heatmap has thousands of cells.
    ``week_anchor``: the link goes to that week's row of the check-in history (a KR's page)."""
    if cell.status is None:
        return mark_safe(EMPTY)  # noqa: S308 - a constant
    if week_anchor and url:
        url = f"{url}#week-{cell.week:%Y-%m-%d}"
    status = Status(cell.status)
    figures = [STATUS_LABELS[status].lower()]
    if cell.confidence is not None:
        figures.append(f"confidence {cell.confidence:.2f}".rstrip("0").rstrip("."))
    if cell.progress is not None:
        figures.append(f"progress {round(cell.progress * 100)} %")
    title = escape(f"Week of {cell.week:%a} {cell.week.day} {cell.week:%b}: " + ", ".join(figures))
    confidence = "" if cell.confidence is None else f" {cell.confidence:.1f}"
    # One string per cell, every variable part escaped (a large heatmap has thousands of cells, and
    # format_html's per-argument work was most of the page's time).
    inner = f'<span aria-hidden="true">{SYMBOL[status]}</span>{confidence}<span class="visually-hidden">{title}</span>'
    inner = f'<a href="{escape(url)}" title="{title}">{inner}</a>' if url else f'<span title="{title}">{inner}</span>'
    return mark_safe(f'<td class="heat heat-{STATUS_CLASS[status]}">{inner}</td>')  # noqa: S308 - escaped above


EMPTY = '<td class="heat heat-empty"><span class="visually-hidden">No data</span></td>'
