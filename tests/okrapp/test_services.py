"""Services and selectors of the organisation: the team tree, moves, roles, invitations."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from okrapp import selectors, services
from okrapp.models import CompanyRole, TeamRole
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_team_tree_order_depth_and_counts(cast, django_assert_num_queries):
    TeamFactory(organisation=cast.org, name="Analytics", parent=cast.department)
    with django_assert_num_queries(2):
        nodes = selectors.team_tree(cast.org)
    assert [(n.team.name, n.depth) for n in nodes] == [
        ("Engineering", 0),
        ("Analytics", 1),
        ("Checkout", 1),
        ("Growth", 0),
    ]
    by_name = {n.team.name: n for n in nodes}
    assert by_name["Checkout"].member_count == 4
    assert by_name["Checkout"].lead_names == ["Lead"]
    assert by_name["Engineering"].kind == "Department"
    assert by_name["Checkout"].kind == "Team"


def test_team_tree_query_count_does_not_grow(cast, django_assert_num_queries):
    for i in range(30):
        TeamFactory(organisation=cast.org, name=f"Squad {i}", parent=cast.team)
    with django_assert_num_queries(2):
        assert len(selectors.team_tree(cast.org)) == 33


def test_descendants(cast):
    deeper = TeamFactory(organisation=cast.org, name="Deeper", parent=cast.team)
    assert selectors.team_descendant_ids(cast.department) == {cast.team.pk, deeper.pk}
    assert selectors.team_descendant_ids(deeper) == set()


def test_team_cannot_be_its_own_grandparent(cast):
    deeper = TeamFactory(organisation=cast.org, name="Deeper", parent=cast.team)
    with pytest.raises(ValidationError, match="cannot sit under itself"):
        services.team_update(team=cast.department, name="Engineering", parent=deeper)
    with pytest.raises(ValidationError):
        services.team_update(team=cast.team, name="Checkout", parent=cast.team)


def test_team_moves_to_top_level(cast):
    services.team_update(team=cast.team, name="Checkout", parent=None)
    cast.team.refresh_from_db()
    assert cast.team.parent is None


def test_person_add_sends_email_only_after_commit(cast, django_capture_on_commit_callbacks, monkeypatch):
    from okrapp.tasks import send_invitation

    queued = []
    monkeypatch.setattr(services.send_invitation, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.person_add(
            organisation=cast.org,
            full_name="Ann",
            email="ann@acme.test",
            role=CompanyRole.EMPLOYEE,
            invited_by=cast.admin.user,
            site_url="http://testserver",
        )
    assert len(mail.outbox) == 0
    assert len(callbacks) == 1 and queued == []
    callbacks[0]()
    assert len(queued) == 1 and len(mail.outbox) == 0
    send_invitation(**queued[0])
    assert len(mail.outbox) == 1
    assert "http://testserver/accounts/reset/" in mail.outbox[0].body


def test_last_admin_guard_allows_demotion_when_another_admin_exists(cast):
    services.membership_change(membership=cast.leadership, role=CompanyRole.ADMIN, job_title="")
    services.membership_change(membership=cast.admin, role=CompanyRole.EMPLOYEE, job_title="")
    cast.admin.refresh_from_db()
    assert cast.admin.role == CompanyRole.EMPLOYEE


def test_team_member_set_refuses_other_organisation(cast):
    with pytest.raises(ValidationError):
        services.team_member_set(team=cast.team, membership=cast.outsider, role=TeamRole.MEMBER)


def test_team_member_set_changes_an_existing_role(cast):
    services.team_member_set(team=cast.team, membership=cast.member, role=TeamRole.LEAD)
    assert cast.team.team_memberships.get(membership=cast.member).role == TeamRole.LEAD
    assert cast.team.team_memberships.count() == 4


def test_demo_data_is_idempotent(db):
    from okrapp.demo_data import load_demo

    first = load_demo()
    second = load_demo()
    assert (first.created_people, first.created_teams) == (25, 7)
    assert (second.created_people, second.created_teams) == (0, 0)
    roles = set(first.organisation.memberships.values_list("role", flat=True))
    assert roles == {"admin", "leadership", "employee"}
    team_roles = set(
        first.organisation.memberships.values_list("team_memberships__role", flat=True).exclude(team_memberships=None)
    )
    assert team_roles == {"lead", "member", "guest"}
    departments = first.organisation.teams.filter(parent=None)
    assert departments.count() == 2
    assert first.organisation.teams.exclude(parent=None).count() == 5
