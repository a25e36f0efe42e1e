"""Signed unsubscribe links: every e-mail the app sends on its own (check-in reminders, the weekly
digest, mentions) carries one that works without signing in. The token names the membership and the
kind, signed with the secret key and a salt per kind, so a reminders link cannot switch off mentions
and nobody can forge one for someone else. It does not expire: an old e-mail's link must still work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from okrapp.models import Membership


@dataclass(frozen=True)
class Kind:
    field: str  # the Membership switch it turns off
    about: str  # “Stop e-mails about …”


KINDS = {
    "reminders": Kind("email_reminders", "check-in reminders"),
    "digest": Kind("email_digest", "the weekly digest"),
    "mentions": Kind("email_mentions", "mentions of you in comments"),
}


def _salt(kind: str) -> str:
    return f"okrapp.unsubscribe.{kind}"


def unsubscribe_token(membership: Membership, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"no such e-mail kind: {kind}")
    return signing.dumps({"m": membership.pk, "k": kind}, salt=_salt(kind), compress=False)


def unsubscribe_url(membership: Membership, kind: str) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(membership, kind)])


def unsubscribe_headers(membership: Membership, kind: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an “Unsubscribe” button that POSTs to the link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(membership, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class Unsubscription:
    membership: Membership
    kind: str

    @property
    def about(self) -> str:
        return KINDS[self.kind].about

    @property
    def subscribed(self) -> bool:
        return bool(getattr(self.membership, KINDS[self.kind].field))


def read_token(token: str) -> Unsubscription | None:
    """The membership and kind a genuine token names; None for a tampered, foreign or stale one."""
    for kind in KINDS:
        try:
            payload = signing.loads(token, salt=_salt(kind))
        except signing.BadSignature:
            continue
        if not isinstance(payload, dict) or payload.get("k") != kind or not isinstance(payload.get("m"), int):
            return None
        membership = Membership.objects.select_related("user").filter(pk=payload["m"]).first()
        return Unsubscription(membership, kind) if membership is not None else None
    return None


def unsubscribe(unsubscription: Unsubscription) -> None:
    """Turn that one e-mail off (the in-app bell is unaffected)."""
    field = KINDS[unsubscription.kind].field
    setattr(unsubscription.membership, field, False)
    unsubscription.membership.save(update_fields=[field])
