"""New organisations: an installation holds several, each with its first admin. Used by the
``create_organisation`` command (no password: a set-password link) and the optional sign-up page (the
person chooses a password there). Every row of an organisation is its own; nothing here crosses over."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from okrapp.models import CompanyRole, Membership, Organisation, User, validate_time_zone
from okrapp.security_log import company_role_event

NAME_MAX_LENGTH = Organisation._meta.get_field("name").max_length or 120
SLUG_MAX_LENGTH = Organisation._meta.get_field("slug").max_length or 60
PERSON_NAME_MAX_LENGTH = User._meta.get_field("full_name").max_length or 150
DEFAULT_TIME_ZONE = "Europe/London"
EMAIL_TAKEN = "This e-mail address cannot be used here. If it is yours, sign in or reset your password."


def free_slug(name: str) -> str:
    """A slug from the name that no organisation has yet: ``acme``, else ``acme-2``, ``acme-3``…"""
    base = slugify(name)[: SLUG_MAX_LENGTH - 4].strip("-") or "organisation"
    taken = set(Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _checked(
    *, name: str, admin_email: str, admin_name: str, slug: str | None, time_zone: str
) -> tuple[str, str, str, str]:
    """The cleaned (name, e-mail, person's name, slug), or a ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    name, admin_name = name.strip(), admin_name.strip()
    email = User.objects.normalize_email(admin_email.strip()).lower()
    if not name:
        errors["name"] = "Give the organisation a name."
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"Keep the name under {NAME_MAX_LENGTH} characters."
    if not admin_name:
        errors["admin_name"] = "Give the admin's name."
    elif len(admin_name) > PERSON_NAME_MAX_LENGTH:
        errors["admin_name"] = f"Keep the name under {PERSON_NAME_MAX_LENGTH} characters."
    try:
        validate_email(email)
    except ValidationError:
        errors["admin_email"] = "Enter a valid e-mail address, like ana@acme.example."
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["admin_email"] = EMAIL_TAKEN
    try:
        validate_time_zone(time_zone)
    except ValidationError:
        errors["time_zone"] = f"{time_zone!r} is not an IANA time zone name (such as Europe/Berlin)."
    if slug is not None:
        slug = slug.strip()
        try:
            validate_slug(slug)
            if len(slug) > SLUG_MAX_LENGTH:
                raise ValidationError("too long")
        except ValidationError:
            errors["slug"] = f"A slug is letters, digits, hyphens and underscores, at most {SLUG_MAX_LENGTH}."
        else:
            if Organisation.objects.filter(slug=slug).exists():
                errors["slug"] = f"An organisation with the slug “{slug}” already exists."
    if errors:
        raise ValidationError(errors)
    return name, email, admin_name, slug or free_slug(name)


def organisation_create(
    *,
    name: str,
    admin_email: str,
    admin_name: str,
    slug: str | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
    password: str | None = None,
    ip_address: str | None = None,
) -> Membership:
    """Create an organisation and its first admin in one transaction; return the admin's membership.
    The admin's role goes to the security log (from ``ip_address``: the sign-up page's client).

    ``slug``: given, it must be free; left out, one is derived from the name. ``password``: checked by
    Django's password validators (errors under ``password``); None leaves the admin without a usable
    password, to be chosen through a set-password link (``okrapp.services.set_password_link``).
    Raises ValidationError per field (``name``, ``admin_email``, ``admin_name``, ``slug``, ``time_zone``,
    ``password``); nothing is created then."""
    name, email, admin_name, slug = _checked(
        name=name, admin_email=admin_email, admin_name=admin_name, slug=slug, time_zone=time_zone
    )
    if password is not None:
        try:
            validate_password(password, User(email=email, full_name=admin_name))
        except ValidationError as invalid:
            raise ValidationError({"password": invalid.messages}) from None
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, slug=slug, time_zone=time_zone)
            user = User.objects.create_user(email=email, password=password, full_name=admin_name)
            admin = Membership.objects.create(organisation=organisation, user=user, role=CompanyRole.ADMIN)
            company_role_event(
                membership=admin,
                previous=None,
                role=CompanyRole.ADMIN,
                actor=None,
                ip_address=ip_address,
                note="The organisation's first admin, with the organisation.",
            )
            return admin
    except IntegrityError:  # the same e-mail or slug taken at the same moment: nothing was kept
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError({"admin_email": EMAIL_TAKEN}) from None
        raise ValidationError({"slug": f"An organisation with the slug “{slug}” already exists."}) from None
