"""Dashboard journeys in Chromium: leadership drills down the company cascade to a team, a member's
check-in reaches the heatmap once the real worker has rolled it up, and a product owner closes the
team's backlog coverage from the story's link picker.

Every journey runs in a cycle of 98 days with today in its middle, so expected progress is exactly
49 / 98 = 0.5 whatever the date of the run, and the statuses below can be worked out by hand:
progress band r = progress ÷ 0.5 (≥ 0.9 on track, ≥ 0.7 at risk, else off track), confidence band
(< 0.4 off track, < 0.7 at risk, else on track), the status is the worse of the two.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from backlog import services as backlog_services
from backlog.models import StoryLink
from checkins import services as checkin_services
from checkins.weeks import week_of
from objectives import services as objective_services
from objectives.models import Cycle, KeyResult, Objective, RecomputeRequest
from objectives.progress import Status
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.models import Membership
from okrapp.timeutil import org_today
from tests.browser.conftest import htmx_settled, screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import settle, wait_for
from tests.factories import CycleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def today(cast) -> date:
    return org_today(cast.org)


@pytest.fixture
def cycle(cast, today) -> Cycle:
    """An active cycle with today in its exact middle: expected progress (today − start) ÷ (end − start)
    = 49 / 98 = 0.5."""
    return CycleFactory(
        organisation=cast.org,
        name="This quarter",
        start_date=today - timedelta(days=49),
        end_date=today + timedelta(days=49),
    )


def check_in(who: Membership, kr: KeyResult, *, value: float, confidence: float, today: date, week=None) -> None:
    checkin_services.checkin_save(
        viewer=Viewer.load(who.user), key_result=kr, week=week, value=value, confidence=confidence, today=today
    )


def figure(page, term: str):
    """One figure of a page's header (a <div class="figure"> holding <dt>term</dt>)."""
    return page.locator(".figure", has=page.locator("dt", has_text=term))


def test_leadership_filters_the_cascade_and_drills_down_to_a_team(page, live_server, cast, cycle, today):
    department_objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.department,
        title="Engineering ships faster",
        owner=cast.lead,
        state="active",
    )
    checkout_objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.team,
        title="Checkout is fast",
        owner=cast.lead,
        state="active",
        parent=department_objective,
    )
    growth_objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.other_team,
        title="More people find us",
        owner=cast.employee_elsewhere,
        state="active",
    )
    latency = objective_services.key_result_create(
        objective=checkout_objective,
        title="API p95 latency",
        start_value=800,
        target_value=300,
        unit="ms",
        owner=cast.member,
        today=today,
    )
    first_time = objective_services.key_result_create(
        objective=checkout_objective,
        title="Card payments succeed first time",
        start_value=80,
        target_value=90,
        unit="%",
        owner=cast.member,
        today=today,
    )
    signups = objective_services.key_result_create(
        objective=growth_objective,
        title="Weekly sign-ups",
        start_value=100,
        target_value=200,
        owner=cast.employee_elsewhere,
        today=today,
    )
    # latency:    (600 − 800) ÷ (300 − 800) = 0.4; r = 0.8 → at risk; confidence 0.6 → at risk: AT RISK
    # first time: (88 − 80) ÷ (90 − 80) = 0.8;     r = 1.6 → on track; confidence 0.9 → on track: ON TRACK
    # sign-ups:   (110 − 100) ÷ (200 − 100) = 0.1; r = 0.2 → off track: OFF TRACK
    check_in(cast.member, latency, value=600, confidence=0.6, today=today)
    check_in(cast.member, first_time, value=88, confidence=0.9, today=today)
    check_in(cast.employee_elsewhere, signups, value=110, confidence=0.3, today=today)
    settle(today=today)
    # "Checkout is fast": progress (0.4 + 0.8) ÷ 2 = 0.6, r = 1.2; mean confidence (0.6 + 0.9) ÷ 2 = 0.75: on track.
    checkout_objective.refresh_from_db()
    assert checkout_objective.progress == pytest.approx(0.6)
    assert checkout_objective.status == Status.ON_TRACK

    sign_in(page, live_server, cast.leadership.user.email, "/cascade/")  # "/" sends leadership here
    assert page.get_by_role("heading", name="Company cascade").is_visible()
    growth_node = page.locator("section.cascade-node", has=page.get_by_role("heading", name="Growth", exact=True))
    assert growth_node.count() == 1
    # The whole company: 1 of 3 KRs on track = 33 %; confidence (0.6 + 0.9 + 0.3) ÷ 3 = 0.60.
    assert figure(page, "Key results on track").locator("dd").inner_text() == "33 %"
    assert "1 of 3 key results" in figure(page, "Key results on track").inner_text()
    assert figure(page, "Average confidence").locator("dd").inner_text() == "0.60"
    screenshot(page, "cascade-company")

    # The Team filter submits itself: Engineering and the teams below it stay, Growth goes.
    page.get_by_label("Team").select_option(label="Engineering")
    page.wait_for_url(f"**/cascade/?*team={cast.department.pk}*")
    assert growth_node.count() == 0
    tree = page.locator("#cascade-tree")
    assert tree.get_by_role("heading", name="Engineering", exact=True).is_visible()
    assert tree.get_by_role("heading", name="Checkout", exact=True).is_visible()
    # Engineering's subtree: 1 of 2 KRs on track = 50 %; confidence (0.6 + 0.9) ÷ 2 = 0.75.
    assert figure(page, "Key results on track").locator("dd").inner_text() == "50 %"
    assert "1 of 2 key results" in figure(page, "Key results on track").inner_text()
    assert figure(page, "Average confidence").locator("dd").inner_text() == "0.75"
    # The filtered department starts open; its team starts closed.
    assert tree.get_by_role("row", name="Engineering ships faster").is_visible()
    assert tree.get_by_role("row", name="Checkout is fast").count() == 0

    page.get_by_role("link", name="Show the objectives of Checkout").click()
    objective_row = tree.locator("tbody.cascade-objective", has_text="Checkout is fast").locator("tr").first
    objective_row.wait_for()
    assert objective_row.locator(".bar-value").inner_text() == "60 %"
    assert objective_row.locator(".pill").inner_text() == "0.75"
    assert objective_row.locator(".status").inner_text() == "On track"

    page.get_by_role("link", name="Show the key results of “Checkout is fast”").click()
    kr_row = tree.locator("tr.cascade-kr", has_text="API p95 latency")
    kr_row.wait_for()
    assert kr_row.get_by_role("img", name="API p95 latency progress 40 %, expected 50 %").count() == 1
    assert kr_row.locator(".bar-value").inner_text() == "40 %"
    assert kr_row.locator(".pill").inner_text() == "0.6"
    assert kr_row.locator(".status").inner_text() == "At risk"
    other_row = tree.locator("tr.cascade-kr", has_text="Card payments succeed first time")
    assert other_row.locator(".bar-value").inner_text() == "80 %"
    assert other_row.locator(".status").inner_text() == "On track"
    screenshot(page, "cascade-expanded")

    # The expanded state lives in the URL (sorted tokens: the objective's, then the team's) …
    query = parse_qs(urlsplit(page.url).query)
    assert query["team"] == [str(cast.department.pk)]
    assert query["open"] == [f"o{checkout_objective.pk},t{cast.team.pk}"]
    # … so the address, reloaded (or shared), shows the same tree.
    page.reload()
    assert tree.locator("tr.cascade-kr", has_text="API p95 latency").is_visible()
    assert page.get_by_role("link", name="Hide the key results of “Checkout is fast”").is_visible()
    assert page.locator(f"#toggle-t{cast.team.pk}").get_attribute("aria-expanded") == "true"
    assert growth_node.count() == 0

    # The team's name leads to its page, which carries the same KR and figures.
    tree.get_by_role("link", name="Checkout", exact=True).click()
    page.wait_for_url(f"{live_server.url}/teams/{cast.team.pk}/")
    assert page.get_by_role("heading", name="Checkout", level=1).is_visible()
    team_kr_row = page.locator("table.team-kr-table tr", has_text="API p95 latency")
    assert team_kr_row.locator(".bar-value").inner_text() == "40 %"
    assert team_kr_row.locator(".status").inner_text() == "At risk"
    assert team_kr_row.locator(".pill").first.inner_text() == "0.6"
    assert page.locator("table.team-kr-table", has_text="Weekly sign-ups").count() == 0
    screenshot(page, "cascade-team-page")


@pytest.mark.worker
def test_member_checks_in_and_the_heatmap_cell_follows_the_worker(page, live_server, cast, cycle, today, worker):
    objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.team,
        title="Checkout is fast",
        owner=cast.lead,
        visibility="team",
        state="active",
    )
    conversion = objective_services.key_result_create(
        objective=objective,
        title="Checkout conversion",
        start_value=0,
        target_value=10,
        unit="%",
        owner=cast.member,
        today=today,
    )
    this_week = week_of(today)
    last_week = this_week - timedelta(weeks=1)
    # Last week: 5 of 0 → 10 = 0.5, r = 1.0 → on track; confidence 0.8 → on track.
    check_in(cast.member, conversion, value=5, confidence=0.8, today=today, week=last_week)
    settle(today=today)
    snapshots_take(organisation=cast.org)  # the past weeks' cells, from the cycle's start to today
    objective.refresh_from_db()
    assert (objective.status, objective.progress, objective.confidence) == (Status.ON_TRACK, 0.5, 0.8)

    def week_words(week: date) -> str:
        return f"Week of {week:%a} {week.day} {week:%b}"

    def cells(row_class: str, label: str):
        return page.locator(f"tr.{row_class}", has_text=label).locator("td.heat")

    def title(cell) -> str:
        return cell.locator("[title]").get_attribute("title")

    sign_in(page, live_server, cast.member.user.email)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Heatmap").click()
    page.wait_for_url("**/heatmap/")
    assert page.locator("th.heat-week").last.get_attribute("class") == "heat-week heat-now"
    objective_cells = cells("heat-objective", "Checkout is fast")
    before = title(objective_cells.last)
    assert before == f"{week_words(this_week)}: on track, confidence 0.8, progress 50 %"
    assert "heat-ok" in objective_cells.last.get_attribute("class")
    assert title(cells("heat-team", "Checkout").last) == f"{week_words(this_week)}: on track, confidence 0.8"
    screenshot(page, "heatmap-before-checkin")

    nav.get_by_role("link", name="My week").click()
    page.wait_for_url("**/my-week/")
    row = page.locator(f"#row-{conversion.pk}")
    assert "On track" in row.inner_text() and "50 %" in row.inner_text()
    # This week: 4 of 0 → 10 = 0.4, r = 0.8 → at risk; confidence 0.5 → at risk.
    row.get_by_label("Value (%)").fill("4")
    row.get_by_label("Confidence").fill("0.5")
    row.get_by_role("button", name="Check in").click()
    row.get_by_text("✓ Saved").wait_for()
    assert "At risk" in row.inner_text() and "40 %" in row.inner_text()
    screenshot(page, "my-week-checked-in")

    # The KR changed in the check-in's transaction; its objective follows once the worker has run the
    # outbox row the check-in wrote (nothing else drains it in this test).
    def rolled_up() -> bool:
        o = Objective.objects.get(pk=objective.pk)
        return (
            not RecomputeRequest.objects.exists()
            and o.status == Status.AT_RISK
            and o.progress == pytest.approx(0.4)
            and o.confidence == pytest.approx(0.5)
        )

    assert wait_for(rolled_up), f"the worker did not roll the check-in up: {worker.poll()=}"

    nav.get_by_role("link", name="Heatmap").click()
    page.wait_for_url("**/heatmap/")
    after = title(objective_cells.last)
    assert after != before
    assert after == f"{week_words(this_week)}: at risk, confidence 0.5, progress 40 %"
    assert "heat-risk" in objective_cells.last.get_attribute("class")
    assert objective_cells.last.text_content().startswith("! 0.5")  # the symbol and the confidence, not colour alone
    assert title(cells("heat-team", "Checkout").last) == f"{week_words(this_week)}: at risk, confidence 0.5"
    # Last week comes from its snapshot and keeps what it said; the first week had no check-in yet.
    assert title(objective_cells.nth(objective_cells.count() - 2)) == (
        f"{week_words(last_week)}: on track, confidence 0.8, progress 50 %"
    )
    assert title(objective_cells.first).startswith(f"{week_words(week_of(cycle.start_date))}: not started")

    kr_cells = cells("heat-kr", "Checkout conversion")
    assert kr_cells.last.is_hidden()
    page.get_by_role("button", name="Key results of “Checkout is fast”").click()
    expect(kr_cells.last).to_be_visible()  # the rows come by htmx on the first click
    assert title(kr_cells.last) == f"{week_words(this_week)}: at risk, confidence 0.5, progress 40 %"
    assert title(kr_cells.nth(kr_cells.count() - 2)) == (
        f"{week_words(last_week)}: on track, confidence 0.8, progress 50 %"
    )
    screenshot(page, "heatmap-after-checkin")


def test_product_owner_links_the_orphan_and_the_team_page_shows_full_coverage(page, live_server, cast, cycle, today):
    objective = objective_services.objective_create(
        organisation=cast.org, cycle=cycle, team=cast.team, title="Checkout is fast", owner=cast.lead, state="active"
    )
    latency = objective_services.key_result_create(
        objective=objective,
        title="API p95 latency",
        start_value=800,
        target_value=300,
        unit="ms",
        owner=cast.member,
        today=today,
    )
    objective_services.key_result_create(
        objective=objective,
        title="Card payments succeed first time",
        start_value=80,
        target_value=90,
        unit="%",
        owner=cast.member,
        today=today,
    )
    # "Cache the basket" serves the KR through its epic; "Lazy-load images" serves none (the orphan).
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Faster checkout pages")
    backlog_services.link_epic(epic=epic, key_result=latency, amount=-200)
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Cache the basket", points=5, epic=epic)
    orphan = backlog_services.story_save(organisation=cast.org, team=cast.team, title="Lazy-load images", points=3)
    # Neither a done story nor another team's story counts in Checkout's open backlog.
    backlog_services.story_save(
        organisation=cast.org, team=cast.team, title="Refactor logging", points=2, status="done"
    )
    backlog_services.story_save(organisation=cast.org, team=cast.other_team, title="Landing page A/B test", points=8)

    sign_in(page, live_server, cast.lead.user.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{live_server.url}/teams/{cast.team.pk}/")
    coverage = figure(page, "Backlog serving a key result")
    # Open stories: 5 pts linked + 3 pts orphan → 1 of 2 = 50 %; points 5 ÷ 8 = 62.5 % → 63 % (half up).
    assert coverage.locator("dd").inner_text() == "50 %"
    assert "1 of 2 open stories · 63 % of points" in coverage.inner_text()
    assert figure(page, "Orphan stories").locator("dd").inner_text() == "1"
    screenshot(page, "team-page-coverage-half")

    page.locator("main").get_by_role("link", name="Backlog", exact=True).click()
    page.wait_for_url(f"**/backlog/?team={cast.team.pk}")
    assert "1 of 2 open stories" in page.locator("#coverage").inner_text()
    row = page.locator(f"#story-{orphan.pk}")
    row.get_by_role("link", name="Link to a key result").click()
    htmx_settled(page, row.get_by_label("Find a key result"))
    row.get_by_label("Find a key result").fill("latency")
    # The search narrows the choices to the one KR whose title matches.
    row.locator(".picker-results", has_text="API p95 latency").wait_for()
    row.get_by_text("Card payments succeed first time").wait_for(state="detached")
    row.get_by_label("API p95 latency").check()
    row.get_by_label("Expected impact").fill("-50 ms")
    screenshot(page, "backlog-link-picker")
    row.get_by_role("button", name="Link").click()
    page.locator("#coverage", has_text="2 of 2 open stories").wait_for()
    link = StoryLink.objects.get(story=orphan)
    assert (link.key_result_id, link.impact_amount) == (latency.pk, -50)
    assert page.locator(f"#story-{orphan.pk}").get_by_role("link", name="API p95 latency").is_visible()
    screenshot(page, "backlog-orphan-linked")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Checkout").click()
    page.wait_for_url(f"{live_server.url}/teams/{cast.team.pk}/")
    # Both open stories serve the KR: 2 of 2 = 100 %; points 8 ÷ 8 = 100 %; no orphan left.
    assert coverage.locator("dd").inner_text() == "100 %"
    assert "2 of 2 open stories · 100 % of points" in coverage.inner_text()
    assert figure(page, "Orphan stories").locator("dd").inner_text() == "0"
    screenshot(page, "team-page-coverage-full")
