"""Promote and move keep what people wrote: a KR's check-ins, comments, links and change history survive,
and the figures around it follow the rules (worked out by hand below)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from backlog import selectors as backlog_selectors
from backlog import services as backlog_services
from backlog.models import EpicLink, StoryLink
from checkins import selectors as checkin_selectors
from checkins import services as checkin_services
from checkins.models import CheckIn
from comments import services as comment_services
from comments.access import Target, target_of_key_result
from comments.models import Comment
from history import models as history
from history.selectors import objective_timeline
from objectives import services
from objectives.models import KeyResult, Objective
from okrapp.http import Viewer
from okrapp.models import Membership
from tests.conftest import TODAY, settle
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


def viewer(membership: Membership) -> Viewer:
    found = Viewer.load(membership.user)
    assert found is not None
    return found


@pytest.fixture
def world(cast, okrs):
    """The team objective holds two metric KRs (0 → 100, weight 1 each). "Conversion" has two weekly
    check-ins (40 then 60, confidence 0.8), a comment on itself and one on a check-in, a story link and
    an epic link. "Retention" has one check-in at 20 (confidence 0.5)."""
    team_objective = okrs[2]
    conversion = services.key_result_create(
        objective=team_objective, title="Conversion", start_value=0, target_value=100, owner=cast.member, today=TODAY
    )
    retention = services.key_result_create(
        objective=team_objective, title="Retention", start_value=0, target_value=100, owner=cast.member, today=TODAY
    )
    member = viewer(cast.member)
    checkin_services.checkin_save(
        viewer=member,
        key_result=conversion,
        value=40,
        confidence=0.8,
        what_changed="Moved the pay button up",
        today=TODAY - timedelta(7),
    )
    first = CheckIn.objects.get(key_result=conversion)
    checkin_services.checkin_save(
        viewer=member, key_result=conversion, value=60, confidence=0.8, what_changed="Cut a form field", today=TODAY
    )
    checkin_services.checkin_save(viewer=member, key_result=retention, value=20, confidence=0.5, today=TODAY)
    conversion.refresh_from_db()
    comment_services.comment_create(author=cast.lead, target=target_of_key_result(conversion), body="Nice climb")
    comment_services.comment_create(author=cast.lead, target=Target("checkin", first, cast.team.pk), body="Why 40?")
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Faster checkout")
    story = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Cache the basket", points=3)
    backlog_services.link_story(story=story, key_result=conversion, share=0.3)
    backlog_services.link_epic(epic=epic, key_result=conversion, share=0.5)
    settle()
    return team_objective, conversion, retention, story


def record_of(kr: KeyResult) -> tuple[int, int, int, int]:
    return (
        CheckIn.objects.filter(key_result=kr).count(),
        Comment.objects.filter(key_result=kr).count() + Comment.objects.filter(checkin__key_result=kr).count(),
        StoryLink.objects.filter(key_result=kr).count(),
        EpicLink.objects.filter(key_result=kr).count(),
    )


def test_promote_keeps_the_record_and_the_figures_follow(cast, okrs, world):
    team_objective, conversion, retention, _story = world
    team_objective.refresh_from_db()
    # By hand: conversion 60/100 = 0.6, retention 20/100 = 0.2; the objective is their mean, 0.4.
    assert (conversion.progress, team_objective.progress) == (pytest.approx(0.6), pytest.approx(0.4))
    assert record_of(conversion) == (2, 2, 1, 1)
    before_history = history.KeyResultEvent.objects.filter(pgh_obj_id=conversion.pk).count()
    _, compliance_before = checkin_selectors.compliance_by_team(
        viewer(cast.lead), week=CheckIn.objects.latest("week").week
    )
    stories = backlog_selectors.open_stories(team=cast.team)
    coverage_before = backlog_selectors.coverage_of(stories)

    promoted = services.key_result_promote(key_result=conversion)
    settle()

    conversion.refresh_from_db()
    team_objective.refresh_from_db()
    promoted.refresh_from_db()
    # Nothing anyone wrote is gone: the KR lives on as the promoted objective's key result.
    assert conversion.objective == promoted and list(promoted.key_results.all()) == [conversion]
    assert record_of(conversion) == (2, 2, 1, 1)
    assert (conversion.current_value, conversion.confidence) == (60, 0.8)
    assert history.KeyResultEvent.objects.filter(pgh_obj_id=conversion.pk).count() > before_history
    # The old objective no longer counts it: retention alone, 0.2; confidence 0.5 is at risk.
    assert team_objective.progress == pytest.approx(0.2)
    assert team_objective.confidence == pytest.approx(0.5)
    assert list(team_objective.key_results.all()) == [retention]
    # The promoted objective carries the KR's numbers: 0.6, confidence 0.8.
    assert promoted.progress == pytest.approx(0.6) and promoted.confidence == pytest.approx(0.8)
    assert promoted.parent == team_objective and promoted.state == "draft"
    # Someone still checks in on it, and its linked work still serves a KR: the same figures.
    _, compliance_after = checkin_selectors.compliance_by_team(
        viewer(cast.lead), week=CheckIn.objects.latest("week").week
    )
    assert (
        (compliance_after.checked_in, compliance_after.total)
        == (compliance_before.checked_in, compliance_before.total)
        == (2, 2)
    )
    assert backlog_selectors.coverage_of(backlog_selectors.open_stories(team=cast.team)) == coverage_before
    assert (coverage_before.linked, coverage_before.total, coverage_before.share) == (1, 1, 1.0)


def test_promote_from_the_page_leaves_the_history_readable(client, login, cast, okrs, world):
    _team_objective, conversion, _retention, _story = world
    lead = login(cast.lead)
    response = lead.post(reverse("key_result_promote", args=[conversion.pk]))
    promoted = Objective.objects.get(title="Conversion")
    assert response["Location"] == reverse("objective_detail", args=[promoted.pk])
    objective_page = lead.get(response["Location"]).content.decode()
    assert reverse("key_result_detail", args=[conversion.pk]) in objective_page
    kr_page = login(cast.member).get(reverse("key_result_detail", args=[conversion.pk]))
    body = kr_page.content.decode()
    assert kr_page.status_code == 200
    assert "Nice climb" in body and "Cache the basket" in body and "Faster checkout" in body
    assert "Moved the pay button up" in body and "Cut a form field" in body  # the check-in history


def test_move_keeps_the_record(cast, okrs, world):
    team_objective, conversion, _retention, _story = world
    other = ObjectiveFactory(organisation=cast.org, cycle=team_objective.cycle, team=cast.team, owner=cast.lead)
    services.key_result_move(key_result=conversion, objective=other)
    settle()
    conversion.refresh_from_db()
    team_objective.refresh_from_db()
    assert conversion.objective == other and record_of(conversion) == (2, 2, 1, 1)
    assert team_objective.progress == pytest.approx(0.2)


def test_both_objectives_histories_tell_of_the_promotion(cast, okrs, world, django_assert_num_queries):
    team_objective, conversion, _retention, _story = world
    promoted = services.key_result_promote(key_result=conversion)
    member = viewer(cast.member)
    # Its events, its KRs' events, its list changes (contributions, themes: one union), the objectives they
    # name (with the viewer's team tree, read once).
    with django_assert_num_queries(5):
        left = [e.summary for e in objective_timeline(member, team_objective).entries]
    arrived = [e.summary for e in objective_timeline(member, promoted).entries]
    assert "moved the key result “Conversion” to the objective “Conversion”" in left
    assert "added the key result “Conversion”" in left  # its creation stays in the old one's record
    assert "moved the key result “Conversion” here from the objective “Checkout is fast”" in arrived
    assert not any("added" in summary for summary in arrived)


def test_a_move_to_an_objective_the_viewer_may_not_see_names_it_not(cast, okrs, world):
    team_objective, conversion, _retention, _story = world
    secret = ObjectiveFactory(
        organisation=cast.org,
        cycle=team_objective.cycle,
        team=cast.team,
        owner=cast.lead,
        visibility="private",
        title="Secret acquisition",
    )
    services.key_result_move(key_result=conversion, objective=secret)
    seen = [e.summary for e in objective_timeline(viewer(cast.guest), team_objective).entries]
    assert "moved the key result “Conversion” to an objective you cannot see" in seen
    assert "Secret" not in repr(seen)
    assert "moved the key result “Conversion” to the objective “Secret acquisition”" in [
        e.summary for e in objective_timeline(viewer(cast.lead), team_objective).entries
    ]
