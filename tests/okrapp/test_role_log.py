"""Every change of a company or team role reaches the security log, from every door that writes one:
who changed whom, the team, old → new. A member made lead sees the team's private objectives, so a
role change is as much a security event as a sign-in."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from okrapp.handover import HandoverRequest, hand_over
from okrapp.http import Viewer
from okrapp.models import CompanyRole, Membership, SecurityEvent, SecurityEventKind, TeamMembership, TeamRole, User
from okrapp.organisations import organisation_create
from okrapp.people import person_deactivate, person_reactivate

pytestmark = pytest.mark.django_db

ADDRESS = "10.0.0.7"
TEAM_ROLE = "team_role"  # SecurityEventKind.TEAM_ROLE_CHANGED, spelt out so the test fails before it existed


def team_events(**filters) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=TEAM_ROLE, **filters).order_by("pk"))


def who(event: SecurityEvent) -> tuple:
    return (event.actor, event.subject_user, event.organisation, event.ip_address)


def row(cast, membership: Membership) -> TeamMembership:
    return TeamMembership.objects.get(team=cast.team, membership=membership)


def test_member_made_lead_on_the_team_page_is_logged(login, cast):
    admin = login(cast.admin)
    url = reverse("team_member_role", args=[cast.team.pk, row(cast, cast.member).pk])
    assert admin.post(url, {"role": TeamRole.LEAD}, REMOTE_ADDR=ADDRESS).status_code == 302
    [event] = team_events()
    assert who(event) == (cast.admin, cast.member.user, cast.org, ADDRESS)
    assert event.detail == "Checkout: Member → Lead."
    # The same role again (an htmx save of an unchanged select) is no change.
    admin.post(url, {"role": TeamRole.LEAD}, HTTP_HX_REQUEST="true")
    assert len(team_events()) == 1


def test_added_to_and_removed_from_a_team_on_the_team_page_are_logged(login, cast):
    admin = login(cast.admin)
    added = admin.post(
        reverse("team_member_add", args=[cast.other_team.pk]),
        {"person": cast.member.pk, "role": TeamRole.GUEST},
        REMOTE_ADDR=ADDRESS,
    )
    assert added.status_code == 302
    removed = admin.post(reverse("team_member_remove", args=[cast.team.pk, row(cast, cast.teammate).pk]))
    assert removed.status_code == 302
    joined, left = team_events()
    assert who(joined) == (cast.admin, cast.member.user, cast.org, ADDRESS)
    assert joined.detail == "Added to Growth as Guest."
    assert (left.actor, left.subject_user) == (cast.admin, cast.teammate.user)
    assert left.detail == "Removed from Checkout (was Member)."


def test_a_person_added_with_a_team_logs_both_roles(login, settings, cast):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    admin = login(cast.admin)
    response = admin.post(
        reverse("person_add"),
        {
            "full_name": "Newt New",
            "email": "newt@acme.test",
            "role": CompanyRole.LEADERSHIP,
            "team": cast.team.pk,
            "team_role": TeamRole.LEAD,
        },
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    newt = User.objects.get(email="newt@acme.test")
    [company] = SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED, subject_user=newt)
    assert who(company) == (cast.admin, newt, cast.org, ADDRESS)
    assert company.detail == "Joined as Leadership."
    [team] = team_events(subject_user=newt)
    assert who(team) == (cast.admin, newt, cast.org, ADDRESS)
    assert team.detail == "Added to Checkout as Lead."


def test_a_handover_of_the_teams_someone_leads_logs_both_sides(cast):
    viewer = Viewer.load(cast.admin.user)
    assert viewer is not None
    hand_over(viewer=viewer, person=cast.lead, requests={"teams": HandoverRequest(cast.member.pk, {cast.team.pk})})
    assert row(cast, cast.lead).role == TeamRole.MEMBER and row(cast, cast.member).role == TeamRole.LEAD
    stepped_down, stepped_up = team_events()
    assert (stepped_down.actor, stepped_down.subject_user) == (cast.admin, cast.lead.user)
    assert stepped_down.detail == "Checkout: Lead → Member."
    assert (stepped_up.actor, stepped_up.subject_user) == (cast.admin, cast.member.user)
    assert stepped_up.detail == "Checkout: Member → Lead."


def test_deactivation_and_reactivation_have_kinds_of_their_own(cast):
    person_deactivate(actor=cast.admin, membership=cast.member, now=timezone.now())
    person_reactivate(actor=cast.admin, membership=cast.member)
    kinds = list(
        SecurityEvent.objects.filter(subject_user=cast.member.user).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["deactivated", "reactivated"]


def test_the_first_admin_of_a_new_organisation_is_logged():
    admin = organisation_create(
        name="Initech", admin_email="ann@initech.test", admin_name="Ann", password=None, ip_address=ADDRESS
    )
    [event] = SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED)
    assert (event.actor, event.subject_user, event.organisation, event.ip_address) == (
        None,
        admin.user,
        admin.organisation,
        ADDRESS,
    )
    assert event.detail.startswith("Joined as Admin.")


@pytest.fixture
def operator(client, cast):
    operator = User.objects.create_superuser(email="ops@example.test", password="x", full_name="Ops")
    client.force_login(operator)
    return client


def admin_form(cast, membership: Membership, rows: list[dict], role: str | None = None) -> dict:
    """The Django admin's change form for a membership, with its team rows (``id`` for existing ones)."""
    existing = [r for r in rows if r.get("id")]
    data = {
        "organisation": cast.org.pk,
        "user": membership.user_id,
        "role": role or membership.role,
        "job_title": membership.job_title,
        "email_reminders": "on",
        "email_digest": "on",
        "email_mentions": "on",
        "team_memberships-TOTAL_FORMS": len(rows),
        "team_memberships-INITIAL_FORMS": len(existing),
        "team_memberships-MIN_NUM_FORMS": 0,
        "team_memberships-MAX_NUM_FORMS": 1000,
    }
    for n, fields in enumerate(rows):
        for key, value in fields.items():
            data[f"team_memberships-{n}-{key}"] = value
        data[f"team_memberships-{n}-membership"] = membership.pk
    return data


def test_the_django_admin_logs_company_and_team_role_changes(operator, cast):
    url = reverse("admin:okrapp_membership_change", args=[cast.member.pk])
    member_row = row(cast, cast.member)
    data = admin_form(
        cast,
        cast.member,
        [
            {"id": member_row.pk, "team": cast.team.pk, "role": TeamRole.LEAD},
            {"team": cast.other_team.pk, "role": TeamRole.GUEST},
        ],
        role=CompanyRole.ADMIN,
    )
    response = operator.post(url, data, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302, response.content.decode()[:2000]
    [company] = SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_CHANGED)
    assert (company.subject_user, company.organisation, company.ip_address) == (cast.member.user, cast.org, ADDRESS)
    assert company.detail == "Company role Employee → Admin. In the Django admin, by ops@example.test."
    details = sorted(event.detail for event in team_events(subject_user=cast.member.user))
    assert details == [
        "Added to Growth as Guest. In the Django admin, by ops@example.test.",
        "Checkout: Member → Lead. In the Django admin, by ops@example.test.",
    ]
    # Removing a row there is logged too.
    growth_row = TeamMembership.objects.get(team=cast.other_team, membership=cast.member)
    data = admin_form(
        cast,
        cast.member,
        [
            {"id": member_row.pk, "team": cast.team.pk, "role": TeamRole.LEAD},
            {"id": growth_row.pk, "team": cast.other_team.pk, "role": TeamRole.GUEST, "DELETE": "on"},
        ],
    )
    assert operator.post(url, data).status_code == 302
    assert team_events()[-1].detail == "Removed from Growth (was Guest). In the Django admin, by ops@example.test."


def test_the_security_log_page_shows_team_role_changes(login, cast):
    admin = login(cast.admin)
    admin.post(reverse("team_member_role", args=[cast.team.pk, row(cast, cast.member).pk]), {"role": TeamRole.LEAD})
    page = admin.get(reverse("security_log"), {"kind": TEAM_ROLE})
    html = page.content.decode()
    assert "Team role changed" in html and "Checkout: Member → Lead." in html and "By Admin" in html
    assert [event.kind for event in page.context["events"]] == [TEAM_ROLE]


def test_the_migration_gives_earlier_deactivations_their_kinds(cast):
    migration = importlib.import_module("okrapp.migrations.0008_security_kinds_password_resets")
    for detail in ("Deactivated: no sign-in, no API tokens (0 session(s) ended).", "Reactivated: can sign in again."):
        SecurityEvent.objects.create(kind=SecurityEventKind.ROLE_CHANGED, subject_user=cast.member.user, detail=detail)
    SecurityEvent.objects.create(kind=SecurityEventKind.ROLE_CHANGED, detail="Company role Employee → Admin.")
    migration.split_out_deactivations(apps, None)
    assert sorted(SecurityEvent.objects.values_list("kind", flat=True)) == [
        "deactivated",
        "reactivated",
        "role_changed",
    ]
