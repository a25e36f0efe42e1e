"""The security log: sign-ins, failed sign-ins, lockouts, unlocks, company and team role changes,
deactivations, API tokens created and revoked. One writer, ``security_event``; role changes through
``company_role_event`` and ``team_role_event``, from every door that writes a role (the people and team
pages, handover, the Django admin, sign-up).

Sign-ins, failures and lockouts arrive through Django's authentication signals: an audit trail is
cross-cutting (the login page, the API's token endpoint and the Django admin all authenticate), and a
receiver that only appends a row changes no domain state. Role changes, deactivations, unlocks and
tokens are logged by their services, inside their transactions.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest

from okrapp.lockout import (
    attempt_username,
    client_ip,
    lockout_detail,
    refused_detail,
    sign_in_refusal,
    valid_ip,
)
from okrapp.models import CompanyRole, Membership, SecurityEvent, SecurityEventKind, Team, TeamRole, User


def security_event(
    *,
    kind: SecurityEventKind,
    user: User | None = None,
    email: str = "",
    organisation_id: int | None = None,
    actor: Membership | None = None,
    ip_address: str | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Append one event. The organisation is the subject's (found from ``user`` or ``email``) unless
    given; the address is taken from ``request`` when not given. Never stores a password or token."""
    if user is None and email:
        user = User.objects.filter(email__iexact=email.strip()).first()
    if user is not None:
        email = email or user.email
        if organisation_id is None:
            organisation_id = (
                Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()
            )
    if ip_address is None and request is not None:
        ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
    return SecurityEvent.objects.create(
        organisation_id=organisation_id,
        kind=kind,
        actor=actor,
        subject_user=user,
        subject_email=email.strip().lower()[:254],
        ip_address=valid_ip(ip_address),
        detail=detail[:300],
    )


def company_role_event(
    *,
    membership: Membership,
    previous: str | None,
    role: str,
    actor: Membership | None,
    ip_address: str | None = None,
    note: str = "",
) -> SecurityEvent | None:
    """Log a person's company role set or changed (``previous`` None: they just joined). Nothing when it
    did not change. ``note`` says where, when not from the app's own pages (the Django admin)."""
    if previous == role:
        return None
    label = CompanyRole(role).label
    change = f"Joined as {label}." if previous is None else f"Company role {CompanyRole(previous).label} → {label}."
    return security_event(
        kind=SecurityEventKind.ROLE_CHANGED,
        user=membership.user,
        organisation_id=membership.organisation_id,
        actor=actor,
        ip_address=ip_address,
        detail=f"{change} {note}".strip(),
    )


def team_role_event(
    *,
    membership: Membership,
    team: Team,
    previous: str | None,
    role: str | None,
    actor: Membership | None,
    ip_address: str | None = None,
    note: str = "",
) -> SecurityEvent | None:
    """Log a person added to a team (``previous`` None), removed from it (``role`` None) or given another
    role there: the team, old → new. Nothing when it did not change. A team role opens what the team
    holds (a lead sees its private objectives), so every door that writes one calls this."""
    if previous == role:
        return None
    if previous is not None and role is not None:
        change = f"{team.name}: {TeamRole(previous).label} → {TeamRole(role).label}."
    elif previous is not None:
        change = f"Removed from {team.name} (was {TeamRole(previous).label})."
    else:
        change = f"Added to {team.name} as {TeamRole(str(role)).label}."
    return security_event(
        kind=SecurityEventKind.TEAM_ROLE_CHANGED,
        user=membership.user,
        organisation_id=membership.organisation_id,
        actor=actor,
        ip_address=ip_address,
        detail=f"{change} {note}".strip(),
    )


def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    security_event(kind=SecurityEventKind.LOGIN, user=user, request=request)


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Runs after axes counted the attempt (``lockout.SignInLockoutHandler``): the failure, then, if it
    reached a limit, the lockout naming that limit, so the log reads in order."""
    refusal = sign_in_refusal(request)
    email = attempt_username(request, credentials) or ""
    security_event(
        kind=SecurityEventKind.LOGIN_FAILED,
        email=email,
        request=request,
        detail=refused_detail(refusal.limit) if refusal is not None and not refusal.began else "",
    )
    if refusal is not None and refusal.began:
        security_event(
            kind=SecurityEventKind.LOCKOUT, email=email, request=request, detail=lockout_detail(refusal.limit)
        )


def connect_signals() -> None:
    """Called once from ``OkrappConfig.ready`` (after axes', so axes has counted the attempt)."""
    user_logged_in.connect(_logged_in, dispatch_uid="okrapp.security_log.logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="okrapp.security_log.login_failed")
