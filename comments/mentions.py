"""Finding the people a comment mentions.

The rule, shown next to the text box: ``@`` directly followed by a person's full name (“@Ana Lima”) or
the part of their e-mail address before the ``@`` (“@ana.lima”), matched without regard to case against
the organisation's active people, the longest name first (so “@Ana Lima” beats “@Ana”). An ``@`` right
after a letter or digit is part of an e-mail address, not a mention; an ``@`` followed by a space is
prose (“meet @ 3pm”). An ``@word`` that names nobody is refused, so a typo never silently notifies
no one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from okrapp.models import Membership

MENTION_START = re.compile(r"(?<![\w.])@(?=\w)")
WORD = re.compile(r"[\w.\-]+")


@dataclass
class Found:
    people: dict[int, Membership] = field(default_factory=dict)  # membership id → membership, in order
    unknown: list[str] = field(default_factory=list)  # the “@word”s that named nobody


def active_people(organisation_id: int) -> list[Membership]:
    return list(
        Membership.objects.filter(organisation_id=organisation_id, deactivated_at=None, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )


def names_of(membership: Membership) -> list[str]:
    names = [membership.user.email.split("@")[0].lower()]
    if membership.user.full_name:
        names.append(" ".join(membership.user.full_name.split()).lower())
    return names


def find_mentions(text: str, people: list[Membership]) -> Found:
    """The people ``text`` mentions, among ``people`` (the organisation's active members)."""
    candidates = sorted(
        ((name, person) for person in people for name in names_of(person)), key=lambda pair: -len(pair[0])
    )
    found = Found()
    lowered = text.lower()
    for start in MENTION_START.finditer(text):
        at = start.end()
        for name, person in candidates:
            end = at + len(name)
            following = lowered[end : end + 1]
            if lowered.startswith(name, at) and not (following.isalnum() or following == "_"):
                found.people.setdefault(person.pk, person)
                break
        else:
            word = WORD.match(text, at)
            found.unknown.append("@" + (word.group(0) if word else "").rstrip(".-"))
    return found
