"""Forms of the organisation pages. Choices are always scoped to the viewer's organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError

from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamRole
from okrapp.selectors import team_descendant_ids


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (the rest above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class EmailLoginForm(AuthenticationForm):
    """Login by e-mail, with one generic message whether the e-mail or the password was wrong."""

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": "That e-mail and password do not match an account. Check both and try again.",
        "inactive": "That e-mail and password do not match an account. Check both and try again.",
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class SetPasswordLinkForm(PasswordResetForm):
    """Password reset that also reaches invited people who never chose a password (Django's skips
    unusable passwords), so an expired invitation link can be renewed from the login page.

    ``recipients``: set by the view to the accounts the limits let through (``okrapp.password_reset``);
    ``save`` then e-mails only those."""

    recipients: list[Any] | None = None

    def get_users(self, email: str) -> Iterator[Any]:
        from okrapp.models import User

        if self.recipients is not None:
            yield from self.recipients
            return
        yield from User.objects.filter(email__iexact=email.strip(), is_active=True)


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class PersonAddForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="E-mail")
    job_title = forms.CharField(label="Job title", max_length=120, required=False)
    role = forms.ChoiceField(
        label="Company role",
        choices=CompanyRole.choices,
        initial=CompanyRole.EMPLOYEE,
        help_text="Admins manage people, teams and cycles; leadership reads everything that is not private.",
    )
    team = TeamChoiceField(label="Team", queryset=Team.objects.none(), required=False, empty_label="No team yet")
    team_role = forms.ChoiceField(label="Role in the team", choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)  # type: ignore[attr-defined]


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("role", "job_title")
        labels = {"role": "Company role", "job_title": "Job title"}


class TeamForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    parent = TeamChoiceField(
        label="Sits under",
        queryset=Team.objects.none(),
        required=False,
        empty_label="The company (top level)",
        help_text="A team with teams under it is a department.",
    )
    mission = forms.CharField(label="Mission", max_length=240, required=False)

    def __init__(self, *args: Any, organisation: Organisation, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Team.objects.filter(organisation=organisation)
        if team is not None:
            # A team cannot move under itself or under one of its own teams.
            parents = parents.exclude(pk__in={team.pk} | team_descendant_ids(team))
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


class TeamMemberAddForm(forms.Form):
    person = forms.ModelChoiceField(label="Person", queryset=Membership.objects.none(), empty_label="Choose a person")
    role = forms.ChoiceField(label="Role in the team", choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        field.queryset = (  # type: ignore[attr-defined]
            Membership.objects.filter(organisation_id=team.organisation_id)
            .exclude(team_memberships__team=team)
            .select_related("user")
            .order_by("user__full_name")
        )
        field.label_from_instance = lambda m: f"{m.user.full_name} ({m.user.email})"  # type: ignore[attr-defined]


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=TeamRole.choices)


class OrganisationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone", help_text="Weeks, check-in day, reminders and digests follow it.")

    class Meta:
        model = Organisation
        fields = ("name", "time_zone", "checkin_day")
        labels = {"name": "Name", "checkin_day": "Check-in day"}
        help_texts = {"checkin_day": "Owners who have not checked in by this day get one reminder that week."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        import zoneinfo

        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones())]  # type: ignore[attr-defined]
