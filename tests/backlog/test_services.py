"""Backlog writes and reads: validation per field, links with impact, coverage, ranking, confidence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from backlog import selectors, services
from backlog import sprints as sprint_services
from backlog.models import Lane, SprintState, Story, StoryStatus
from objectives import services as objective_services
from okrapp.http import Viewer
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def krs(cast, okrs):
    team = okrs[2]
    latency = objective_services.key_result_create(
        objective=team,
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=550,
        unit="ms",
        today=TODAY,
    )  # progress 0.5
    nps = objective_services.key_result_create(
        objective=team, title="NPS", start_value=20, target_value=45, weight=2, today=TODAY
    )  # progress 0
    return latency, nps


def story(cast, title, points=None, **kw):
    return services.story_save(organisation=cast.org, team=cast.team, title=title, points=points, **kw)


@pytest.mark.parametrize(
    ("points", "message"),
    [(-1, "zero or more"), (float("nan"), "zero or more"), (5000, "typo")],
)
def test_bad_points_are_refused(cast, points, message):
    with pytest.raises(ValidationError) as excinfo:
        story(cast, "Cache the basket", points=points)
    assert message in excinfo.value.message_dict["points"][0]
    assert not Story.objects.exists()


def test_a_sprint_ending_before_it_starts_is_refused(cast):
    with pytest.raises(ValidationError) as excinfo:
        sprint_services.sprint_save(
            organisation=cast.org, team=cast.team, name="S1", start_date=date(2026, 11, 20), end_date=date(2026, 11, 10)
        )
    assert "ends on or after" in excinfo.value.message_dict["end_date"][0]


def test_done_keeps_when_it_was_done(cast):
    s = story(cast, "Cache the basket", points=3)
    moment = datetime(2026, 11, 18, 10, tzinfo=UTC)
    s = services.story_set_status(story=s, status=StoryStatus.DONE, now=moment)
    assert s.done_at == moment
    s = services.story_set_status(story=s, status=StoryStatus.IN_PROGRESS)
    assert s.done_at is None


def test_links_with_impact_and_coverage(cast, krs):
    latency, nps = krs
    a = story(cast, "Cache the basket", points=5)
    b = story(cast, "New onboarding survey", points=3)
    c = story(cast, "Refactor logging", points=2)
    services.link_story(story=a, key_result=latency, amount=-100)  # 100 of 500 ms: 0.2
    with pytest.raises(ValidationError) as excinfo:
        services.link_story(story=b, key_result=nps, share=0.5, amount=3)
    assert "not both" in excinfo.value.message_dict["impact"][0]
    epic = services.epic_save(organisation=cast.org, team=cast.team, title="Survey everyone", my_intent="Hear them")
    services.link_epic(epic=epic, key_result=nps, share=0.4)
    services.story_save(
        organisation=cast.org, team=cast.team, title=b.title, points=3, epic=epic, story=b
    )  # serves NPS through its epic
    result = selectors.coverage_of(selectors.open_stories(team=cast.team))
    assert (result.linked, result.total) == (2, 3) and result.orphans == (c.pk,)
    assert result.points_share == pytest.approx(8 / 10)
    assert list(selectors.unsupported_key_results(latency.objective.key_results.all())) == []
    services.unlink_story(story=a, key_result=latency)
    assert list(selectors.unsupported_key_results(latency.objective.key_results.all())) == [latency]


def test_links_to_private_objectives_stay_out_of_coverage(cast, okrs, quarter):
    secret = objective_services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Secret", owner=cast.lead, visibility="private"
    )
    hidden = objective_services.key_result_create(
        objective=secret, title="Hidden", start_value=0, target_value=1, today=TODAY
    )
    services.link_story(story=story(cast, "Quiet work", points=1), key_result=hidden, share=1)
    assert selectors.coverage_of(selectors.open_stories(team=cast.team)).linked == 0


def test_ranking_by_impact_with_reasons(cast, krs, django_assert_num_queries):
    latency, nps = krs
    first = story(cast, "Refactor logging", points=1)
    small = story(cast, "Survey prompt", points=1)
    big = story(cast, "Cache the basket", points=5)
    services.link_story(story=small, key_result=nps, share=0.1)  # 0.1 × 2 × 1.0 = 0.2 per point
    services.link_story(story=big, key_result=latency, amount=-250)  # 0.5 × 1 × 0.5 = 0.25 → 0.05 per point
    viewer = Viewer.load(cast.lead.user)
    with django_assert_num_queries(5):  # as the docstring says, whatever the size of the backlog
        ranked = selectors.ranked_backlog(cast.team, viewer=viewer)
    assert [row.story.title for row in ranked] == ["Survey prompt", "Cache the basket", "Refactor logging"]
    assert ranked[0].rank.score == pytest.approx(0.2)
    assert "NPS: 10 % of it × weight 2 × 100 % still to go" in ranked[0].reason
    services.stories_rerank(team=cast.team, ordered_ids=[row.story.pk for row in ranked])
    assert list(Story.objects.order_by("rank").values_list("title", flat=True)) == [
        "Survey prompt",
        "Cache the basket",
        "Refactor logging",
    ]
    assert first.pk == ranked[2].story.pk


def test_delivery_confidence_from_velocity(cast, krs):
    latency, _ = krs
    for i, done_points in enumerate([20, 30, 25]):
        sprint = sprint_services.sprint_save(
            organisation=cast.org,
            team=cast.team,
            name=f"S{i}",
            start_date=date(2026, 10, 1) + timedelta(days=14 * i),
            end_date=date(2026, 10, 14) + timedelta(days=14 * i),
        )
        sprint.state, sprint.completed_points = SprintState.CLOSED, done_points
        sprint.save()
    story(cast, "Before it", points=10)
    linked = story(cast, "Cache the basket", points=40)
    story(cast, "After it", points=100)
    services.link_story(story=linked, key_result=latency, share=0.5)
    result = selectors.delivery_confidence(key_result=latency, team=cast.team, today=date(2026, 12, 4))
    # v = 25; the latest sprint lasted 14 days; the quarter fixture ends on cycle.end_date
    end = latency.objective.cycle.end_date
    sprints = ((end - date(2026, 12, 4)).days + 1) / 14
    assert result is not None and result.points_needed == 50 and result.velocity == 25
    assert result.value == pytest.approx(min(1, 25 * sprints / 50))


def test_theme_moves_into_now_only_when_it_serves_a_kr(cast, okrs, krs):
    theme = services.theme_save(organisation=cast.org, title="Fast checkout", lane=Lane.NEXT)
    with pytest.raises(ValidationError) as excinfo:
        services.theme_move(theme=theme, lane=Lane.NOW)
    assert "serves a key result" in excinfo.value.message_dict["lane"][0]
    services.theme_save(organisation=cast.org, title=theme.title, lane=Lane.NEXT, objectives=[okrs[2]], theme=theme)
    other = services.theme_save(organisation=cast.org, title="Payments", lane=Lane.NOW, objectives=[okrs[2]])
    moved = services.theme_move(theme=theme, lane=Lane.NOW, before=other)
    assert moved.lane == "now" and moved.position == 0


def test_child_epics_inherit_their_higher_intent(cast):
    parent = services.epic_save(
        organisation=cast.org, team=cast.department, title="Payments", my_intent="Never lose a sale"
    )
    assert services.suggested_higher_intent(parent=parent, theme=None, team=cast.team) == "Never lose a sale"
    theme = services.theme_save(organisation=cast.org, title="Checkout")
    services.epic_save(
        organisation=cast.org, team=cast.department, title="Dept epic", theme=theme, my_intent="One-click"
    )
    assert services.suggested_higher_intent(parent=None, theme=theme, team=cast.team) == "One-click"
    child = services.epic_save(organisation=cast.org, team=cast.team, title="Child", parent=parent)
    with pytest.raises(ValidationError) as excinfo:
        services.epic_save(organisation=cast.org, team=cast.department, title="Payments", parent=child, epic=parent)
    assert "under itself" in excinfo.value.message_dict["parent"][0]


def test_burndown_of_a_sprint(cast):
    sprint = sprint_services.sprint_save(
        organisation=cast.org, team=cast.team, name="S9", start_date=date(2026, 11, 16), end_date=date(2026, 11, 20)
    )
    done = story(cast, "A", points=5, sprint=sprint)
    story(cast, "B", points=15, sprint=sprint)
    services.story_set_status(story=done, status=StoryStatus.DONE, now=datetime(2026, 11, 17, 12, tzinfo=UTC))
    days = selectors.sprint_burndown(sprint, today=date(2026, 11, 18))
    assert [d.remaining for d in days] == [20, 15, 15, None, None]
    assert [d.ideal for d in days] == [20, 15, 10, 5, 0]
