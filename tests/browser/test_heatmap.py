"""Leadership reads the heatmap and opens an objective's key results in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from checkins import services as checkin_services
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.timeutil import org_today
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leadership_expands_an_objective_on_the_heatmap(page, live_server, cast, okrs):
    today = org_today(cast.org)
    kr = objective_services.key_result_create(
        objective=okrs[2], title="Conversion", start_value=0, target_value=10, owner=cast.member, today=today
    )
    checkin_services.checkin_save(
        viewer=Viewer.load(cast.member.user), key_result=kr, value=4, confidence=0.5, today=today
    )
    settle(today=today)
    snapshots_take(organisation=cast.org)
    sign_in(page, live_server, cast.leadership.user.email, landing="/cascade/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Heatmap").click()
    kr_row = page.locator("tr.heat-kr", has_text="Conversion")
    assert kr_row.is_hidden()
    page.get_by_role("button", name="Key results of “Checkout is fast”").click()
    expect(kr_row).to_be_visible()  # the rows come by htmx on the first click
    assert "at risk, confidence 0.5" in kr_row.inner_text()
    screenshot(page, "heatmap")
    kr_row.get_by_role("link").last.click()
    page.wait_for_url(f"**/key-results/{kr.pk}/**")
