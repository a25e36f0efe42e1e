"""A product owner's backlog journey in Chromium: link a story to a KR from its row and watch coverage
move, move a theme from Next to Now, and open a sprint burndown carrying the focus KR's line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backlog import services, sprints
from backlog.models import Lane, StoryLink, Theme
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp.timeutil import org_today
from tests.browser.conftest import htmx_settled, screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_product_owner_links_work_moves_a_theme_and_reads_the_burndown(page, live_server, cast, okrs):
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
    sprint = sprints.sprint_save(
        organisation=cast.org,
        team=cast.team,
        name="Sprint 12",
        start_date=today - timedelta(days=4),
        end_date=today + timedelta(days=9),
        goal="Faster checkout",
        focus_key_results=[latency],
    )
    sprints.sprint_start(sprint=sprint)
    for title, points in (("Cache the basket", 5), ("Refactor logging", 3), ("Lazy-load images", 2)):
        story = services.story_save(organisation=cast.org, team=cast.team, title=title, points=points, sprint=sprint)
        if title == "Refactor logging":
            services.story_set_status(story=story, status="done")
    theme = services.theme_save(organisation=cast.org, title="Checkout speed", lane=Lane.NEXT, objectives=[okrs[2]])
    snapshots_take(organisation=cast.org)

    sign_in(page, live_server, cast.lead.user.email)
    page.goto(f"{live_server.url}/backlog/?team={cast.team.pk}")
    coverage = page.locator("#coverage")
    assert "0 of 2 open stories" in coverage.inner_text()
    screenshot(page, "backlog-before-link")
    row = page.locator("tr", has_text="Cache the basket")
    row.get_by_role("link", name="Link to a key result").click()
    htmx_settled(page, row.get_by_label("Find a key result"))
    row.get_by_label("Find a key result").fill("latency")
    row.get_by_label("API p95 latency").check()
    row.get_by_label("Expected impact").fill("-100 ms")
    row.get_by_role("button", name="Link").click()
    page.locator("#coverage", has_text="1 of 2 open stories").wait_for()
    assert page.locator("tr", has_text="Cache the basket").get_by_role("link", name="API p95 latency").is_visible()
    assert StoryLink.objects.get().impact_amount == -100
    screenshot(page, "backlog-after-link")

    page.goto(f"{live_server.url}/roadmap/")
    card = page.locator(f"#theme-{theme.pk}")
    card.get_by_role("button", name="Move to Now").click()
    page.locator(".lane-now").get_by_text("Checkout speed").wait_for()
    assert Theme.objects.get(pk=theme.pk).lane == "now"
    screenshot(page, "roadmap")
    # Drag and drop does the same: the card to the Later lane.
    page.locator(f"#theme-{theme.pk}").drag_to(page.locator(".lane-later"))
    page.locator(".lane-later").get_by_text("Checkout speed").wait_for()
    assert Theme.objects.get(pk=theme.pk).lane == "later"

    page.goto(f"{live_server.url}/backlog/sprints/{sprint.pk}/")
    chart = page.locator("svg.burndown")
    assert chart.locator("polyline.actual").count() == 1
    assert chart.locator("polyline.kr-line").count() == 1
    assert "API p95 latency (50 %, right axis)" in page.locator(".legend").inner_text()
    screenshot(page, "sprint-burndown")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "sprint-burndown-768")

    # The team page carries the same sprint, coverage and each KR's owner's and delivery confidence.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/teams/{cast.team.pk}/")
    assert page.locator("svg.burndown polyline.kr-line").count() == 1
    assert "1 of 2 open stories" in page.locator(".figures").inner_text()
    screenshot(page, "team-page")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "team-page-768")
    page.goto(f"{live_server.url}/backlog/?team={cast.team.pk}")
    screenshot(page, "backlog-768")
    page.goto(f"{live_server.url}/key-results/{latency.pk}/")
    page.get_by_role("heading", name="Linked work").wait_for()
    screenshot(page, "kr-linked-work-768")
