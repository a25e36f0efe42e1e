"""In Chromium: stretch and committed on the OKR list and the cascade's ambition filter; a new
organisation signing up. Screenshots at 1280 and 768 px."""

from __future__ import annotations

import pytest

from objectives import services
from okrapp.models import Membership
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ambitions(cast, quarter):
    bold = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Bold bets",
        owner=cast.lead,
        state="active",
        stretch=True,
    )
    steady = services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Steady growth", owner=cast.lead, state="active"
    )
    for objective, title, stretch in (
        (bold, "Ten pilot customers", False),
        (steady, "Double weekly signups", True),
        (steady, "Keep churn flat", False),
    ):
        services.key_result_create(
            objective=objective,
            title=title,
            owner=cast.lead,
            start_value=0,
            target_value=10,
            stretch=stretch,
        )
    return bold, steady


def test_stretch_tags_and_the_cascade_ambition_filter(page, live_server, cast, quarter, ambitions):
    sign_in(page, live_server, "lead@acme.test")
    page.goto(f"{live_server.url}/okrs/?cycle={quarter.pk}&team={cast.team.pk}")
    assert page.locator(".tag-stretch").count() == 3
    screenshot(page, "stretch-okrs-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "stretch-okrs-768")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/objectives/{ambitions[0].pk}/edit/")
    assert page.get_by_label("Stretch objective").is_checked()
    screenshot(page, "stretch-objective-form-1280")

    page.context.clear_cookies()
    sign_in(page, live_server, "boss@acme.test", landing="/cascade/")
    page.get_by_label("Ambition").select_option("stretch")
    page.wait_for_url("**ambition=stretch**")
    # A filter opens every team with a match; open the objectives to see their stretch KRs.
    page.get_by_role("link", name="Show the key results of “Steady growth”").click()
    page.get_by_role("link", name="Double weekly signups").wait_for()
    page.get_by_role("link", name="Bold bets", exact=True).wait_for()
    assert page.get_by_role("link", name="Steady growth", exact=True).is_visible()
    screenshot(page, "stretch-cascade-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "stretch-cascade-768")


def test_a_new_organisation_signs_up(page, live_server, settings):
    settings.SIGNUP_ENABLED = True
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Start an organisation").click()
    page.get_by_label("Organisation").fill("Newco")
    page.get_by_label("Your name").fill("Nia New")
    page.get_by_label("E-mail").fill("nia@newco.test")
    page.get_by_label("Password").fill("12345678")
    page.get_by_role("button", name="Create organisation").click()
    page.get_by_text("This password is entirely numeric.").wait_for()
    screenshot(page, "signup-error-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "signup-error-768")
    page.get_by_label("Password").fill("plum-harbour-1987-kite")
    page.get_by_role("button", name="Create organisation").click()
    page.get_by_text("Welcome to the OKR app, Nia New.").wait_for()
    assert Membership.objects.get(user__email="nia@newco.test").organisation.name == "Newco"
    screenshot(page, "signup-welcome-768")
