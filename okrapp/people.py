"""People leaving and coming back: deactivation and reactivation (the handover is okrapp.handover).

A deactivated person keeps every row that names them (history, check-ins, comments, ownership until
handed over); they lose access: ``User.is_active`` is False, so Django refuses their sign-in and their
sessions (ModelBackend.get_user answers None), and API tokens are found only for active users
(okrapp.tokens). ``Membership.deactivated_at`` says when, for the directory and the pickers.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from okrapp.models import CompanyRole, Membership, SecurityEventKind, User
from okrapp.security_log import security_event

DB_SESSION_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def active_people(organisation_id: int) -> QuerySet[Membership]:
    """The people of an organisation who may still be given work: not deactivated (one query)."""
    return (
        Membership.objects.filter(organisation_id=organisation_id, deactivated_at=None, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def is_deactivated(membership: Membership) -> bool:
    return membership.deactivated_at is not None or not membership.user.is_active


def _end_sessions(user: User, *, now: datetime) -> int:
    """Delete the person's stored sessions, so reactivation does not revive an old one. Sessions are
    not indexed by user: this reads the unexpired ones, which a rare admin action can afford."""
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return 0  # another engine: is_active=False alone logs them out on their next request
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now).iterator(chunk_size=500)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


def person_deactivate(
    *, actor: Membership, membership: Membership, now: datetime, ip_address: str | None = None
) -> Membership:
    """Take away a person's access, keeping everything that names them. Refused (nothing changes) for
    oneself, for someone of another organisation and for the organisation's last active admin."""
    if membership.organisation_id != actor.organisation_id:
        raise ValidationError("That person belongs to another organisation.")
    if membership.pk == actor.pk:
        raise ValidationError("You cannot deactivate yourself: ask another admin.")
    with transaction.atomic():
        # Lock the organisation's active admins so two deactivations at once cannot both pass the check.
        active_admins = list(
            Membership.objects.select_for_update(of=("self",))
            .filter(
                organisation_id=membership.organisation_id,
                role=CompanyRole.ADMIN,
                deactivated_at=None,
                user__is_active=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if active_admins == [membership.pk]:
            raise ValidationError(
                "The organisation needs at least one admin who can sign in: make someone else admin first."
            )
        locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if locked.deactivated_at is not None:
            return locked  # deactivated already: nothing to do, nothing logged twice
        locked.deactivated_at = now
        locked.save(update_fields=["deactivated_at"])
        User.objects.filter(pk=locked.user_id).update(is_active=False)
        locked.user.is_active = False
        sessions = _end_sessions(locked.user, now=now)
        security_event(
            kind=SecurityEventKind.DEACTIVATED,
            user=locked.user,
            organisation_id=locked.organisation_id,
            actor=actor,
            ip_address=ip_address,
            detail=f"Deactivated: no sign-in, no API tokens ({sessions} session(s) ended).",
        )
    membership.deactivated_at, membership.user.is_active = locked.deactivated_at, False
    return locked


def person_reactivate(*, actor: Membership, membership: Membership, ip_address: str | None = None) -> Membership:
    """Give a deactivated person their access back (their password and API tokens work again)."""
    if membership.organisation_id != actor.organisation_id:
        raise ValidationError("That person belongs to another organisation.")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if locked.deactivated_at is None and locked.user.is_active:
            return locked
        locked.deactivated_at = None
        locked.save(update_fields=["deactivated_at"])
        User.objects.filter(pk=locked.user_id).update(is_active=True)
        locked.user.is_active = True
        security_event(
            kind=SecurityEventKind.REACTIVATED,
            user=locked.user,
            organisation_id=locked.organisation_id,
            actor=actor,
            ip_address=ip_address,
            detail="Reactivated: can sign in again.",
        )
    membership.deactivated_at, membership.user.is_active = None, True
    return locked
