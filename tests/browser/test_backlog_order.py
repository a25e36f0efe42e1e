"""Ordering the backlog by hand in Chromium: drag a story to the top with the mouse and find it first
after a reload; move one with the keyboard buttons, focus staying on the moved row and the move said in
the live region. My week shows the member's stories. Screenshots at 1280 px and 768 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backlog import services
from backlog.models import Story
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = ("Cache the basket", "Refactor logging", "Survey prompt", "Trim the bundle")


def titles_on_page(page) -> list[str]:
    return page.locator("#story-list tbody tr .story-title").all_inner_texts()


def test_drag_to_the_top_and_move_with_the_keyboard(page, live_server, cast):
    for title, points in zip(TITLES, (5, 3, None, 2), strict=True):
        services.story_save(organisation=cast.org, team=cast.team, title=title, points=points, assignee=cast.member)
    sign_in(page, live_server, "member@acme.test")
    page.goto(f"{live_server.url}/my-week/")
    screenshot(page, "my-week-my-stories")
    assert page.get_by_role("heading", name="My stories").is_visible()
    page.goto(f"{live_server.url}/backlog/?team={cast.team.pk}")
    assert titles_on_page(page) == list(TITLES)
    screenshot(page, "backlog-order-1280")

    # Drag "Survey prompt" by its handle onto the top half of the first row.
    survey = Story.objects.get(title="Survey prompt")
    first = Story.objects.get(title="Cache the basket")
    page.locator(f"#story-{survey.pk} [data-drag-handle]").drag_to(
        page.locator(f"#story-{first.pk} .story-title"), target_position={"x": 5, "y": 2}
    )
    expect(page.locator("#order-status")).to_contain_text("Moved “Survey prompt”. It is now 1 of 4.")
    page.reload()
    assert titles_on_page(page)[0] == "Survey prompt"

    # Keyboard: focus "Move down" of the top story and press Enter twice.
    button = page.get_by_role("button", name="Move down: Survey prompt")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_contain_text("2 of 4")
    moved_down = page.locator(f"#story-{survey.pk} button[data-move=down]")
    expect(moved_down).to_be_focused()  # focus stays on the moved row's button
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_contain_text("Moved “Survey prompt” down. It is now 3 of 4.")
    expect(moved_down).to_be_focused()
    assert titles_on_page(page) == ["Cache the basket", "Refactor logging", "Survey prompt", "Trim the bundle"]
    page.reload()
    assert titles_on_page(page)[2] == "Survey prompt"
    page.get_by_role("link", name="Mine").click()
    page.wait_for_url(f"**assignee={cast.member.pk}**")
    screenshot(page, "backlog-mine-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "backlog-order-768")
