"""Showing a comment's plain text: escaped, http(s) links made clickable, line breaks kept."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence rather than the address


@register.filter
def comment_html(text: str) -> SafeString:
    """Every piece of the user's text goes through escape(); only our own <a> and <br> are markup."""
    parts: list[str] = []
    last = 0
    for match in URL.finditer(text):
        address = match.group(0).rstrip(TRAILING)
        end = match.start() + len(address)
        parts.append(escape(text[last : match.start()]))
        parts.append(f'<a href="{escape(address)}" rel="nofollow noopener">{escape(address)}</a>')
        last = end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts).replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped above
