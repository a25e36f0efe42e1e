"""A team member checks in on three key results from My week, without a reload."""

from __future__ import annotations

import pytest

from checkins.models import CheckIn
from objectives import services
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_checks_in_on_three_krs(page, live_server, cast, okrs):
    team = okrs[2]
    latency = services.key_result_create(
        objective=team,
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=800,
        unit="ms",
        owner=cast.member,
    )
    uptime = services.key_result_create(
        objective=team, title="Uptime", kind="guardrail", bound=99.95, bound_keep="above", unit="%", owner=cast.member
    )
    audit = services.key_result_create(objective=team, title="PCI audit passed", kind="milestone", owner=cast.member)
    sign_in(page, live_server, "member@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My week").click()
    page.wait_for_url("**/my-week/")
    marker = page.evaluate("() => { window.__noReload = true; return window.__noReload; }")
    assert marker is True

    rows = {kr.pk: page.locator(f"#row-{kr.pk}") for kr in (latency, uptime, audit)}
    # An invalid confidence is refused in place, and nothing is saved.
    rows[latency.pk].get_by_label("Value (ms)").fill("350")
    rows[latency.pk].get_by_label("Confidence").fill("1.5")
    rows[latency.pk].get_by_role("button", name="Check in").click()
    rows[latency.pk].get_by_text("Confidence lies between 0.0 and 1.0.").wait_for()
    assert CheckIn.objects.count() == 0
    screenshot(page, "my-week-refused")

    # Keyboard: Enter saves.
    rows[latency.pk].get_by_label("Confidence").fill("0.8")
    rows[latency.pk].get_by_label("Confidence").press("Enter")
    rows[latency.pk].get_by_text("✓ Saved").wait_for()
    assert "On track" in rows[latency.pk].inner_text() and "90 %" in rows[latency.pk].inner_text()

    rows[uptime.pk].get_by_label("Value (%)").fill("99.97")
    rows[uptime.pk].get_by_label("Confidence").fill("0.9")
    rows[uptime.pk].get_by_role("button", name="Check in").click()
    rows[uptime.pk].get_by_text("✓ Saved").wait_for()
    assert "On track" in rows[uptime.pk].inner_text()

    rows[audit.pk].get_by_label("Done?").select_option("no")
    rows[audit.pk].get_by_label("Confidence").fill("0.3")
    rows[audit.pk].get_by_role("button", name="Check in").click()
    rows[audit.pk].get_by_text("✓ Saved").wait_for()
    assert "Off track" in rows[audit.pk].inner_text()  # confidence 0.3 is off track

    assert page.evaluate("() => window.__noReload") is True  # still the same page: no reload
    assert "3 of 3 key results checked in." in page.locator("#week-count").inner_text()
    assert CheckIn.objects.count() == 3
    screenshot(page, "my-week-saved-1280")
    page.set_viewport_size({"width": 768, "height": 1000})
    screenshot(page, "my-week-768")
