"""Daily coverage snapshots: today's from the live rows, missed days rebuilt from the dates, taken by
the daily snapshot job."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

import pytest

from backlog import selectors
from backlog import services as backlog_services
from backlog.models import CoverageSnapshot, Story, StoryLink
from backlog.snapshots import coverage_snapshots_take
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp.timeutil import org_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def backlog(cast, okrs):
    """Three stories of Checkout: written 20 days ago (linked 3 days ago), written 20 days ago and done
    5 days ago, written 2 days ago (linked at once)."""
    today = org_today(cast.org)
    zone = zoneinfo.ZoneInfo(cast.org.time_zone)

    def at(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(12), zone)

    kr = objective_services.key_result_create(
        objective=okrs[2], title="Conversion", start_value=0, target_value=10, owner=cast.member, today=today
    )
    old = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Old", points=3)
    done = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Done", points=2)
    new = backlog_services.story_save(organisation=cast.org, team=cast.team, title="New", points=None)
    backlog_services.story_set_status(story=done, status="done", now=at(5))
    Story.objects.filter(pk__in=[old.pk, done.pk]).update(created_at=at(20))
    Story.objects.filter(pk=new.pk).update(created_at=at(2))
    backlog_services.link_story(story=old, key_result=kr, share=0.2)
    backlog_services.link_story(story=new, key_result=kr, share=0.2)
    StoryLink.objects.filter(story=old).update(created_at=at(3))
    StoryLink.objects.filter(story=new).update(created_at=at(2))
    return today


def _on(team, day):
    return CoverageSnapshot.objects.get(team=team, day=day)


def test_today_matches_the_live_figure_and_past_days_are_rebuilt(cast, backlog):
    today = backlog
    assert coverage_snapshots_take(cast.org, today) == 21  # today and the 20 days since the first story
    live = selectors.coverage_of(selectors.open_stories(team=cast.team))
    now = _on(cast.team, today)
    assert (
        (now.stories, now.linked, now.points, now.linked_points)
        == (live.total, live.linked, 3.0, 3.0)
        == (2, 2, 3.0, 3.0)
    )
    # A week ago: Old and Done were open (Done was done 5 days ago), New not yet written; Old was
    # linked only 3 days ago: 0 of 2 stories, 0 of 5 points.
    week_ago = _on(cast.team, today - timedelta(days=7))
    assert (week_ago.stories, week_ago.linked, week_ago.points, week_ago.linked_points) == (2, 0, 5.0, 0.0)
    # Three days ago: Old, linked that day; Done was done, New not yet written.
    three = _on(cast.team, today - timedelta(days=3))
    assert (three.stories, three.linked) == (1, 1)
    assert not CoverageSnapshot.objects.filter(day=today - timedelta(days=25)).exists()  # nothing written yet


def test_a_second_run_rewrites_today_only(cast, backlog):
    today = backlog
    coverage_snapshots_take(cast.org, today)
    CoverageSnapshot.objects.filter(day=today - timedelta(days=7)).update(linked=1)  # as the job saw it then
    assert coverage_snapshots_take(cast.org, today) == 1
    assert _on(cast.team, today - timedelta(days=7)).linked == 1  # a day already taken stays as taken


def test_the_daily_snapshot_job_takes_them(cast, backlog):
    result = snapshots_take(organisation=cast.org)
    assert CoverageSnapshot.objects.filter(team=cast.team, day=backlog).exists()
    assert result.rows >= 21


def test_an_organisation_without_stories_writes_nothing(cast):
    assert coverage_snapshots_take(cast.org, org_today(cast.org)) == 0
