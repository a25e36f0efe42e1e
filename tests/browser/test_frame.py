"""Journeys in a real browser: log in and see the frame; an admin adds a person and a team."""

from __future__ import annotations

import pytest

from okrapp.models import Membership, Team
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email: str, landing: str = "/") -> None:
    """Sign in from the home page and wait where it sends this person (leadership: the cascade)."""
    page.goto(f"{live_server.url}/")
    assert "Sign in" in page.title()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{landing}")


def test_member_logs_in_and_sees_the_frame(page, live_server, cast):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail").fill("member@acme.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("That e-mail and password do not match an account").is_visible()
    screenshot(page, "login-error")

    sign_in(page, live_server, "member@acme.test")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Home").is_visible()
    assert nav.get_by_role("link", name="People").is_visible()
    assert nav.get_by_role("link", name="System status").count() == 0
    assert page.get_by_role("heading", name="Good to see you, Member").is_visible()
    assert nav.get_by_role("link", name="Checkout").is_visible()
    screenshot(page, "home-member-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "home-member-768")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")


def test_admin_adds_a_team_and_a_person(page, live_server, cast):
    sign_in(page, live_server, "admin@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    screenshot(page, "teams-admin")
    page.get_by_role("link", name="Add a team").first.click()
    page.get_by_label("Name").fill("Payments")
    page.get_by_label("Sits under").select_option(label="Engineering")
    page.get_by_role("button", name="Create team").click()
    assert page.get_by_role("heading", name="Payments", exact=True).is_visible()
    assert page.get_by_text("Team Payments was created.").is_visible()
    assert Team.objects.get(name="Payments").parent == cast.department

    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_role("button", name="Add and send invitation").click()  # empty: errors next to the fields
    assert page.locator(".field-error").count() >= 2
    screenshot(page, "person-add-errors")
    page.get_by_label("Full name").fill("Nora New")
    page.get_by_label("E-mail").fill("nora@acme.test")
    page.get_by_label("Team (optional)").select_option(label="Payments")
    page.get_by_label("Role in the team").select_option("lead")
    page.get_by_role("button", name="Add and send invitation").click()
    assert page.get_by_role("heading", name="Nora New", exact=True).is_visible()
    membership = Membership.objects.get(user__email="nora@acme.test")
    assert membership.team_memberships.get().team.name == "Payments"
    screenshot(page, "person-added")


def test_admin_changes_a_team_role_inline(page, live_server, cast):
    sign_in(page, live_server, "admin@acme.test")
    page.goto(f"{live_server.url}/teams/{cast.team.pk}/people/")
    page.get_by_label("Role of Member").select_option("lead")
    page.get_by_text("✓ Saved").wait_for()
    assert cast.team.team_memberships.get(membership=cast.member).role == "lead"
    screenshot(page, "team-role-saved")


def test_admin_sees_system_status(page, live_server, cast):
    sign_in(page, live_server, "admin@acme.test")
    page.get_by_role("link", name="System status").click()
    assert page.get_by_role("heading", name="System status").is_visible()
    assert page.get_by_text("Queue depth").is_visible()
    screenshot(page, "system-status")
