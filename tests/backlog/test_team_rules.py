"""A story's epic and sprint belong to its team, whatever the door (issue 19, finding 6): the API's
create, PUT and PATCH, the page forms, the service itself (the Jira import's door is in
``test_imports``). Before, ``POST /api/v1/stories/ {"team": 3, "epic": 18}`` answered 201 for a member
of team 3 when epic 18 was another team's."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from backlog import services, sprints
from backlog.models import Story
from tests.api.test_resources import client_for, errors

pytestmark = pytest.mark.django_db

REFUSED = "This epic belongs to another team: choose an epic of the story's team."


@pytest.fixture
def epics(cast):
    ours = services.epic_save(organisation=cast.org, team=cast.team, title="One-tap pay")
    theirs = services.epic_save(organisation=cast.org, team=cast.other_team, title="Growth loops")
    return ours, theirs


@pytest.fixture
def their_sprint(cast):
    return sprints.sprint_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Growth 1",
        start_date=date(2026, 11, 16),
        end_date=date(2026, 11, 27),
    )


def test_the_api_refuses_a_new_story_under_another_team_s_epic(cast, epics):
    ours, theirs = epics
    member = client_for(cast.member)
    refused = member.post("/api/v1/stories/", {"team": cast.team.pk, "epic": theirs.pk, "title": "X"}, format="json")
    assert refused.status_code == 400
    assert errors(refused) == [{"field": "epic", "message": REFUSED}]
    assert not Story.objects.exists()
    created = member.post("/api/v1/stories/", {"team": cast.team.pk, "epic": ours.pk, "title": "Y"}, format="json")
    assert created.status_code == 201 and created.json()["epic"] == ours.pk


def test_the_api_refuses_moving_a_story_under_another_team_s_epic_by_patch_and_put(cast, epics):
    ours, theirs = epics
    story = services.story_save(organisation=cast.org, team=cast.team, title="Remember the card", epic=ours)
    member = client_for(cast.member)
    url = f"/api/v1/stories/{story.pk}/"
    patched = member.patch(url, {"epic": theirs.pk}, format="json")
    assert patched.status_code == 400 and errors(patched) == [{"field": "epic", "message": REFUSED}]
    whole = {k: v for k, v in member.get(url).json().items() if k not in ("id", "done_at", "rank", "external_key")}
    put = member.put(url, {**whole, "epic": theirs.pk}, format="json")
    assert put.status_code == 400 and errors(put) == [{"field": "epic", "message": REFUSED}]
    story.refresh_from_db()
    assert story.epic == ours


def test_the_api_refuses_another_team_s_sprint(cast, their_sprint):
    answer = client_for(cast.member).post(
        "/api/v1/stories/", {"team": cast.team.pk, "sprint": their_sprint.pk, "title": "X"}, format="json"
    )
    assert answer.status_code == 400 and [e["field"] for e in errors(answer)] == ["sprint"]
    assert not Story.objects.exists()


def test_the_service_refuses_another_team_s_epic_and_sprint(cast, epics, their_sprint):
    _ours, theirs = epics
    with pytest.raises(ValidationError) as refused:
        services.story_save(organisation=cast.org, team=cast.team, title="X", epic=theirs, sprint=their_sprint)
    assert refused.value.message_dict == {"epic": [REFUSED], "sprint": ["Choose a sprint of the story's team."]}


def test_the_page_forms_refuse_another_team_s_epic_by_the_field(cast, epics, login):
    ours, theirs = epics
    client = login(cast.member)
    added = client.post(reverse("story_add", args=[cast.team.pk]), {"title": "X", "status": "todo", "epic": theirs.pk})
    assert added.status_code == 422 and "epic" in added.context["form"].errors
    assert not Story.objects.exists()
    story = services.story_save(organisation=cast.org, team=cast.team, title="Mine", epic=ours)
    data = {"title": "Mine", "status": "todo", "epic": theirs.pk}
    edited = client.post(reverse("story_edit", args=[story.pk]), data)
    assert edited.status_code == 422 and "epic" in edited.context["form"].errors
    story.refresh_from_db()
    assert story.epic == ours


def test_an_epic_s_parent_and_theme_stay_in_the_organisation(cast, epics):
    ours, _theirs = epics
    foreign_theme = services.theme_save(organisation=cast.outsider_org, title="Not ours")
    foreign_parent = services.epic_save(organisation=cast.outsider_org, team=cast.outsider_team, title="Not ours")
    with pytest.raises(ValidationError) as refused:
        services.epic_save(
            organisation=cast.org, team=cast.team, title="X", theme=foreign_theme, parent=foreign_parent, epic=ours
        )
    assert set(refused.value.message_dict) == {"theme", "parent"}
    lead = client_for(cast.lead)
    answer = lead.patch(f"/api/v1/epics/{ours.pk}/", {"theme": foreign_theme.pk}, format="json")
    assert answer.status_code == 400 and [e["field"] for e in errors(answer)] == ["theme"]
