"""Login throttling with django-axes, two limits (every login path: the page, the API's token endpoint,
the Django admin):

- per account *and* address: at ``AXES_FAILURE_LIMIT`` failures that pair is locked for
  ``AXES_COOLOFF_TIME``. Another address still signs in, so a stranger cannot lock a person out of the
  office; a company admin can unlock it.
- per address across accounts: at ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures within the cool-off (one
  try each for many accounts, which the first limit never sees), every sign-in from that address is
  refused until the cool-off has passed since enough of them. It is higher than the first, so an office
  behind one address is not locked out by a few people's typos.

axes counts one limit over its lockout parameters, so the second lives in ``SignInLockoutHandler`` (the
``AXES_HANDLER``), over the same attempt rows. Here too: the hooks settings.py names, the message for
each limit, and the lock state an admin sees on the person's page (the unlock itself is
``services.person_sign_in_unlock``).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
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


class SignInLimit(enum.Enum):
    ACCOUNT = "account"  # one account from one address
    ADDRESS = "address"  # one address, all accounts


@dataclass(frozen=True)
class SignInRefusal:
    """Why this request's sign-in was refused as locked (``request.sign_in_refusal``): which limit, and
    whether this failure reached it (the lockout begins) or came while it was already locked."""

    limit: SignInLimit
    began: bool


def sign_in_refusal(request: HttpRequest | None) -> SignInRefusal | None:
    return getattr(request, "sign_in_refusal", None)


def lockout_message(limit: SignInLimit = SignInLimit.ACCOUNT) -> str:
    minutes = cooloff_minutes()
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}"
    if limit is SignInLimit.ADDRESS:
        # No admin can lift it: it is about the address, not one person.
        return f"Too many failed sign-ins from your address, for several accounts. {wait}."
    return f"Too many failed sign-ins for this account from your address. {wait} or ask a company admin to unlock it."


def lockout_detail(limit: SignInLimit) -> str:
    """The security log's line for the lockout that began: which limit, and what it holds."""
    minutes = cooloff_minutes()
    if limit is SignInLimit.ADDRESS:
        return (
            f"Address limit: {settings.LOGIN_ADDRESS_FAILURE_LIMIT} failed sign-ins from this address, across "
            f"accounts: every sign-in from it is refused for {minutes} minutes from the last attempt."
        )
    return (
        f"Account limit: {settings.AXES_FAILURE_LIMIT} failed sign-ins for this account from this address: "
        f"locked for {minutes} minutes from the last attempt."
    )


def refused_detail(limit: SignInLimit) -> str:
    """The security log's line for an attempt refused while locked."""
    if limit is SignInLimit.ADDRESS:
        return "Refused without checking the password: this address is locked (address limit)."
    return "Refused without checking the password: this account is locked from this address (account limit)."


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off, whatever the account (one query).
    An address that could not be read counts nothing here: a broken proxy setting would otherwise put
    every sign-in of the installation behind one shared limit (the per-account limit still holds)."""
    address = getattr(request, "axes_ip_address", None)
    if address is None:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return int(total or 0)


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' database handler (failures per account and address, ``AXES_LOCKOUT_PARAMETERS``) with the
    second limit per address across accounts. Each refusal leaves ``request.sign_in_refusal``, which
    the lockout answer and the security log read."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        """Asked before the password is checked (``AxesStandaloneBackend``): a locked pair or address is
        refused unchecked."""
        if super().is_locked(request, credentials):
            request.sign_in_refusal = SignInRefusal(SignInLimit.ACCOUNT, began=False)
            return True
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.sign_in_refusal = SignInRefusal(SignInLimit.ADDRESS, began=False)
            return True
        return False

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        """axes counts the failure (a refused one too, which restarts the cool-off) and locks the pair at
        its limit; then the address limit. A refused attempt keeps the reason ``is_locked`` found."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        if sign_in_refusal(request) is None:
            if request.axes_locked_out:  # this failure reached the account limit
                request.sign_in_refusal = SignInRefusal(SignInLimit.ACCOUNT, began=True)
            elif address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
                request.sign_in_refusal = SignInRefusal(SignInLimit.ADDRESS, began=True)
        if sign_in_refusal(request) is not None and not request.axes_locked_out:
            # Refused by the address limit (axes, counting the pair, saw nothing to lock): answer locked.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=attempt_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


@dataclass(frozen=True)
class SignInLock:
    """A person's sign-in is locked from these addresses until ``until`` (the latest of them)."""

    addresses: list[str]
    until: datetime


def _lock_of(rows: Iterable[dict[str, Any]], cooloff: timedelta) -> SignInLock | None:
    """The lock that these locked addresses' rows (ip_address, last attempt) make, if any."""
    locked = list(rows)
    if not locked:
        return None
    return SignInLock(
        addresses=[row["ip_address"] for row in locked], until=max(row["last"] for row in locked) + cooloff
    )


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
    return _lock_of(rows, cooloff)


def sign_in_address_lock(user: User) -> SignInLock | None:
    """The addresses the person tried from within the cool-off that are locked for everyone now (the
    address limit, across accounts), until when. An admin's unlock does not lift these: it forgets
    only the person's own failures. One query."""
    cooloff = settings.AXES_COOLOFF_TIME
    since = timezone.now() - cooloff
    theirs = AccessAttempt.objects.filter(username=user.email.lower(), attempt_time__gte=since).values("ip_address")
    rows = (
        AccessAttempt.objects.filter(ip_address__in=theirs, attempt_time__gte=since)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.LOGIN_ADDRESS_FAILURE_LIMIT)
        .order_by("ip_address")
    )
    return _lock_of(rows, cooloff)
