"""Assignees: only the active leads and members of a story's team, on the forms, in the service and the
API; the backlog's assignee filter and its "Mine" toggle; My week's "My stories"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from backlog import services, sprints
from backlog.assignees import assignable_people, my_open_stories
from backlog.models import Story
from objectives import services as objective_services
from okrapp.http import Viewer
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_assignable_people_are_the_teams_active_leads_and_members(cast):
    assert set(assignable_people(cast.team.pk)) == {cast.lead, cast.member, cast.teammate}  # not its guest
    cast.teammate.deactivated_at = timezone.now()
    cast.teammate.save()
    assert set(assignable_people(cast.team.pk)) == {cast.lead, cast.member}


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("employee_elsewhere", "Choose a lead or member of Checkout"),
        ("guest", "Choose a lead or member of Checkout"),
        ("outsider", "another organisation"),
        ("deactivated", "deactivated"),
    ],
)
def test_service_refuses_people_off_the_team(cast, who, message):
    person = cast.teammate if who == "deactivated" else getattr(cast, who)
    if who == "deactivated":
        person.deactivated_at = timezone.now()
        person.save()
    with pytest.raises(ValidationError) as refused:
        services.story_save(organisation=cast.org, team=cast.team, title="Cache", assignee=person)
    assert message in refused.value.message_dict["assignee"][0]
    assert not Story.objects.exists()


def test_someone_who_left_keeps_their_story_until_it_is_reassigned(cast):
    story = services.story_save(organisation=cast.org, team=cast.team, title="Cache", assignee=cast.teammate)
    cast.teammate.deactivated_at = timezone.now()
    cast.teammate.save()
    services.story_save(organisation=cast.org, team=cast.team, title="Cache it", assignee=cast.teammate, story=story)
    story.refresh_from_db()
    assert story.title == "Cache it" and story.assignee == cast.teammate


def test_add_form_offers_team_people_and_refuses_others(login, cast):
    client = login(cast.member)
    page = client.get(f"{reverse('backlog')}?team={cast.team.pk}").content.decode()
    add_form = page.split('id="add-story"')[1].split("</form>")[0]
    assert "Member" in add_form and "Mate" in add_form and "Growth" not in add_form and "Guest" not in add_form
    url = reverse("story_add", args=[cast.team.pk])
    bad = client.post(url, {"title": "Cache", "status": "todo", "assignee": cast.employee_elsewhere.pk}, **HTMX)
    assert bad.status_code == 422 and "Choose a lead or member of the story" in bad.content.decode()
    assert not Story.objects.exists()
    good = client.post(url, {"title": "Cache", "status": "todo", "assignee": cast.member.pk})
    assert good.status_code == 302 and Story.objects.get().assignee == cast.member


def test_edit_form_changes_the_assignee(login, cast):
    story = services.story_save(organisation=cast.org, team=cast.team, title="Cache")
    client = login(cast.member)
    url = reverse("story_edit", args=[story.pk])
    page = client.get(url).content.decode()
    version = page.split('name="version" value="')[1].split('"')[0]
    data = {"title": "Cache", "status": "todo", "version": version}
    bad = client.post(url, {**data, "assignee": cast.outsider.pk})
    assert bad.status_code == 422 and "Choose a lead or member" in bad.content.decode()
    assert client.post(url, {**data, "assignee": cast.teammate.pk}).status_code == 302
    story.refresh_from_db()
    assert story.assignee == cast.teammate


def test_api_refuses_an_assignee_off_the_team(cast):
    api = APIClient()
    api.force_authenticate(cast.member.user)
    body = {"team": cast.team.pk, "title": "Cache", "assignee": cast.employee_elsewhere.pk}
    refused = api.post("/api/v1/stories/", body, format="json")
    assert refused.status_code == 400 and "assignee" in refused.content.decode()
    assert not Story.objects.exists()
    created = api.post("/api/v1/stories/", {**body, "assignee": cast.member.pk}, format="json")
    assert created.status_code == 201 and created.json()["assignee"] == cast.member.pk
    assert isinstance(created.json()["rank"], str)
    moved = api.patch(f"/api/v1/stories/{created.json()['id']}/", {"rank": "0"}, format="json")
    assert Story.objects.get().rank == created.json()["rank"], moved.content  # rank is read-only


def test_backlog_shows_and_filters_by_assignee_with_a_mine_toggle(login, cast, django_assert_max_num_queries):
    services.story_save(organisation=cast.org, team=cast.team, title="Mine to do", assignee=cast.member)
    services.story_save(organisation=cast.org, team=cast.team, title="Mate's work", assignee=cast.teammate)
    services.story_save(organisation=cast.org, team=cast.team, title="Unclaimed")
    client = login(cast.member)
    base = f"{reverse('backlog')}?team={cast.team.pk}"
    with django_assert_max_num_queries(30):
        page = client.get(base + "&sprint=none").content.decode()
    rows = page.split('id="story-list"')[1]
    assert "Mine to do" in rows and "Mate" in rows and "Nobody yet" in rows
    mine_link = page.split('class="button button-secondary mine-toggle')[1].split('href="')[1].split('"')[0]
    assert f"assignee={cast.member.pk}" in mine_link and "sprint=none" in mine_link  # keeps the other filters
    mine = client.get(mine_link.replace("&amp;", "&")).content.decode().split('id="story-list"')[1]
    assert "Mine to do" in mine and "Mate's work" not in mine and "Unclaimed" not in mine
    assert 'aria-current="true"' in client.get(mine_link.replace("&amp;", "&")).content.decode()
    nobody = client.get(base + "&assignee=none").content.decode().split('id="story-list"')[1]
    assert "Unclaimed" in nobody and "Mine to do" not in nobody
    partial = client.get(base + "&assignee=none", HTTP_HX_TARGET="story-list", **HTMX).content.decode()
    assert "Unclaimed" in partial and "<html" not in partial


@pytest.fixture
def my_work(cast, okrs):
    company, _dept, team_objective = okrs
    private = objective_services.objective_create(
        organisation=cast.org,
        cycle=team_objective.cycle,
        team=cast.team,
        title="Secret plan",
        owner=cast.lead,
        visibility="private",
        state="active",
    )
    visible_kr = objective_services.key_result_create(
        objective=team_objective, title="p95 under 300 ms", start_value=800, target_value=300, today=TODAY
    )
    epic_kr = objective_services.key_result_create(
        objective=company, title="NPS above 40", start_value=20, target_value=40, today=TODAY
    )
    secret_kr = objective_services.key_result_create(
        objective=private, title="Secret KR", start_value=0, target_value=1, today=TODAY
    )
    epic = services.epic_save(organisation=cast.org, team=cast.team, title="Speed")
    services.link_epic(epic=epic, key_result=epic_kr)
    sprint = sprints.sprint_save(
        organisation=cast.org, team=cast.team, name="Sprint 9", start_date=TODAY, end_date=TODAY
    )
    doing = services.story_save(
        organisation=cast.org, team=cast.team, title="Cache the basket", status="in_progress", epic=epic, sprint=sprint
    )
    services.story_save(organisation=cast.org, team=cast.team, title="Cache", assignee=None)
    services.link_story(story=doing, key_result=visible_kr)
    services.link_story(story=doing, key_result=secret_kr)
    doing.assignee = cast.member
    doing.save()
    todo = services.story_save(organisation=cast.org, team=cast.team, title="Trim the bundle", assignee=cast.member)
    services.story_save(organisation=cast.org, team=cast.team, title="Old work", status="done", assignee=cast.member)
    services.story_save(organisation=cast.org, team=cast.team, title="Mate's", assignee=cast.teammate)
    return doing, todo


@pytest.mark.usefixtures("my_work")
def test_my_open_stories_with_their_visible_krs_in_fixed_queries(cast, django_assert_num_queries):
    viewer = Viewer.load(cast.member.user)
    assert viewer is not None
    with django_assert_num_queries(5):  # stories, own links, epic links, which of their KRs I see (tree, KRs)
        rows = my_open_stories(viewer)
    assert [r.story.title for r in rows] == ["Cache the basket", "Trim the bundle"]  # in progress first
    assert [kr.title for kr in rows[0].key_results] == ["p95 under 300 ms", "NPS above 40"]  # not the secret
    assert rows[1].key_results == []
    for i in range(10):
        services.story_save(organisation=cast.org, team=cast.team, title=f"More {i}", assignee=cast.member)
    with django_assert_num_queries(5):
        assert len(my_open_stories(viewer)) == 12


def test_my_week_lists_my_stories(login, cast, my_work):
    page = login(cast.member).get(reverse("my_week")).content.decode()
    section = page.split('id="my-stories-heading"')[1]
    assert "2 open stories assigned to you" in section
    assert "Cache the basket" in section and "Trim the bundle" in section and "Sprint 9" in section
    assert "p95 under 300 ms" in section and "NPS above 40" in section
    assert "Secret KR" not in page and "Old work" not in page and "Mate&#x27;s" not in section
    assert reverse("story_edit", args=[my_work[0].pk]) in section
    empty = login(cast.teammate).get(reverse("my_week")).content.decode()
    assert "1 open story assigned to you" in empty
    assert "No open story is assigned to you" in login(cast.lead).get(reverse("my_week")).content.decode()
