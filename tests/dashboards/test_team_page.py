"""The team page: OKRs with the owner's and the delivery confidence, this week, coverage, sprint, health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backlog import services, sprints
from checkins import services as checkin_services
from objectives import services as objective_services
from okrapp.timeutil import org_today
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_work(cast, okrs):
    latency = objective_services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=550,
        unit="ms",
        owner=cast.member,
        today=TODAY,
    )
    today = org_today(cast.org)
    for i, done_points in enumerate([10, 20, 30]):
        sprint = sprints.sprint_save(
            organisation=cast.org,
            team=cast.team,
            name=f"S{i}",
            start_date=today - timedelta(days=60 - 14 * i),
            end_date=today - timedelta(days=47 - 14 * i),
        )
        sprint.state, sprint.completed_points = "closed", done_points
        sprint.save()
    active = sprints.sprint_save(
        organisation=cast.org,
        team=cast.team,
        name="Now",
        start_date=today - timedelta(days=2),
        end_date=today + timedelta(days=11),
        focus_key_results=[latency],
    )
    sprints.sprint_start(sprint=active)
    story = services.story_save(
        organisation=cast.org, team=cast.team, title="Cache the basket", points=40, sprint=active
    )
    services.story_save(organisation=cast.org, team=cast.team, title="Orphan", points=2)
    services.link_story(story=story, key_result=latency, share=0.5)
    return latency


def test_team_page_shows_okrs_with_delivery_confidence(login, cast, team_work, django_assert_max_num_queries):
    client = login(cast.member)
    url = reverse("team_detail", args=[cast.team.pk])
    with django_assert_max_num_queries(45):
        page = client.get(url).content.decode()
    assert "Checkout is fast" in page and "API p95 latency" in page
    # velocity (10 + 20 + 30) ÷ 3 = 20 points a sprint; 40 points needed up to the linked story
    assert "of 40 pts" in page
    assert "Checked in this week" in page and "1 of 2 open stories" in page
    assert 'class="burndown"' in page and "People" in page


def test_team_page_query_count_does_not_grow_with_krs(login, cast, okrs, team_work):
    client = login(cast.member)
    url = reverse("team_detail", args=[cast.team.pk])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(6):
        objective_services.key_result_create(
            objective=okrs[2], title=f"KR {i}", start_value=0, target_value=10, today=TODAY
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_team_page_outsider_and_guest(login, cast, team_work):
    assert login(cast.outsider).get(reverse("team_detail", args=[cast.team.pk])).status_code == 404
    assert login(cast.guest).get(reverse("team_detail", args=[cast.other_team.pk])).status_code == 404


def test_team_page_shows_the_metrics_guarding_its_krs(login, cast, team_work):
    own = objective_services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Basket size",
        direction="higher",
        green_threshold=3,
        amber_threshold=2,
    )
    guard = objective_services.health_metric_save(
        organisation=cast.org,
        team=cast.other_team,
        name="Support tickets",
        direction="lower",
        green_threshold=40,
        amber_threshold=60,
    )
    checkin_services.reading_save(metric=guard, taken_on=TODAY, value=70, author_id=None, today=TODAY)
    team_work.kfis.add(guard, own)
    page = login(cast.member).get(reverse("team_detail", args=[cast.team.pk])).content.decode()
    guarding = page.split("Guarding our key results")[1].split("</ul>")[0]
    assert "Support tickets" in guarding and "Red" in guarding and "API p95 latency" in guarding
    assert "Basket size" not in guarding and "Basket size" in page  # its own metric shows once, above


def test_team_page_counts_leave_private_objectives_out(login, cast, quarter, team_work):
    secret = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret",
        owner=cast.lead,
        visibility="private",
        state="active",
    )
    hidden = objective_services.key_result_create(
        objective=secret, title="Hidden", start_value=0, target_value=1, owner=cast.lead, today=TODAY
    )
    from checkins import services as series
    from okrapp.http import Viewer

    series.checkin_save(viewer=Viewer.load(cast.lead.user), key_result=hidden, value=1, confidence=0.9)
    page = login(cast.lead).get(reverse("team_detail", args=[cast.team.pk])).content.decode()
    assert "Secret" in page  # the lead may see the objective itself…
    figure = page.split("Checked in this week</dt><dd>")[1].split("</dd>")[0]
    assert figure == "0 of 1"  # …but the count is the latency KR's alone, as on the cascade
