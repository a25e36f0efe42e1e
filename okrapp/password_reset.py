"""The password-reset page's limits, within any hour: ``PASSWORD_RESET_ACCOUNT_LIMIT`` e-mails to one
account and ``PASSWORD_RESET_ADDRESS_LIMIT`` requests from one address.

An account at its limit gets no e-mail, yet the page answers as it always does ("if the address belongs
to an account, a link is on its way"): neither whether an account exists nor whether it was throttled
shows. An address at its limit is told (429): that reveals nothing about any account.

The counts live in PostgreSQL (``PasswordResetRequest``), so every web process sees the same ones; a
request locks its address and accounts, so parallel requests cannot all pass one count. Rows older
than the hour are pruned by the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from okrapp.models import PasswordResetRequest, User

WINDOW = timedelta(hours=1)
ADDRESS_LIMIT_MESSAGE = "Too many password reset requests from your address. Try again in an hour."


@dataclass(frozen=True)
class ResetAdmission:
    """What a password-reset request may do: refused for its address, or e-mail these accounts (none:
    no account has that address, or its limit is reached; the answer is the same)."""

    address_limited: bool
    recipients: list[User]


@transaction.atomic
def password_reset_admit(*, users: list[User], ip_address: str | None, now: datetime) -> ResetAdmission:
    """Count one request of the password-reset page from ``ip_address`` for the accounts ``users`` (those
    the e-mail typed belongs to) and say whom it may e-mail. A refused address's request is not
    counted. An address that could not be read has no address limit (a broken proxy setting would
    otherwise hold everyone back together); the account limit still holds."""
    since = now - WINDOW
    PasswordResetRequest.objects.filter(created_at__lt=since).delete()
    if ip_address is not None:
        with connection.cursor() as cursor:  # one address's requests, one at a time, until commit
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"okrapp.password_reset:{ip_address}"])
        requests = PasswordResetRequest.objects.filter(ip_address=ip_address, created_at__gte=since).count()
        if requests >= settings.PASSWORD_RESET_ADDRESS_LIMIT:
            return ResetAdmission(address_limited=True, recipients=[])
    accounts = list(
        User.objects.select_for_update().filter(pk__in=[user.pk for user in users]).values_list("pk", flat=True)
    )
    sent = dict(
        PasswordResetRequest.objects.filter(user_id__in=accounts, created_at__gte=since)
        .values("user_id")
        .annotate(count=Count("pk"))
        .values_list("user_id", "count")
    )
    recipients = [user for user in users if sent.get(user.pk, 0) < settings.PASSWORD_RESET_ACCOUNT_LIMIT]
    PasswordResetRequest.objects.bulk_create(
        [PasswordResetRequest(ip_address=ip_address, user=user, created_at=now) for user in recipients]
        or [PasswordResetRequest(ip_address=ip_address, user=None, created_at=now)]
    )
    return ResetAdmission(address_limited=False, recipients=recipients)
