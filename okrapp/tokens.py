"""Personal API tokens: created and named by their holder, shown once, stored as a SHA-256 hash,
revocable. ``Authorization: Token <token>`` on /api/v1/."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from okrapp.models import ApiToken, Membership, SecurityEventKind
from okrapp.security_log import security_event

PREFIX_LENGTH = 8
MAX_ACTIVE_TOKENS = 20


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, membership: Membership, name: str, ip_address: str | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists in clear); logged (name and prefix
    only) in the security log, with the address it was asked from when known."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what uses it, such as “CI metrics push”."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    if ApiToken.objects.filter(membership=membership, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError({"name": f"You have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use."})
    secret = "okr_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            membership=membership, name=name, prefix=secret[: PREFIX_LENGTH + 4], key_hash=token_hash(secret)
        )
        security_event(
            kind=SecurityEventKind.TOKEN_CREATED,
            user=membership.user,
            organisation_id=membership.organisation_id,
            actor=membership,
            ip_address=ip_address,
            detail=f"“{name}” ({token.prefix}…)",
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, ip_address: str | None = None) -> ApiToken:
    """Revoke a token (again: nothing happens); its holder revokes it, and the security log says so."""
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            security_event(
                kind=SecurityEventKind.TOKEN_REVOKED,
                user=token.membership.user,
                organisation_id=token.membership.organisation_id,
                actor=token.membership,
                ip_address=ip_address,
                detail=f"“{token.name}” ({token.prefix}…)",
            )
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
