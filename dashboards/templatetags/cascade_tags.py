"""The cascade's small pieces: the change of a figure since last week, in words and an arrow (never
colour alone), and the indent of a team in a select."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from dashboards.figures import Change
from objectives.progress import STATUS_LABELS, Status
from objectives.templatetags.okr_tags import STATUS_CLASS, percent

register = template.Library()


@register.simple_tag
def change(figure: Change, kind: str, better: str = "up") -> SafeString:
    """``kind``: "share" (in percentage points), "confidence", "count", or "previous" (last week's value
    shown as it was: this week is still under way). ``better``: the direction that is good news."""
    if kind == "previous":
        text = "no figure last week" if figure.week_ago is None else f"last week {percent(figure.week_ago)}"
        return format_html('<p class="change muted small">{}</p>', text)
    delta = figure.delta
    if delta is None:
        return format_html('<p class="change muted small">{}</p>', "no figure a week ago")
    amount: float
    if kind == "share":
        amount = round(delta * 100)
        size = "{} pt" if abs(amount) == 1 else "{} pts"
    elif kind == "confidence":
        amount, size = round(delta, 2), "{}"
    else:
        amount, size = round(delta), "{}"
    if amount == 0:
        return format_html('<p class="change muted small">{}</p>', "= same as a week ago")
    rising = amount > 0
    good = rising == (better == "up")
    words = size.format(f"{abs(amount):g}")
    return format_html(
        '<p class="change small change-{}"><span aria-hidden="true">{}</span> {} {} since a week ago</p>',
        "good" if good else "bad",
        "▲" if rising else "▼",
        "up" if rising else "down",
        words,
    )


@register.simple_tag
def indent(depth: int) -> SafeString:
    """Two non-breaking spaces a level: a team's place in the tree inside an <option>."""
    return mark_safe("\u00a0\u00a0" * int(depth))  # noqa: S308 - only spaces, no input


@register.simple_tag
def status_count(status: Status, count: int) -> SafeString:
    """'2 off track' in the status's colour, with its dot: a count never relies on colour alone."""
    return format_html(
        '<span class="status status-{}">{} {}</span>', STATUS_CLASS[status], count, STATUS_LABELS[status].lower()
    )
