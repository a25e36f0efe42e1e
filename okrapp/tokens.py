"""Personal API tokens: created and named by their holder, shown once, stored as a SHA-256 hash,
revocable. ``Authorization: Token <token>`` on /api/v1/."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone

from okrapp.models import ApiToken, Membership

PREFIX_LENGTH = 8
MAX_ACTIVE_TOKENS = 20


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists in clear)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what uses it, such as “CI metrics push”."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    if ApiToken.objects.filter(membership=membership, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError({"name": f"You have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use."})
    secret = "okr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership, name=name, prefix=secret[: PREFIX_LENGTH + 4], key_hash=token_hash(secret)
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_find(secret: str) -> ApiToken | None:
    """The active token of this secret, with its holder, or None."""
    if not secret or len(secret) > 200:
        return None
    return (
        ApiToken.objects.select_related("membership__user")
        .filter(key_hash=token_hash(secret), revoked_at=None, membership__user__is_active=True)
        .first()
    )
