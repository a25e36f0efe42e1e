"""A user of organisation A gets 404 on every object of organisation B, and lists never cross."""

from __future__ import annotations

import pytest
from django.urls import reverse

from okrapp.models import TeamMembership

pytestmark = pytest.mark.django_db


def outsider_targets(cast):
    tm = TeamMembership.objects.get(team=cast.team, membership=cast.member)
    return [
        ("get", reverse("team_people", args=[cast.team.pk]), {}),
        ("get", reverse("team_edit", args=[cast.team.pk]), {}),
        ("post", reverse("team_edit", args=[cast.team.pk]), {"name": "Stolen"}),
        ("get", reverse("person_detail", args=[cast.member.pk]), {}),
        ("post", reverse("person_detail", args=[cast.member.pk]), {"role": "admin"}),
        ("post", reverse("team_member_add", args=[cast.team.pk]), {"person": cast.outsider.pk, "role": "lead"}),
        ("post", reverse("team_member_role", args=[cast.team.pk, tm.pk]), {"role": "guest"}),
        ("post", reverse("team_member_remove", args=[cast.team.pk, tm.pk]), {}),
        ("get", reverse("team_detail", args=[cast.team.pk]), {}),
        ("get", f"{reverse('backlog')}?team={cast.team.pk}", {}),
        ("get", reverse("backlog_ranked", args=[cast.team.pk]), {}),
        ("get", reverse("epic_list", args=[cast.team.pk]), {}),
        ("get", reverse("sprint_list", args=[cast.team.pk]), {}),
        ("post", reverse("story_add", args=[cast.team.pk]), {"title": "Stolen", "status": "todo"}),
        ("get", reverse("backlog_import", args=[cast.team.pk]), {}),
        ("get", reverse("backlog_export", args=[cast.team.pk]), {}),
    ]


def test_outsider_admin_gets_404_on_everything_of_another_organisation(login, cast):
    client = login(cast.outsider)  # an admin, but of Globex
    for method, url, data in outsider_targets(cast):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    cast.team.refresh_from_db()
    assert cast.team.name == "Checkout"
    assert TeamMembership.objects.filter(team=cast.team).count() == 4


def test_member_of_a_team_cannot_reach_another_organisations_team_member_through_own_team(login, cast):
    client = login(cast.admin)
    foreign = TeamMembership.objects.get(team=cast.outsider_team)
    url = reverse("team_member_role", args=[cast.team.pk, foreign.pk])
    assert client.post(url, {"role": "guest"}).status_code == 404
    assert (
        client.post(
            reverse("team_member_add", args=[cast.team.pk]), {"person": cast.outsider.pk, "role": "member"}
        ).status_code
        == 422
    )


def test_lists_stay_inside_the_organisation(login, cast):
    client = login(cast.outsider)
    for name in ("home", "team_list", "people_list"):
        body = client.get(reverse(name)).content.decode()
        assert "acme.test" not in body
        assert "Acme" not in body
        assert "Engineering" not in body


def test_team_form_offers_only_own_teams_as_parents(login, cast):
    body = login(cast.admin).get(reverse("team_add")).content.decode()
    assert "Engineering" in body and "Globex" not in body
    response = login(cast.admin).post(reverse("team_add"), {"name": "Sneaky", "parent": cast.outsider_team.pk})
    assert response.status_code == 422
