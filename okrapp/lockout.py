"""Login throttling with django-axes: failed sign-ins are counted per account *and* address; at
``AXES_FAILURE_LIMIT`` that pair is locked for ``AXES_COOLOFF_TIME`` (every login path: the page, the
API's token endpoint, the Django admin). Another address still signs in, so a stranger cannot lock a
person out of the office. Here: the hooks settings.py names, the message, and the lock state an admin
sees on the person's page (the unlock itself is ``services.person_sign_in_unlock``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from okrapp.models import User


def attempt_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the e-mail an attempt was for, lower-cased, so ``Ann@x`` and ``ann@x``
    count against one account whatever the login form (ours lower-cases, the admin's does not)."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None and request.method == "POST":
        value = request.POST.get("username") or request.POST.get("email")
    return str(value).strip().lower()[:254] if value else None


def valid_ip(value: str | None) -> str | None:
    """The address if it is one (stored in an ``inet`` column), else None."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address. Behind TRUSTED_PROXY_COUNT reverse proxies, the
    one the outermost trusted proxy saw (the X-Forwarded-For entry that many from the right); a client
    cannot forge it, as it can the entries further left. DRF's throttles count the same way
    (NUM_PROXIES)."""
    address = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-min(hops, len(forwarded))]
    return valid_ip(address)


def cooloff_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_message() -> str:
    minutes = cooloff_minutes()
    return (
        "Too many failed sign-ins for this account from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''} or ask a company admin to unlock it."
    )


@dataclass(frozen=True)
class SignInLock:
    """A person's sign-in is locked from these addresses until ``until`` (the latest of them)."""

    addresses: list[str]
    until: datetime


def sign_in_lock(user: User) -> SignInLock | None:
    """Whether the person is locked out from some address now, as axes counts it: the failures of one
    account and address within the cool-off (a refused attempt while locked counts too, and restarts
    it). One query."""
    cooloff = settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(
            username=user.email.lower(), attempt_time__gte=timezone.now() - cooloff, ip_address__isnull=False
        )
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("ip_address")
    )
    locked = list(rows)
    if not locked:
        return None
    return SignInLock(
        addresses=[row["ip_address"] for row in locked], until=max(row["last"] for row in locked) + cooloff
    )
