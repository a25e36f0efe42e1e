"""Formatting for people: relative times with the exact time on hover."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

register = template.Library()


def ago_text(moment: datetime, now: datetime) -> str:
    """'just now', '12 seconds ago', '3 minutes ago', '2 days ago'; 'in 5 minutes' for the future."""
    seconds = int((now - moment).total_seconds())
    if abs(seconds) < 5:
        return "just now"
    if 0 < seconds < 60:
        return f"{seconds} seconds ago"
    if seconds < 0:
        return f"in {timesince(now, moment)}".replace("\xa0", " ")
    return f"{timesince(moment, now).split(', ')[0]} ago".replace("\xa0", " ")


@register.simple_tag
def ago(moment: datetime | None, now: datetime | None = None) -> SafeString | str:
    """A <time> element reading '3 minutes ago', with the exact local time as its title."""
    if moment is None:
        return ""
    now = now or timezone.now()
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        local.strftime("%a %-d %b %Y, %H:%M:%S"),
        ago_text(moment, now),
    )


@register.filter
def duration_ms(milliseconds: int | None) -> str:
    """'850 ms', '1.2 s', '2 min 5 s': a job's duration for people."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60)} s"
