"""A team lead's journey in Chromium: an objective aligned to the department's, three kinds of key
result, a key failure indicator, and the numbers on the page."""

from __future__ import annotations

import pytest

from objectives import services
from objectives.models import KeyResult, Objective
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_builds_team_okrs(page, live_server, cast, okrs, quarter, worker):
    services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Support tickets per week",
        direction="lower",
        green_threshold=40,
        amber_threshold=60,
        unit="tickets",
    )
    sign_in(page, live_server, "lead@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="OKRs").click()
    page.get_by_role("link", name="Add an objective").first.click()

    page.get_by_label("Objective", exact=True).fill("Payments never get in the way")
    page.get_by_label("Aligned to").select_option(label="Engineering: Engineering ships faster")
    page.get_by_role("button", name="Create objective").click()
    page.get_by_text("Objective “Payments never get in the way” was created.").wait_for()
    objective = Objective.objects.get(title="Payments never get in the way")
    assert objective.parent == okrs[1] and objective.team == cast.team
    card = page.locator("section.objective-card", has=page.get_by_role("heading", name="Payments never get in the way"))

    # A metric: the task hint shows while the title reads like a task, then goes.
    card.get_by_role("link", name="Add a key result").click()
    page.get_by_label("Key result", exact=True).fill("Implement faster card checks")
    assert page.get_by_text("This reads like a task").is_visible()
    page.get_by_label("Key result", exact=True).fill("API p95 latency")
    assert not page.get_by_text("This reads like a task").is_visible()
    assert not page.get_by_label("Bound", exact=True).is_visible()  # guardrail fields hide for a metric
    page.get_by_label("Start", exact=True).fill("800")
    page.get_by_label("Target", exact=True).fill("800")
    page.get_by_role("button", name="Add key result").click()
    page.get_by_text("The target must differ from the start value.").wait_for()
    assert page.get_by_label("Key result", exact=True).input_value() == "API p95 latency"  # nothing lost
    screenshot(page, "kr-form-error")
    page.get_by_label("Target", exact=True).fill("300")
    page.get_by_label("Current (optional)").fill("350")
    page.get_by_label("Unit (optional)").fill("ms")
    page.get_by_role("button", name="Add key result").click()
    page.get_by_text("Key result “API p95 latency” was added.").wait_for()

    # A guardrail with a key failure indicator.
    card.get_by_role("link", name="Add a key result").click()
    page.get_by_label("Key result", exact=True).fill("Payment uptime")
    page.get_by_label("Guardrail: keep a number above or below a bound").check()
    page.get_by_label("Keep it", exact=True).select_option("above")
    page.get_by_label("Bound", exact=True).fill("99.95")
    page.get_by_label("Unit (optional)").fill("%")
    page.get_by_label("Key failure indicators (optional)").select_option(label="Support tickets per week")
    page.get_by_role("button", name="Add key result").click()
    page.get_by_text("Key result “Payment uptime” was added.").wait_for()

    # A milestone.
    card.get_by_role("link", name="Add a key result").click()
    page.get_by_label("Key result", exact=True).fill("PCI DSS audit passed")
    page.get_by_label("Milestone: done or not done").check()
    page.get_by_role("button", name="Add key result").click()
    page.get_by_text("Key result “PCI DSS audit passed” was added.").wait_for()

    krs = {kr.title: kr for kr in KeyResult.objects.filter(objective=objective)}
    assert set(krs) == {"API p95 latency", "Payment uptime", "PCI DSS audit passed"}
    assert krs["API p95 latency"].progress == pytest.approx(0.9)
    assert [m.name for m in krs["Payment uptime"].kfis.all()] == ["Support tickets per week"]
    # The objective's roll-up follows through the outbox and the real worker.
    assert wait_for(lambda: Objective.objects.get(pk=objective.pk).progress == pytest.approx(0.3))  # (0.9+0+0)/3
    page.reload()  # the page was drawn when the KR was added: the roll-up above it came a moment later

    body = card.inner_text()
    assert "30 %" in body and "Not started" in body
    assert "350 ms → 300 ms" in body and "≥ 99.95 %" in body
    assert "Expected by today" in page.locator("main").inner_text()
    screenshot(page, "okrs-team-1280")
    card.get_by_role("link", name="Payments never get in the way").click()
    page.get_by_role("heading", name="Payments never get in the way").wait_for()
    from django.utils import timezone

    from objectives.progress import expected_progress
    from objectives.templatetags.okr_tags import percent

    expected = expected_progress(start=quarter.start_date, end=quarter.end_date, on=timezone.localdate())
    assert f"Expected by today\n{percent(expected)}" in page.locator("main").inner_text()
    screenshot(page, "objective-page-1280")
    page.set_viewport_size({"width": 768, "height": 1000})
    screenshot(page, "objective-page-768")


def test_lead_edits_inline_on_the_okrs_page(page, live_server, cast, okrs, quarter):
    kr = services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=500,
        unit="ms",
        owner=cast.lead,
    )
    sign_in(page, live_server, "lead@acme.test")
    page.goto(f"{live_server.url}/okrs/?cycle={quarter.pk}&team={cast.team.pk}")
    page.get_by_role("link", name="Edit API p95 latency").click()
    page.get_by_label("Current (optional)").fill("350")
    page.get_by_role("button", name="Save key result").click()
    page.get_by_text("Key result saved.").wait_for()
    assert page.url.startswith(f"{live_server.url}/okrs/")  # stayed on the page
    kr.refresh_from_db()
    assert kr.progress == pytest.approx(0.9)
    assert "350 ms → 300 ms" in page.locator("main").inner_text()

    page.get_by_role("link", name="Add an objective").click()
    page.get_by_label("Objective", exact=True).fill("")
    page.get_by_role("button", name="Create objective").click()
    page.get_by_text("This field is required.").first.wait_for()  # 422 swapped in place
    page.get_by_label("Objective", exact=True).fill("Refunds in one click")
    page.get_by_role("button", name="Create objective").click()
    page.get_by_text("Objective “Refunds in one click” was created.").wait_for()
    assert page.get_by_role("heading", name="Refunds in one click").is_visible()
    screenshot(page, "okrs-inline-1280")
