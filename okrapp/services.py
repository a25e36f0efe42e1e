"""Writes to the organisation: people, roles and the team tree. One home per rule."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from okrapp.models import (
    CompanyRole,
    Membership,
    Organisation,
    SecurityEventKind,
    Team,
    TeamMembership,
    TeamRole,
    User,
)
from okrapp.security_log import company_role_event, security_event, team_role_event
from okrapp.selectors import team_descendant_ids
from okrapp.tasks import send_invitation


def person_add(
    *,
    organisation: Organisation,
    full_name: str,
    email: str,
    role: str,
    job_title: str = "",
    team: Team | None = None,
    team_role: str = TeamRole.MEMBER,
    invited_by: User,
    site_url: str,
    actor: Membership | None = None,
    ip_address: str | None = None,
) -> Membership:
    """Create a person with no usable password and e-mail them a link to set one (after commit). Their
    company role (and team role) go to the security log, by ``actor`` from ``ip_address``."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this e-mail address already has an account."})
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError({"team": "That team belongs to another organisation."})
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        except IntegrityError:  # the same address added at the same moment
            raise ValidationError({"email": "Someone with this e-mail address already has an account."}) from None
        membership = Membership.objects.create(
            organisation=organisation, user=user, role=role, job_title=job_title.strip()
        )
        company_role_event(membership=membership, previous=None, role=role, actor=actor, ip_address=ip_address)
        if team is not None:
            TeamMembership.objects.create(team=team, membership=membership, role=team_role)
            team_role_event(
                membership=membership, team=team, previous=None, role=team_role, actor=actor, ip_address=ip_address
            )
        # Sent by a worker after commit: a slow or failing mail server never fails the request.
        transaction.on_commit(
            lambda: send_invitation.delay(user_id=user.pk, invited_by_id=invited_by.pk, site_url=site_url)
        )
    return membership


def set_password_link(*, user: User, site_url: str) -> str:
    """A one-time link to choose a password (Django's reset token, valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{site_url}{path}"


def send_set_password_email(*, user: User, invited_by: User, site_url: str) -> None:
    """The welcome e-mail with a one-time link to choose a password (Django's reset token)."""
    link = set_password_link(user=user, site_url=site_url)
    context = {"user": user, "invited_by": invited_by, "link": link, "site_url": site_url}
    send_mail(
        subject=render_to_string("okrapp/email/invitation_subject.txt", context).strip(),
        message=render_to_string("okrapp/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def membership_change(
    *, membership: Membership, role: str, job_title: str, actor: Membership | None = None, ip_address: str | None = None
) -> Membership:
    """Change a person's company role and title; the organisation always keeps at least one admin. A
    changed role goes to the security log (``actor``: the admin who changed it, from ``ip_address``)."""
    with transaction.atomic():
        # Lock the organisation's admins so two demotions at once cannot both pass the check.
        admins = list(
            Membership.objects.select_for_update(of=("self",))
            # A deactivated admin cannot sign in: only active admins keep the organisation administered.
            .filter(organisation_id=membership.organisation_id, role=CompanyRole.ADMIN, deactivated_at=None)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if role != CompanyRole.ADMIN and admins == [membership.pk]:
            raise ValidationError(
                {"role": "The organisation needs at least one admin who can sign in: make someone else admin first."}
            )
        previous = Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).get()
        membership.role = role
        membership.job_title = job_title.strip()
        membership.save(update_fields=["role", "job_title"])
        company_role_event(membership=membership, previous=previous, role=role, actor=actor, ip_address=ip_address)
    return membership


def person_sign_in_unlock(*, membership: Membership, actor: Membership, ip_address: str | None = None) -> int:
    """Lift a person's sign-in lockout from every address (django-axes forgets their failed attempts)
    and log who did it. Returns the number of attempt records removed (0: nothing was locked)."""
    with transaction.atomic():
        removed = axes_reset(username=membership.user.email.lower())
        security_event(
            kind=SecurityEventKind.UNLOCK,
            user=membership.user,
            organisation_id=membership.organisation_id,
            actor=actor,
            ip_address=ip_address,
            detail="Failed sign-ins forgotten, from every address." if removed else "Nothing was locked.",
        )
    return removed


def _check_parent(*, organisation: Organisation, team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.organisation_id != organisation.pk:
        raise ValidationError({"parent": "That team belongs to another organisation."})
    if team is not None and (parent.pk == team.pk or parent.pk in team_descendant_ids(team)):
        raise ValidationError({"parent": f"{team.name} cannot sit under itself or one of its own teams."})


def team_create(*, organisation: Organisation, name: str, parent: Team | None, mission: str = "") -> Team:
    name = name.strip()
    _check_parent(organisation=organisation, team=None, parent=parent)
    if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError({"name": "A team with this name already exists."})
    try:
        with transaction.atomic():
            return Team.objects.create(organisation=organisation, name=name, parent=parent, mission=mission.strip())
    except IntegrityError:  # created at the same moment by someone else
        raise ValidationError({"name": "A team with this name already exists."}) from None


def team_update(*, team: Team, name: str, parent: Team | None, mission: str = "") -> Team:
    """Rename or move a team in the tree (never under itself or its own descendants)."""
    name = name.strip()
    organisation = team.organisation
    with transaction.atomic():
        # Serialise moves within one organisation so two concurrent moves cannot form a loop.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        _check_parent(organisation=organisation, team=team, parent=parent)
        if Team.objects.filter(organisation=organisation, name__iexact=name).exclude(pk=team.pk).exists():
            raise ValidationError({"name": "A team with this name already exists."})
        team.name, team.parent, team.mission = name, parent, mission.strip()
        team.save(update_fields=["name", "parent", "mission"])
    return team


def team_member_set(
    *, team: Team, membership: Membership, role: str, actor: Membership | None = None, ip_address: str | None = None
) -> TeamMembership:
    """Add a person to a team, or change their role there; a change goes to the security log (by
    ``actor`` from ``ip_address``): a team role opens what the team holds."""
    if membership.organisation_id != team.organisation_id:
        raise ValidationError({"person": "That person belongs to another organisation."})
    with transaction.atomic():
        previous = (
            TeamMembership.objects.select_for_update()
            .filter(team=team, membership=membership)
            .values_list("role", flat=True)
            .first()
        )
        team_membership, _ = TeamMembership.objects.update_or_create(
            team=team, membership=membership, defaults={"role": role}
        )
        team_role_event(
            membership=membership, team=team, previous=previous, role=role, actor=actor, ip_address=ip_address
        )
    return team_membership


def team_member_remove(
    *, team_membership: TeamMembership, actor: Membership | None = None, ip_address: str | None = None
) -> None:
    """Take a person out of a team; logged with the role they had (nothing when already gone)."""
    with transaction.atomic():
        previous = (
            TeamMembership.objects.select_for_update()
            .filter(pk=team_membership.pk)
            .values_list("role", flat=True)
            .first()
        )
        if previous is None:
            return
        TeamMembership.objects.filter(pk=team_membership.pk).delete()
        team_role_event(
            membership=team_membership.membership,
            team=team_membership.team,
            previous=previous,
            role=None,
            actor=actor,
            ip_address=ip_address,
        )
