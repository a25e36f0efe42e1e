"""Weekly check-in reminders: each owner who has not checked in on all their KRs by the
organisation's check-in day gets one reminder that week (e-mail and in-app), never two."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse

from checkins.models import CheckIn, ReminderSent
from checkins.weeks import local_today, week_of
from objectives.models import CycleState, KeyResult
from okrapp.models import Membership, Notification, Organisation
from okrapp.unsubscribe import unsubscribe_headers, unsubscribe_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderRun:
    organisations: int
    reminded: int


def owners_behind(organisation: Organisation, *, week: date) -> dict[int, list[str]]:
    """Owners (membership ids) of KRs in active cycles with no check-in this week, and those KRs' titles."""
    checked = CheckIn.objects.filter(week=week).values("key_result_id")
    pending = (
        KeyResult.objects.filter(
            organisation=organisation,
            objective__cycle__state=CycleState.ACTIVE,
            owner__isnull=False,
            owner__user__is_active=True,
            progress_from_aligned=False,
        )
        .exclude(pk__in=checked)
        .values_list("owner_id", "title")
        .order_by("owner_id", "title")
    )
    behind: dict[int, list[str]] = {}
    for owner_id, title in pending:
        behind.setdefault(owner_id, []).append(title)
    return behind


def _claim(membership_id: int, week: date) -> bool:
    """Record the reminder (inside the caller's transaction); False when another run or another worker
    already did. A concurrent claim waits on the unique index until the first commits, then fails."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(membership_id=membership_id, week=week)
    except IntegrityError:
        return False
    return True


def send_reminders(*, site_url: str) -> ReminderRun:
    """Remind, in every organisation whose check-in day has come this week, each owner still behind."""
    organisations = reminded = 0
    for organisation in Organisation.objects.all():
        today = local_today(organisation.time_zone)
        if today.weekday() < organisation.checkin_day:
            continue
        organisations += 1
        week = week_of(today)
        behind = owners_behind(organisation, week=week)
        people = Membership.objects.filter(pk__in=behind).select_related("user")
        for membership in people:
            # One transaction per person: if the e-mail fails, the claim rolls back and the next run retries.
            with transaction.atomic():
                if not _claim(membership.pk, week):
                    continue
                _remind(organisation, membership, behind[membership.pk], site_url=site_url)
            reminded += 1
    return ReminderRun(organisations=organisations, reminded=reminded)


def _remind(organisation: Organisation, membership: Membership, titles: list[str], *, site_url: str) -> None:
    """The reminder itself: in the app (the bell) now, by e-mail once the claim is committed, so a
    crash before the commit never leads to a second e-mail."""
    link = reverse("my_week")
    count = f"{len(titles)} key result{'s' if len(titles) != 1 else ''}"
    Notification.objects.create(
        organisation=organisation,
        recipient=membership,
        link=link,
        message=f"Check-in day: {count} still without this week's update.",
    )
    if not membership.email_reminders:  # the person turned the e-mail off; the bell above stays
        return
    lines = "\n".join(f"- {t}" for t in titles)
    body = (
        f"Hello {membership.user.get_short_name()},\n\nIt is check-in day at {organisation.name}. "
        f"These key results of yours have no check-in this week yet:\n\n{lines}\n\n"
        f"It takes under a minute: {site_url}{link}\n\n"
        f"--\nStop these e-mails: {unsubscribe_url(membership, 'reminders')}\n"
    )
    headers = unsubscribe_headers(membership, "reminders")
    transaction.on_commit(lambda: _mail(membership.user.email, f"Check-in reminder: {count} this week", body, headers))


def _mail(to: str, subject: str, body: str, headers: dict[str, str]) -> None:
    try:
        EmailMessage(subject=subject, body=body, to=[to], headers=headers).send()
    except OSError:  # the in-app reminder stands; one bad mailbox or server hiccup stops nobody else's
        logger.exception("check-in reminder e-mail to %s failed", to)
