"""A heatmap cell for people: a status symbol and the confidence, never colour alone."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
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
    title = f"Week of {cell.week:%a} {cell.week.day} {cell.week:%b}: " + ", ".join(figures)
    confidence = "" if cell.confidence is None else f" {cell.confidence:.1f}"
    inner = format_html(
        '<span aria-hidden="true">{}</span>{}<span class="visually-hidden">{}</span>', SYMBOL[status], confidence, title
    )
    if url:
        inner = format_html('<a href="{}" title="{}">{}</a>', url, title, inner)
    else:
        inner = format_html('<span title="{}">{}</span>', title, inner)
    return format_html('<td class="heat heat-{}">{}</td>', STATUS_CLASS[status], inner)


EMPTY = '<td class="heat heat-empty"><span class="visually-hidden">No data</span></td>'
