"""Change history: triggers catch every write (bulk updates too), computed columns write none (the
sweep), and the objective and key result pages show who changed what, when, old → new."""

from __future__ import annotations

from datetime import timedelta

import pghistory
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backlog import services as backlog_services
from backlog.models import EpicLink, Story, StoryLink
from checkins import services as checkin_services
from checkins.models import CheckIn
from history import models as history
from history.selectors import HISTORY_LIMIT, key_result_timeline, objective_timeline
from objectives import services
from objectives.models import KeyResult, Objective
from objectives.services.jobs import sweep
from okrapp.http import Viewer
from okrapp.models import Membership, TeamMembership
from okrapp.tokens import api_token_create
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

EVENT_MODELS = (
    history.ObjectiveEvent,
    history.KeyResultEvent,
    history.CheckInEvent,
    history.StoryEvent,
    history.StoryLinkEvent,
    history.EpicLinkEvent,
    history.MembershipEvent,
    history.TeamMembershipEvent,
)


def events() -> int:
    return sum(model.objects.count() for model in EVENT_MODELS)


def viewer(membership: Membership) -> Viewer:
    found = Viewer.load(membership.user)
    assert found is not None
    return found


@pytest.fixture
def latency(cast, okrs):
    return services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        unit="ms",
        owner=cast.member,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("model", "recorded", "key"),
    [
        (Objective, history.OBJECTIVE_FIELDS, "objective"),
        (KeyResult, history.KEY_RESULT_FIELDS, "key result"),
        (CheckIn, history.CHECKIN_FIELDS, "check-in"),
        (Story, history.STORY_FIELDS, "story"),
        (StoryLink, ("story", *history.LINK_FIELDS), "link"),
        (EpicLink, ("epic", *history.LINK_FIELDS), "link"),
        (Membership, history.MEMBERSHIP_FIELDS, "membership"),
        (TeamMembership, history.TEAM_MEMBERSHIP_FIELDS, "team membership"),
    ],
)
def test_every_column_is_either_recorded_or_declared_not_recorded(model, recorded, key):
    """A new column is a decision: people write it (record it) or it is computed (say so)."""
    columns = {f.name for f in model._meta.concrete_fields}
    assert set(recorded) | history.NOT_RECORDED[key] == columns
    assert not set(recorded) & history.NOT_RECORDED[key]


def test_a_bulk_update_is_recorded_with_no_one_as_its_author(cast, okrs, latency):
    services.key_result_create(objective=okrs[2], title="Checkout conversion", start_value=2, target_value=3)
    before = history.KeyResultEvent.objects.filter(pgh_label="update").count()
    changed = KeyResult.objects.filter(objective=okrs[2]).update(weight=2.0)
    updates = history.KeyResultEvent.objects.filter(pgh_label="update").order_by("pgh_id")
    assert changed == 2 and updates.count() == before + 2
    assert {e.weight for e in updates} == {2.0} and all(e.pgh_context_id is None for e in updates)
    entry = key_result_timeline(viewer(cast.lead), latency).entries[0]
    assert (entry.who, entry.summary) == ("The app", "changed the key result")
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("Weight", "1", "2")]


def test_the_sweep_and_check_ins_write_no_key_result_or_objective_history(cast, okrs, latency):
    checkin_services.checkin_save(
        viewer=viewer(cast.member), key_result=latency, value=550, confidence=0.6, today=TODAY - timedelta(days=7)
    )
    objective_events = history.ObjectiveEvent.objects.count()
    kr_events = history.KeyResultEvent.objects.count()
    assert history.CheckInEvent.objects.count() == 1  # the check-in's own history shows its value
    total = events()
    # Weeks later the expected progress has moved on and no one checked in: statuses change.
    count, summary = sweep(today=TODAY + timedelta(days=30))
    assert count > 0, summary
    latency.refresh_from_db()
    assert latency.status == "stale"
    assert events() == total
    assert (history.ObjectiveEvent.objects.count(), history.KeyResultEvent.objects.count()) == (
        objective_events,
        kr_events,
    )


def test_key_result_page_shows_who_changed_what(client, login, cast, okrs, latency, django_assert_num_queries):
    # No one signed in (a job, a command): "the app". First: pghistory's context lasts to the end of its
    # transaction, and a test runs in one.
    checkin_services.checkin_save(
        viewer=viewer(cast.member), key_result=latency, value=550, confidence=0.6, what_changed="CDN", today=TODAY
    )
    lead = login(cast.lead)
    response = lead.post(
        reverse("key_result_edit", args=[latency.pk]),
        {
            "title": "API p95 latency",
            "kind": "metric",
            "owner": cast.member.pk,
            "unit": "ms",
            "start_value": "800",
            "target_value": "250",
            "current_value": "800",
            "weight": "1",
            "measure": "lag",
        },
    )
    assert response.status_code == 302
    with pghistory.context(user=cast.member.user_id):
        checkin_services.checkin_save(
            viewer=viewer(cast.member), key_result=latency, value=500, confidence=0.7, what_changed="CDN", today=TODAY
        )
    story = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Cache the basket", points=5)
    with pghistory.context(user=cast.lead.user_id):
        backlog_services.link_story(story=story, key_result=latency, share=0.25)
        backlog_services.unlink_story(story=story, key_result=latency)

    body = login(cast.member).get(reverse("key_result_detail", args=[latency.pk])).content.decode()
    history_html = body.split('id="history-heading"')[1]
    assert "Change history" in body
    assert "Lead</span> changed the key result" in history_html
    assert "Target</dt>" in history_html and "300 ms</span>" in history_html and "250 ms</span>" in history_html
    assert "The app</span> checked in for W47 · Mon 16 Nov" in history_html  # no one signed in: a job
    assert "Member</span> changed the check-in of W47 · Mon 16 Nov" in history_html
    assert "550 ms</span>" in history_html and "500 ms</span>" in history_html
    assert "Lead</span> linked story “Cache the basket”" in history_html and "25 % of it" in history_html
    assert "Lead</span> unlinked story “Cache the basket”" in history_html
    assert "<time datetime=" in history_html and 'title="' in history_html  # relative, exact on hover
    order = ["unlinked story", "linked story “", "changed the check-in", "changed the key result", "checked in for"]
    positions = [history_html.index(text) for text in order]
    assert positions == sorted(positions)  # newest first

    # The panel reads with a fixed number of queries: the KR's, its check-ins', both kinds of links' and
    # its lists' events (each with its diffs and its writer's name; the lists' with the team tree that
    # decides which objectives' contributions the viewer may see), then the names of stories and epics.
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Faster pages")
    backlog_services.link_epic(epic=epic, key_result=latency, amount=-100)
    me = viewer(cast.lead)
    with django_assert_num_queries(8):
        few = key_result_timeline(me, latency)
    for week in range(1, 6):
        checkin_services.checkin_save(
            viewer=me, key_result=latency, value=500 - week, confidence=0.7, today=TODAY - timedelta(weeks=week)
        )
        backlog_services.link_story(story=story, key_result=latency, amount=-week)
    with django_assert_num_queries(8):
        many = key_result_timeline(me, latency)
    assert len(many.entries) > len(few.entries) + 8


def test_objective_page_shows_its_changes_and_key_results_added(login, cast, okrs, latency, django_assert_num_queries):
    team_objective = okrs[2]
    response = login(cast.lead).post(
        reverse("objective_edit", args=[team_objective.pk]),
        {
            "title": "Checkout is fast everywhere",
            "owner": cast.lead.pk,
            "visibility": "team",
            "state": "active",
            "parent": okrs[1].pk,
        },
    )
    assert response.status_code == 302
    body = login(cast.member).get(reverse("objective_detail", args=[team_objective.pk])).content.decode()
    history_html = body.split('id="history-heading"')[1]
    assert "Lead</span> changed the objective" in history_html
    assert "Checkout is fast</span>" in history_html and "Checkout is fast everywhere</span>" in history_html
    assert "The app</span> added the key result “API p95 latency”" in history_html
    assert "The app</span> created the objective" in history_html
    # Three queries, however long the history: its events, its KRs' and its lists' (each with diffs and
    # writers' names).
    member = viewer(cast.member)
    with django_assert_num_queries(3):
        objective_timeline(member, team_objective)
    for i in range(5):
        Objective.objects.filter(pk=team_objective.pk).update(title=f"Checkout is fast, take {i}")
        services.key_result_create(objective=team_objective, title=f"KR {i}", start_value=0, target_value=1)
    with django_assert_num_queries(3):
        assert len(objective_timeline(member, team_objective).entries) >= 13


def test_history_never_names_an_objective_the_viewer_may_not_see(cast, okrs, quarter):
    secret = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret acquisition",
        owner=cast.lead,
        visibility="private",
    )
    Objective.objects.filter(pk=okrs[2].pk).update(parent=secret)
    Objective.objects.filter(pk=okrs[2].pk).update(parent=okrs[1])
    seen_by_member = objective_timeline(viewer(cast.member), okrs[2])
    changes = [c for e in seen_by_member.entries for c in e.changes]
    assert ("Aligned to", "an objective you cannot see", "Engineering ships faster") in [
        (c.label, c.old, c.new) for c in changes
    ]
    assert "Secret" not in repr(seen_by_member)
    seen_by_lead = objective_timeline(viewer(cast.lead), okrs[2])
    assert "Secret acquisition" in repr(seen_by_lead)


def test_the_panel_is_only_on_pages_the_viewer_may_see(login, cast, okrs, latency):
    assert login(cast.outsider).get(reverse("key_result_detail", args=[latency.pk])).status_code == 404
    assert login(cast.outsider).get(reverse("objective_detail", args=[okrs[2].pk])).status_code == 404
    body = login(cast.employee_elsewhere).get(reverse("objective_detail", args=[okrs[0].pk])).content.decode()
    assert "Change history" in body  # the company objective: everyone sees it and its history


def test_memberships_are_recorded(cast):
    assert history.MembershipEvent.objects.filter(pgh_obj_id=cast.member.pk, pgh_label="insert").exists()
    TeamMembership.objects.filter(membership=cast.member).update(role="lead")
    assert history.TeamMembershipEvent.objects.filter(pgh_label="update", role="lead").count() == 1


def test_a_long_history_shows_the_latest_entries(cast, okrs, latency):
    for i in range(HISTORY_LIMIT + 5):
        KeyResult.objects.filter(pk=latency.pk).update(weight=1 + i / 10)
    timeline = key_result_timeline(viewer(cast.lead), latency)
    assert len(timeline.entries) == HISTORY_LIMIT and timeline.more


def test_a_write_through_the_api_knows_its_author(cast, okrs):
    api = APIClient()
    _token, secret = api_token_create(membership=cast.lead, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = api.patch(f"/api/v1/objectives/{okrs[2].pk}/", {"title": "Checkout is instant"}, format="json")
    assert response.status_code == 200
    entry = objective_timeline(viewer(cast.member), okrs[2]).entries[0]
    assert (entry.who, entry.summary) == ("Lead", "changed the objective")
    assert [(c.old, c.new) for c in entry.changes] == [("Checkout is fast", "Checkout is instant")]
