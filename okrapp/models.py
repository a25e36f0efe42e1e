"""The organisation model: the tenant, its teams (a tree) and the people in them.

Every row of every other model belongs to exactly one organisation; no query crosses organisations.
"""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from okrapp.search_vectors import weighted_vector


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (such as Europe/Berlin).")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person who logs in with their e-mail address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ("full_name", "email")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [GinIndex(weighted_vector("full_name", "email"), name="user_search")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Organisation(models.Model):
    """The tenant."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    checkin_day = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.FRIDAY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A unit of the organisation; a team with child teams is a department (company → department → team)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    mission = models.CharField(max_length=240, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="team_name_unique_per_organisation"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("pk")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    LEADERSHIP = "leadership", "Leadership"
    EMPLOYEE = "employee", "Employee"


class TeamRole(models.TextChoices):
    LEAD = "lead", "Lead"
    MEMBER = "member", "Member"
    GUEST = "guest", "Guest"


class Membership(models.Model):
    """A person's place in the organisation: their company role. One organisation per person."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=CompanyRole.choices, default=CompanyRole.EMPLOYEE)
    job_title = models.CharField(max_length=120, blank=True)
    deactivated_at = models.DateTimeField(
        null=True, blank=True, help_text="When an admin deactivated the person: no sign-in, no tokens."
    )
    # What the person receives by e-mail (the in-app bell always shows everything).
    email_reminders = models.BooleanField("e-mail check-in reminders", default=True)
    email_digest = models.BooleanField("e-mail the weekly digest", default=True)
    email_mentions = models.BooleanField("e-mail when someone mentions me", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("user__full_name",)
        indexes = [models.Index(fields=["organisation", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == CompanyRole.ADMIN

    @property
    def is_leadership(self) -> bool:
        return self.role in (CompanyRole.ADMIN, CompanyRole.LEADERSHIP)


class TeamMembership(models.Model):
    """A person's role in one team. Rights are the union of company and team roles."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_memberships")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("team__name",)
        constraints = [models.UniqueConstraint(fields=["team", "membership"], name="one_team_role_per_person")]

    def __str__(self) -> str:
        return f"{self.membership.user} in {self.team} ({self.get_role_display()})"


class Heartbeat(models.Model):
    """Written by the Celery worker on beat's schedule: proves the scheduler → broker → worker path."""

    sent_at = models.DateTimeField(null=True, help_text="When beat published the task.")
    received_at = models.DateTimeField(help_text="When the worker ran it.")
    worker = models.CharField(max_length=200)

    class Meta:
        ordering = ("-received_at",)
        get_latest_by = "received_at"

    def __str__(self) -> str:
        return f"heartbeat from {self.worker} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app message for one person (the bell in the page frame)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message


class JobRun(models.Model):
    """The last run of each scheduled job (one row per job name), for System status."""

    name = models.CharField(max_length=80, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    summary = models.CharField(max_length=300, blank=True, help_text="What it did, in words.")

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} at {self.finished_at:%Y-%m-%d %H:%M:%S}"


class JobFailure(models.Model):
    """A Celery task that failed for good (retries spent, or an error not retried), for System status.
    Ids and the error only: no personal data."""

    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField()
    failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-failed_at",)
        indexes = [models.Index(fields=["failed_at"])]

    def __str__(self) -> str:
        return f"{self.task} failed at {self.failed_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A personal API token: its holder names it, sees it once, and may revoke it. Only a SHA-256 hash
    of the secret is kept; the prefix tells tokens apart in lists."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WebhookEvent(models.TextChoices):
    CHECKIN_SAVED = "checkin.saved", "Check-in saved"
    KEY_RESULT_STATUS_CHANGED = "key_result.status_changed", "Key result status changed"
    OBJECTIVE_CLOSED = "objective.closed", "Objective closed"


class Webhook(models.Model):
    """An address an admin registered for some events; deliveries are signed with its secret."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The WebhookEvent values it receives.")
    secret = models.CharField(max_length=64, help_text="The HMAC-SHA256 key of its signature header.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("url", "pk")

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with its last attempt's status, time and error.
    Nothing of the answer's body is kept: the page would show a server's answer to whoever registered
    the address."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long the last attempt took, in milliseconds (none: nothing was sent)."
    )
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["webhook", "created_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.get_state_display()})"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKOUT = "lockout", "Sign-in locked"
    UNLOCK = "unlock", "Sign-in unlocked"
    ROLE_CHANGED = "role_changed", "Company role changed"
    TEAM_ROLE_CHANGED = "team_role", "Team role changed"  # added to, removed from, or a new role in a team
    DEACTIVATED = "deactivated", "Deactivated"
    REACTIVATED = "reactivated", "Reactivated"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"


class SecurityEvent(models.Model):
    """One line of the security log: sign-ins, failures, lockouts, unlocks, company and team role changes,
    deactivations, API tokens.
    Written only by ``okrapp.security_log.security_event``. The organisation is the subject's; a failed
    sign-in for an e-mail that matches no account belongs to none (no admin sees it)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="security_events"
    )
    kind = models.CharField(max_length=16, choices=SecurityEventKind.choices)
    actor = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Who did it."
    )
    subject_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Whose account."
    )
    subject_email = models.CharField(max_length=254, blank=True, help_text="As typed at sign-in, or the account's.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["organisation", "-created_at"], name="security_event_org_latest")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_email} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class PasswordResetRequest(models.Model):
    """One request of the password-reset page that the address limit let through: from where, and whose
    account it e-mailed (none: no account, or that account's limit was reached). ``okrapp.password_reset``
    counts them over the last hour and prunes older ones."""

    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="The account e-mailed."
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["ip_address", "created_at"], name="password_reset_by_address"),
            models.Index(fields=["user", "created_at"], name="password_reset_by_account"),
            models.Index(fields=["created_at"], name="password_reset_created"),
        ]

    def __str__(self) -> str:
        return f"Password reset from {self.ip_address or 'an unknown address'} at {self.created_at:%Y-%m-%d %H:%M:%S}"
