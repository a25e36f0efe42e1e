"""The weekly digest for team leads and leadership: what moved, new risks, stale key results and
blockers, over exactly the key results the recipient may see. HTML and plain text.

Sent on Monday morning (from 07:00 in the organisation's time zone) about the week before, once per
person per week (a unique row claimed with the e-mail, as for reminders)."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from checkins.models import CheckIn, DigestSent
from checkins.weeks import week_label, week_of
from objectives.access import led_team_ids
from objectives.models import CycleState, KeyResult
from objectives.progress import Status, confidence_band
from objectives.visibility import visible_key_results
from okrapp.http import Viewer
from okrapp.models import CompanyRole, Membership, Organisation, TeamRole
from okrapp.unsubscribe import unsubscribe_headers, unsubscribe_url

logger = logging.getLogger(__name__)

SEND_FROM_HOUR = 7
BAND_RANK = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}


@dataclass
class Digest:
    week: date
    moved: list[tuple[KeyResult, CheckIn, CheckIn | None]] = field(default_factory=list)
    new_risks: list[tuple[KeyResult, CheckIn]] = field(default_factory=list)
    stale: list[KeyResult] = field(default_factory=list)
    blockers: list[tuple[KeyResult, CheckIn]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.moved or self.new_risks or self.stale or self.blockers)


def digest_for(viewer: Viewer, *, week: date) -> Digest:
    """The digest of ``week`` for one person: leadership sees the company, a lead their teams."""
    krs = visible_key_results(viewer).filter(objective__cycle__state=CycleState.ACTIVE)
    if not viewer.is_leadership:
        krs = krs.filter(objective__team_id__in=led_team_ids(viewer))
    key_results = {kr.pk: kr for kr in krs.select_related("objective__team", "owner__user")}
    checkins = CheckIn.objects.filter(key_result_id__in=key_results, week__in=[week, week - timedelta(weeks=1)])
    this = {c.key_result_id: c for c in checkins if c.week == week}
    before = {c.key_result_id: c for c in checkins if c.week != week}
    digest = Digest(week=week)
    for kr_id, checkin in sorted(this.items(), key=lambda item: key_results[item[0]].title):
        kr, previous = key_results[kr_id], before.get(kr_id)
        if previous is None or previous.value != checkin.value or previous.done != checkin.done:
            digest.moved.append((kr, checkin, previous))
        now_band, old_band = (
            confidence_band(checkin.confidence),
            confidence_band(previous.confidence if previous else None),
        )
        if now_band in (Status.AT_RISK, Status.OFF_TRACK) and (
            old_band is None or BAND_RANK[now_band] > BAND_RANK[old_band]
        ):
            digest.new_risks.append((kr, checkin))
        if checkin.blockers:
            digest.blockers.append((kr, checkin))
    digest.stale = sorted((kr for kr in key_results.values() if kr.status == Status.STALE), key=lambda k: k.title)
    return digest


def recipients(organisation: Organisation) -> list[Membership]:
    """Active team leads and leadership (admins included)."""
    return list(
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .filter(Q(role__in=[CompanyRole.ADMIN, CompanyRole.LEADERSHIP]) | Q(team_memberships__role=TeamRole.LEAD))
        .select_related("user", "organisation")
        .distinct()
    )


def send_digests(*, site_url: str) -> int:
    """Send last week's digest to everyone due, once per person per week; returns how many went out."""
    sent = 0
    for organisation in Organisation.objects.all():
        local_now = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone))
        if local_now.weekday() != 0 or local_now.hour < SEND_FROM_HOUR:
            continue
        week = week_of(local_now.date()) - timedelta(weeks=1)
        for membership in recipients(organisation):
            if not membership.email_digest:  # the digest is e-mail only: nothing to send them
                continue
            viewer = Viewer.load(membership.user)
            if viewer is None:
                continue
            digest = digest_for(viewer, week=week)
            if digest.empty:
                continue
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        DigestSent.objects.create(membership=membership, week=week)
                except IntegrityError:
                    continue
                # Sent once the claim is committed: a crash before the commit sends nothing twice.
                transaction.on_commit(partial(_send_logged, membership, digest, site_url=site_url))
            sent += 1
    return sent


def _send_logged(membership: Membership, digest: Digest, *, site_url: str) -> None:
    try:
        send_digest(membership, digest, site_url=site_url)
    except OSError:  # one bad mailbox or a server hiccup stops nobody else's digest
        logger.exception("weekly digest e-mail to %s failed", membership.user.email)


def send_digest(membership: Membership, digest: Digest, *, site_url: str) -> None:
    context = {
        "person": membership.user,
        "organisation": membership.organisation,
        "digest": digest,
        "week_label": week_label(digest.week),
        "site_url": site_url,
        "unsubscribe_url": unsubscribe_url(membership, "digest"),
    }
    message = EmailMultiAlternatives(
        subject=f"{membership.organisation.name}: OKR digest for {week_label(digest.week)}",
        body=render_to_string("checkins/email/digest.txt", context),
        to=[membership.user.email],
        headers=unsubscribe_headers(membership, "digest"),
    )
    message.attach_alternative(render_to_string("checkins/email/digest.html", context), "text/html")
    message.send()
