"""Template helpers about people: a deactivated person's name is marked where owners are listed."""

from __future__ import annotations

from django import template

from okrapp.models import Membership

register = template.Library()


@register.filter
def deactivated_mark(membership: Membership | None) -> str:
    """ " (deactivated)" after the name of someone who left; nothing otherwise. Reads only the row's
    own ``deactivated_at``: no query."""
    if membership is not None and getattr(membership, "deactivated_at", None) is not None:
        return " (deactivated)"
    return ""
