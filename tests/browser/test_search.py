"""The frame's search box in Chromium: "/" focuses it, the dropdown follows the typing, the arrow keys move
through the results, Escape closes the list, Enter opens the chosen result (or, with none chosen, the
results page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backlog import services as backlog_services
from objectives import services as objective_services
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def active_option(page) -> str:
    """The text of the option the box points at (aria-activedescendant), or "" when none is."""
    return page.evaluate(
        """() => {
            const box = document.getElementById("frame-search-input");
            const id = box.getAttribute("aria-activedescendant");
            const option = id && document.getElementById(id);
            return option && option.getAttribute("aria-selected") === "true"
                ? option.querySelector(".search-option-title, .search-option-all").textContent.trim() || option.textContent.trim()
                : "";
        }"""
    )


def test_member_finds_a_key_result_from_the_frame(page, live_server, cast, okrs):
    team_objective = okrs[2]
    latency = objective_services.key_result_create(
        objective=team_objective,
        title="Checkout p95 latency under 400 ms",
        start_value=900,
        target_value=400,
        unit="ms",
        owner=cast.member,
        today=TODAY,
    )
    objective_services.key_result_create(
        objective=team_objective, title="Checkout conversion reaches 4 %", start_value=3, target_value=4, today=TODAY
    )
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Checkout latency budget in CI")
    sign_in(page, live_server, "member@acme.test")
    box = page.get_by_role("combobox", name="Search objectives, key results, work and people")

    page.keyboard.press("/")  # from anywhere but a field
    assert page.evaluate("document.activeElement.id") == "frame-search-input"
    page.keyboard.type("checkout lat", delay=30)
    page.get_by_text("See all results for “checkout lat”").wait_for()  # the last answer, not an earlier one
    listbox = page.get_by_role("listbox", name="Search results")
    options = listbox.get_by_role("option")
    assert box.get_attribute("aria-expanded") == "true"
    texts = [t.strip() for t in options.all_inner_texts()]
    # Every word must match: the KR and the story about latency, and the link to all results.
    assert len(texts) == 3, texts
    assert texts[0].startswith("Checkout p95 latency under 400 ms")
    assert texts[1].startswith("Checkout latency budget in CI")
    assert texts[2] == "See all results for “checkout lat”"
    screenshot(page, "search-dropdown-1280")

    # Down, Down, Up: the key result again; the focus never left the box.
    page.keyboard.press("ArrowDown")
    assert active_option(page) == "Checkout p95 latency under 400 ms"
    page.keyboard.press("ArrowDown")
    assert active_option(page) == "Checkout latency budget in CI"
    page.keyboard.press("ArrowUp")
    assert active_option(page) == "Checkout p95 latency under 400 ms"
    assert page.evaluate("document.activeElement.id") == "frame-search-input"
    screenshot(page, "search-dropdown-active")

    # Escape closes the list (the words stay); Down opens it again at the first result.
    page.keyboard.press("Escape")
    assert not listbox.is_visible() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "checkout lat"
    page.keyboard.press("ArrowDown")
    assert listbox.is_visible() and active_option(page) == "Checkout p95 latency under 400 ms"

    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{reverse('key_result_detail', args=[latency.pk])}")
    assert page.get_by_role("heading", name="Checkout p95 latency under 400 ms").is_visible()


def test_enter_without_a_chosen_result_opens_the_results_page(page, live_server, cast, okrs):
    objective_services.key_result_create(
        objective=okrs[2], title="Checkout p95 latency under 400 ms", start_value=900, target_value=400, today=TODAY
    )
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Checkout latency budget in CI")
    sign_in(page, live_server, "member@acme.test")
    box = page.get_by_role("combobox", name="Search objectives, key results, work and people")
    box.click()
    page.keyboard.type("checkout", delay=30)
    page.get_by_role("listbox", name="Search results").wait_for()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/search/?q=checkout")
    assert page.get_by_role("heading", name="Objectives").is_visible()
    assert page.get_by_role("heading", name="Key results").is_visible()
    assert page.get_by_role("heading", name="Stories").is_visible()
    screenshot(page, "search-page-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "search-page-768")
    page.get_by_role("combobox", name="Search objectives, key results, work and people").click()
    page.keyboard.type("lat", delay=30)
    page.get_by_text("See all results for “lat”").wait_for()
    screenshot(page, "search-dropdown-768")

    # Too long: a clear refusal, in the dropdown and on the page.
    page.goto(f"{live_server.url}/search/?q={'x' * 250}")
    assert page.get_by_text("Search for at most 200 characters (this has 250)").is_visible()
    page.goto(f"{live_server.url}/search/")
    assert page.get_by_role("heading", name="What you can search").is_visible()
    screenshot(page, "search-empty-768")
