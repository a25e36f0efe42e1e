"""The backlog's formatting: a KR chip coloured by its status, impacts and points for people."""

from __future__ import annotations

from django import template

from objectives.progress import Status
from objectives.templatetags.okr_tags import STATUS_CLASS, STATUS_LABELS

register = template.Library()


@register.filter
def status_css(status: str) -> str:
    """The colour class of a status: ok, risk, off, stale or none."""
    try:
        return STATUS_CLASS[Status(status)]
    except ValueError:
        return "none"


@register.filter
def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


@register.filter
def points(value: float | None) -> str:
    """'3', '0.5', '—' while not estimated."""
    if value is None:
        return "—"
    return f"{value:g}"
