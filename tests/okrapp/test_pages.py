"""The organisation pages: full GET, htmx partial, valid POST, invalid POST (422), and roles."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from okrapp.context_processors import navigation_for
from okrapp.http import Viewer
from okrapp.models import CompanyRole, Membership, Team, TeamMembership, TeamRole, User

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def nav_labels(membership: Membership) -> list[str]:
    viewer = Viewer.load(membership.user)
    return [item.label for item in navigation_for(viewer)]


def test_navigation_by_role(cast):
    everyone = [
        "Home",
        "My week",
        "Cascade",
        "OKRs",
        "Heatmap",
        "Backlog",
        "Roadmap",
        "Teams",
        "People",
        "Health",
        "Value dimensions",
        "Cycles",
    ]
    assert nav_labels(cast.admin) == [*everyone, "Settings", "System status"]
    assert nav_labels(cast.leadership) == everyone
    assert nav_labels(cast.lead) == everyone
    assert nav_labels(cast.member) == everyone
    assert nav_labels(cast.guest) == [
        "Home",
        "My week",
        "OKRs",
        "Heatmap",
        "Backlog",
        "Roadmap",
        "Teams",
        "Health",
        "Value dimensions",
        "Cycles",
    ]


@pytest.mark.parametrize(
    ("who", "label"),
    [("admin", "Admin"), ("leadership", "Leadership"), ("lead", "Team lead"), ("member", "Member"), ("guest", "Guest")],
)
def test_frame_shows_role_and_teams(login, cast, who, label):
    client = login(getattr(cast, who))
    body = client.get(reverse("home"), follow=True).content.decode()  # leadership lands on the cascade
    assert f'<span class="tag tag-role">{label}</span>' in body
    if who in {"lead", "member", "guest"}:
        assert "Your teams" in body and "Checkout" in body
    assert ("System status" in body) is (who == "admin")


def test_home_query_count(login, cast, django_assert_max_num_queries):
    client = login(cast.member)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200


def test_people_directory(login, cast, django_assert_max_num_queries):
    client = login(cast.member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("people_list"))
    body = response.content.decode()
    assert "Admin@Acme.Test" not in body  # names, not e-mails, title the rows
    assert "admin@acme.test" in body and "lead@acme.test" in body
    assert "admin@globex.test" not in body
    assert "Add a person" not in body  # members read, admins write


def test_guest_cannot_browse_the_directory(login, cast):
    client = login(cast.guest)
    assert client.get(reverse("people_list")).status_code == 403
    assert client.get(reverse("team_people", args=[cast.other_team.pk])).status_code == 404
    assert client.get(reverse("team_people", args=[cast.team.pk])).status_code == 200
    assert client.get(reverse("person_detail", args=[cast.lead.pk])).status_code == 200  # a team-mate
    assert client.get(reverse("person_detail", args=[cast.employee_elsewhere.pk])).status_code == 404
    teams = client.get(reverse("team_list")).content.decode()
    assert "Checkout" in teams and "Growth" not in teams


def test_admin_adds_a_person_who_gets_a_set_password_email(
    login, cast, django_capture_on_commit_callbacks, monkeypatch
):
    from okrapp import services
    from okrapp.tasks import send_invitation

    queued = []
    monkeypatch.setattr(services.send_invitation, "delay", lambda **kwargs: queued.append(kwargs))
    client = login(cast.admin)
    assert client.get(reverse("person_add")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("person_add"),
            {
                "full_name": "Nora New",
                "email": "Nora@Acme.test",
                "job_title": "Engineer",
                "role": "employee",
                "team": cast.team.pk,
                "team_role": "member",
            },
        )
    membership = Membership.objects.get(user__email="nora@acme.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[membership.pk])
    assert membership.organisation == cast.org
    assert TeamMembership.objects.filter(membership=membership, team=cast.team, role=TeamRole.MEMBER).exists()
    assert not membership.user.has_usable_password()
    assert queued == [
        {"user_id": membership.user_id, "invited_by_id": cast.admin.user_id, "site_url": "http://127.0.0.1:8000"}
    ]
    assert len(mail.outbox) == 0  # the worker sends it
    send_invitation(**queued[0])  # what the worker runs
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nora@acme.test"]
    assert "/accounts/reset/" in mail.outbox[0].body and "Acme" in mail.outbox[0].subject


def test_add_person_refuses_a_taken_email_and_keeps_the_input(login, cast):
    client = login(cast.admin)
    response = client.post(
        reverse("person_add"),
        {"full_name": "Twin", "email": "MEMBER@acme.test", "role": "employee", "team_role": "member"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "already has an account" in body
    assert 'value="Twin"' in body
    assert User.objects.filter(email__iexact="member@acme.test").count() == 1


def test_add_person_invalid_email(login, cast):
    response = login(cast.admin).post(
        reverse("person_add"), {"full_name": "X", "email": "not-an-email", "role": "employee", "team_role": "member"}
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()


def test_add_person_cannot_use_another_organisations_team(login, cast):
    response = login(cast.admin).post(
        reverse("person_add"),
        {
            "full_name": "X",
            "email": "x@acme.test",
            "role": "employee",
            "team": cast.outsider_team.pk,
            "team_role": "member",
        },
    )
    assert response.status_code == 422
    assert not User.objects.filter(email="x@acme.test").exists()


@pytest.mark.parametrize("who", ["leadership", "lead", "member"])
def test_only_admins_manage_people_and_teams(login, cast, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("person_add")).status_code == 403
    assert client.get(reverse("team_add")).status_code == 403
    assert client.get(reverse("team_edit", args=[cast.team.pk])).status_code == 403
    assert client.post(reverse("person_detail", args=[cast.member.pk]), {"role": "admin"}).status_code == 403
    assert client.get(reverse("system_status")).status_code == 403
    cast.member.refresh_from_db()
    assert cast.member.role == CompanyRole.EMPLOYEE


def test_admin_changes_a_company_role(login, cast):
    client = login(cast.admin)
    response = client.post(
        reverse("person_detail", args=[cast.member.pk]), {"role": "leadership", "job_title": "Head of X"}
    )
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert (cast.member.role, cast.member.job_title) == ("leadership", "Head of X")


def test_last_admin_cannot_step_down(login, cast):
    client = login(cast.admin)
    response = client.post(reverse("person_detail", args=[cast.admin.pk]), {"role": "employee", "job_title": ""})
    assert response.status_code == 422
    assert "at least one admin" in response.content.decode()
    cast.admin.refresh_from_db()
    assert cast.admin.role == CompanyRole.ADMIN


def test_admin_creates_a_team_under_a_department(login, cast):
    client = login(cast.admin)
    assert client.get(reverse("team_add")).status_code == 200
    response = client.post(
        reverse("team_add"), {"name": "Payments", "parent": cast.department.pk, "mission": "Money in"}
    )
    team = Team.objects.get(name="Payments")
    assert response.status_code == 302
    assert (team.organisation, team.parent) == (cast.org, cast.department)


def test_team_name_must_be_unique_in_the_organisation(login, cast):
    response = login(cast.admin).post(reverse("team_add"), {"name": "checkout", "parent": ""})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_move_a_team(login, cast):
    client = login(cast.admin)
    response = client.post(
        reverse("team_edit", args=[cast.team.pk]), {"name": "Checkout", "parent": cast.other_team.pk}
    )
    assert response.status_code == 302
    cast.team.refresh_from_db()
    assert cast.team.parent == cast.other_team


def test_a_team_cannot_move_under_its_own_child(login, cast):
    client = login(cast.admin)
    response = client.post(
        reverse("team_edit", args=[cast.department.pk]), {"name": "Engineering", "parent": cast.team.pk}
    )
    assert response.status_code == 422
    cast.department.refresh_from_db()
    assert cast.department.parent is None


def test_team_page(login, cast, django_assert_max_num_queries):
    client = login(cast.member)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("team_people", args=[cast.team.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Lead@Acme.Test" not in body
    assert body.index(">Lead</a>") < body.index(">Member</a>") < body.index(">Guest</a>")  # leads first
    assert "Add someone to" not in body


def test_admin_adds_a_team_member(login, cast):
    client = login(cast.admin)
    response = client.post(
        reverse("team_member_add", args=[cast.team.pk]), {"person": cast.employee_elsewhere.pk, "role": "guest"}
    )
    assert response.status_code == 302
    assert TeamMembership.objects.get(team=cast.team, membership=cast.employee_elsewhere).role == TeamRole.GUEST


def test_add_member_rejects_someone_already_in_the_team(login, cast):
    response = login(cast.admin).post(
        reverse("team_member_add", args=[cast.team.pk]), {"person": cast.member.pk, "role": "lead"}
    )
    assert response.status_code == 422
    assert TeamMembership.objects.get(team=cast.team, membership=cast.member).role == TeamRole.MEMBER


def test_role_change_over_htmx_returns_only_the_row(login, cast):
    client = login(cast.admin)
    tm = TeamMembership.objects.get(team=cast.team, membership=cast.member)
    response = client.post(reverse("team_member_role", args=[cast.team.pk, tm.pk]), {"role": "lead"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="member-{tm.pk}">')
    assert "<html" not in body and "Saved" in body
    tm.refresh_from_db()
    assert tm.role == TeamRole.LEAD


def test_role_change_with_a_bad_role_is_422(login, cast):
    client = login(cast.admin)
    tm = TeamMembership.objects.get(team=cast.team, membership=cast.member)
    response = client.post(reverse("team_member_role", args=[cast.team.pk, tm.pk]), {"role": "owner"}, **HTMX)
    assert response.status_code == 422
    assert "not one of the available choices" in response.content.decode()
    tm.refresh_from_db()
    assert tm.role == TeamRole.MEMBER


def test_role_change_without_htmx_redirects(login, cast):
    client = login(cast.admin)
    tm = TeamMembership.objects.get(team=cast.team, membership=cast.member)
    response = client.post(reverse("team_member_role", args=[cast.team.pk, tm.pk]), {"role": "guest"})
    assert response.status_code == 302


def test_remove_team_member(login, cast):
    client = login(cast.admin)
    tm = TeamMembership.objects.get(team=cast.team, membership=cast.member)
    response = client.post(reverse("team_member_remove", args=[cast.team.pk, tm.pk]), **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert not TeamMembership.objects.filter(pk=tm.pk).exists()


def test_system_status_full_page_and_partial(login, cast):
    client = login(cast.admin)
    full = client.get(reverse("system_status")).content.decode()
    assert "<html" in full and "Last worker heartbeat" in full
    partial = client.get(reverse("system_status"), **HTMX).content.decode()
    assert "<html" not in partial and partial.strip().startswith('<div id="status"')


def test_person_without_organisation_sees_a_clear_page(client, db):
    user = User.objects.create_user(email="loner@example.org", password="x", full_name="Loner")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not part of an organisation" in response.content.decode()


def test_styled_404(login, cast):
    response = login(cast.member).get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_styled_500_shows_no_internals(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "SECRET_KEY" not in body


def test_styled_403_explains(login, cast):
    response = login(cast.member).get(reverse("system_status"))
    assert response.status_code == 403
    assert "Only company admins can open this page." in response.content.decode()


def test_healthz_answers_before_host_checks(client, db):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.content == b"ok"


def test_guest_sees_only_own_team_details(login, cast):
    client = login(cast.guest)
    from tests.factories import TeamFactory, TeamMembershipFactory

    TeamFactory(organisation=cast.org, name="Checkout Squad", parent=cast.team)
    TeamMembershipFactory(team=cast.other_team, membership=cast.lead)
    team_page = client.get(reverse("team_people", args=[cast.team.pk])).content.decode()
    assert "Checkout Squad" not in team_page
    lead_page = client.get(reverse("person_detail", args=[cast.lead.pk])).content.decode()
    assert "Growth" not in lead_page and "Checkout" in lead_page


def test_admin_sets_time_zone_and_checkin_day(login, cast):
    client = login(cast.admin)
    assert client.get(reverse("organisation_settings")).status_code == 200
    bad = client.post(reverse("organisation_settings"), {"name": "Acme", "time_zone": "Mars/Olympus", "checkin_day": 4})
    assert bad.status_code == 422
    ok = client.post(reverse("organisation_settings"), {"name": "Acme", "time_zone": "Europe/Berlin", "checkin_day": 3})
    assert ok.status_code == 302
    cast.org.refresh_from_db()
    assert (cast.org.time_zone, cast.org.checkin_day) == ("Europe/Berlin", 3)
    assert login(cast.leadership).get(reverse("organisation_settings")).status_code == 403
