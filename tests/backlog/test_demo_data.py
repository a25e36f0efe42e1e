"""The demo backlog, loaded with the whole demo as ``make demo`` loads it: its figures and its idempotence."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from backlog import selectors, services
from backlog.models import Epic, EpicLink, Lane, Sprint, SprintState, Story, StoryLink, StoryStatus, Theme
from okrapp.models import Organisation
from okrapp.timeutil import org_date

pytestmark = pytest.mark.django_db


def backlog_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Theme, Epic, EpicLink, Sprint, Story, StoryLink)} | {
        "focus": Sprint.focus_key_results.through.objects.count()
    }


@pytest.fixture
def demo(settings) -> str:
    settings.DEBUG = True  # load_demo refuses otherwise (its logins share one password)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_roadmap_uses_every_lane_and_now_themes_serve_key_results(demo):
    assert "Backlog: 10 themes (4 now, 3 next, 3 later)" in demo
    assert set(Theme.objects.values_list("lane", flat=True)) == {Lane.NOW, Lane.NEXT, Lane.LATER}
    for theme in Theme.objects.all():
        assert theme.objectives.exists(), theme
        if theme.lane == Lane.NOW:
            assert services.theme_key_results(theme).exists(), theme


def test_epics_carry_briefings_and_children_take_their_parents_intent(demo):
    epics = list(Epic.objects.select_related("parent"))
    assert len(epics) >= 12
    for epic in epics:
        for field in services.BRIEFING_FIELDS:
            assert getattr(epic, field), (epic, field)
        assert epic.links.exists(), epic
    children = [e for e in epics if e.parent is not None]
    assert len(children) >= 3
    assert all(child.higher_intent == child.parent.my_intent for child in children if child.parent)
    assert {e.team.parent_id for e in children} == {e.parent.team_id for e in children if e.parent}
    links = EpicLink.objects.all()
    assert links.filter(impact_share__isnull=False).exists()
    latency = links.get(epic__title="Cut checkout API latency", key_result__title="API p95 latency")
    assert (latency.impact_share, latency.impact_amount) == (None, -150)


def test_six_sprints_per_delivery_team_five_closed_with_their_done_points(demo):
    today = timezone.localdate()
    organisation = Organisation.objects.get(slug="northwind")
    for team_name in ("Checkout", "Platform", "Mobile App", "Growth"):
        sprints = list(Sprint.objects.filter(team__name=team_name).order_by("start_date"))
        assert [s.state for s in sprints] == [SprintState.CLOSED] * 5 + [SprintState.ACTIVE, SprintState.PLANNED]
        assert sprints[-1].stories.count() == 3 and sprints[-1].start_date == sprints[-2].end_date + timedelta(days=1)
        sprints = sprints[:-1]  # the planned next sprint checked, the rest as before
        active = sprints[-1]
        assert active.start_date < today <= active.end_date
        for sprint in sprints:
            assert (sprint.end_date - sprint.start_date).days == 13
            assert sprint.focus_key_results.exists() and sprint.goal, sprint
            stories = sprint.stories.all()
            assert stories.exclude(team=sprint.team).count() == 0
            for story in stories.filter(status=StoryStatus.DONE):
                assert sprint.start_date <= org_date(organisation, story.done_at) <= sprint.end_date, story
        for sprint in sprints[:-1]:
            done = sprint.stories.filter(status=StoryStatus.DONE).aggregate(points=Sum("points"))["points"]
            assert sprint.completed_points == done and sprint.closed_at is not None
            assert not sprint.stories.filter(done_at__gte=sprint.closed_at).exists()
            assert not sprint.stories.exclude(status=StoryStatus.DONE).exists()  # left-overs went back
        assert active.closed_at is None and active.completed_points is None
        # The active sprint's burndown has a shape: some points burnt on past days, some still open.
        burndown = selectors.sprint_burndown(active, today=today)
        past = [day for day in burndown if day.remaining is not None]
        assert past[-1].remaining is not None
        assert 0 < past[-1].remaining < burndown[0].ideal + sum(day.added for day in burndown)  # some burnt
        assert active.stories.filter(status=StoryStatus.IN_PROGRESS).exists()
        # Scope added after the start: two stories outside the commitment, a step up on the burndown.
        late = active.stories.filter(sprint_added_at__gt=active.started_at)
        assert late.count() == 2 and sum(day.added for day in burndown) == sum(s.points or 0 for s in late)
        committed = sum(s.points or 0 for s in active.stories.exclude(pk__in=late))
        assert active.committed_points == committed
    assert Sprint.objects.count() == 28
    assert len(selectors.velocity_inputs(active.team)) == 3 and min(selectors.velocity_inputs(active.team)) > 0


def test_stories_spread_over_teams_mostly_serve_key_results(demo):
    stories = Story.objects.all()
    assert stories.count() >= 140
    assert stories.filter(status=StoryStatus.DONE, done_at__isnull=True).count() == 0
    assert stories.exclude(status=StoryStatus.DONE).filter(done_at__isnull=False).count() == 0
    assert stories.filter(points__isnull=True).exists()
    assert stories.filter(sprint=None).exclude(status=StoryStatus.DONE).count() >= 20  # the unplanned backlog
    for team in ("Checkout", "Platform", "Mobile App", "Growth", "Customer Success"):
        assert stories.filter(team__name=team).count() >= 15, team
    coverage = selectors.coverage_of(selectors.open_stories())
    assert coverage.share is not None and 0.7 <= coverage.share < 0.95
    assert coverage.points_share is not None and coverage.unestimated > 0
    assert 5 <= len(coverage.orphans) <= 20
    assert f"{coverage.linked} of {coverage.total} open stories serve a key result" in demo
    own = StoryLink.objects.all()
    assert own.filter(impact_amount__isnull=False).exists() and own.filter(impact_share__isnull=False).exists()
    # Some work serves other teams' objectives (cross-team alignment).
    assert own.exclude(key_result__objective__team=F("story__team")).count() >= 3
    assert EpicLink.objects.exclude(key_result__objective__team=F("epic__team")).exists()
    # Ranks give every team's backlog one order.
    for team_id in stories.values_list("team", flat=True).distinct():
        ranks = list(stories.filter(team_id=team_id).values_list("rank", flat=True))
        assert len(set(ranks)) == len(ranks)


def test_a_second_load_adds_nothing(demo, settings):
    before = backlog_counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Backlog: already loaded." in out.getvalue()
    assert backlog_counts() == before
