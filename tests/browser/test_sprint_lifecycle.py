"""A lead's sprint in Chromium: plan it with a focus KR, add stories, start it, add scope after the start,
complete it moving two unfinished stories to the next sprint, and read the velocity and the KR delta."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backlog import services, sprints
from backlog.models import Sprint, SprintState, Story
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp.timeutil import org_today
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def both_widths(page, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, f"{name}-768")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_lead_plans_starts_and_completes_a_sprint(page, live_server, cast, okrs):
    latency = objective_services.key_result_create(
        objective=okrs[2], title="API p95 latency", start_value=800, target_value=300, current_value=550, today=TODAY
    )
    today = org_today(cast.org)
    start = today - timedelta(days=6)
    for number, points in ((9, 18), (10, 24), (11, 21)):  # the team's history: velocity (18+24+21)/3 = 21
        begins = start - timedelta(days=14 * (12 - number))
        old = sprints.sprint_save(
            organisation=cast.org,
            team=cast.team,
            name=f"Sprint {number}",
            start_date=begins,
            end_date=begins + timedelta(days=13),
        )
        Sprint.objects.filter(pk=old.pk).update(state=SprintState.CLOSED, completed_points=points, committed_points=24)
    stories = {
        title: services.story_save(organisation=cast.org, team=cast.team, title=title, points=points)
        for title, points in (("Cache the basket", 5), ("Retry card payments", 3), ("Lazy-load images", 2))
    }
    services.link_story(story=stories["Cache the basket"], key_result=latency, share=0.3)
    late = services.story_save(organisation=cast.org, team=cast.team, title="Fix the coupon bug", points=1)
    snapshots_take(organisation=cast.org)

    sign_in(page, live_server, cast.lead.user.email)
    page.goto(f"{live_server.url}/backlog/teams/{cast.team.pk}/sprints/")
    page.get_by_label("Sprint", exact=True).fill("Sprint 12")
    page.get_by_label("Starts").fill(start.isoformat())
    page.get_by_label("Ends").fill((start + timedelta(days=13)).isoformat())
    page.get_by_label("Goal").fill("Checkout under 300 ms")
    page.get_by_label("API p95 latency").check()
    page.get_by_role("button", name="Plan sprint").click()
    page.get_by_role("heading", name="Add stories from the backlog").wait_for()
    sprint = Sprint.objects.get(team=cast.team, name="Sprint 12")
    following = sprints.sprint_save(
        organisation=cast.org,
        team=cast.team,
        name="Sprint 13",
        start_date=sprint.end_date + timedelta(days=1),
        end_date=sprint.end_date + timedelta(days=14),
    )
    for title in stories:
        page.get_by_label(title).check()
    page.get_by_role("button", name="Add to Sprint 12").click()
    page.get_by_text("3 stories added to Sprint 12").wait_for()
    page.get_by_role("button", name="Start sprint").click()
    page.get_by_text("started with 10 points committed").wait_for()
    sprint.refresh_from_db()
    assert sprint.state == SprintState.ACTIVE and sprint.committed_points == 10
    # Scope added after the start: the burndown steps up and marks it.
    page.get_by_label("Fix the coupon bug").check()
    page.get_by_role("button", name="Add to Sprint 12").click()
    page.get_by_text("1 story added to Sprint 12 (scope added after the start).").wait_for()
    assert page.locator("svg.burndown g.scope-added").count() == 1
    assert page.get_by_text("Scope added after the start", exact=True).is_visible()
    services.story_set_status(story=stories["Cache the basket"], status="done")
    services.story_set_status(story=late, status="done")
    page.reload()
    both_widths(page, "sprint-active")

    page.get_by_role("link", name="Complete sprint…").click()
    page.get_by_role("heading", name="Unfinished stories").wait_for()
    figures = page.get_by_label("What completing stores")
    assert "6 pts" in figures.inner_text() and "5 pts" in figures.inner_text()  # done 5 + 1; not done 3 + 2
    for title in ("Retry card payments", "Lazy-load images"):
        assert page.get_by_label(f"Where “{title}” goes").input_value() == f"sprint-{following.pk}"
    both_widths(page, "sprint-complete")
    page.get_by_role("button", name="Complete sprint").click()
    page.get_by_text("2 unfinished stories moved to a sprint").wait_for()
    assert set(following.stories.values_list("title", flat=True)) == {"Retry card payments", "Lazy-load images"}
    assert Story.objects.get(title="Retry card payments").sprint_added_at is not None

    velocity = page.locator("section", has=page.get_by_role("heading", name="Velocity history"))
    assert velocity.locator("svg.velocity g.bar").count() == 4
    figures_text = page.get_by_label("Sprint figures").inner_text()
    # Velocity = mean of the last three completed: (24 + 21 + 6) / 3 = 17.
    assert "Points completed\n6" in figures_text and "Team velocity\n17" in figures_text
    report = page.locator("section", has=page.get_by_role("heading", name="KR delta"))
    report.get_by_role("link", name="API p95 latency").wait_for()
    assert "Cache the basket" in report.inner_text()
    both_widths(page, "sprint-completed")
