"""A person leaves, in a real browser: the admin hands their work over, then deactivates them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from backlog.models import Epic, Story
from backlog.ordering import rank_at_end
from okrapp.models import Membership
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_hands_over_then_deactivates(page, live_server, cast, okrs):
    mate = cast.teammate
    for n in range(2):
        with transaction.atomic():  # rank_at_end locks the team's backlog
            Story.objects.create(
                organisation=cast.org,
                team=cast.team,
                title=f"Refund flow part {n + 1}",
                rank=rank_at_end(cast.team.pk),
                assignee=mate,
            )
    Epic.objects.create(organisation=cast.org, team=cast.team, title="One-click checkout", owner=mate)
    sign_in(page, live_server, "admin@acme.test")
    page.goto(f"{live_server.url}/people/{mate.pk}/handover/")
    page.get_by_role("checkbox", name="Refund flow part 1").check()
    page.locator(f"#stories-{cast.team.pk}-target").select_option(label="Member")
    page.get_by_role("checkbox", name="One-click checkout").check()
    screenshot(page, "handover-1280")
    page.get_by_role("button", name="Hand over selected").click()
    page.get_by_text("Choose who takes these over.").wait_for()  # the epic has no one chosen: nothing moves
    assert Story.objects.filter(assignee=cast.member).count() == 0
    screenshot(page, "handover-refused-1280")
    page.locator("#epics-target").select_option(label="Lead")
    page.get_by_role("button", name="Hand over selected").click()
    page.get_by_text("2 items handed over from Mate.").wait_for()
    assert Story.objects.filter(assignee=cast.member).count() == 1
    screenshot(page, "handover-done-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "handover-done-768")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/people/{mate.pk}/")
    page.get_by_role("link", name="Deactivate…").click()
    page.get_by_role("button", name="Deactivate Mate").wait_for()
    screenshot(page, "deactivate-confirm-1280")
    page.get_by_role("button", name="Deactivate Mate").click()
    page.get_by_text("Deactivated on").wait_for()
    screenshot(page, "person-deactivated-1280")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "person-deactivated-768")
    assert Membership.objects.get(pk=mate.pk).deactivated_at <= timezone.now()
    page.goto(f"{live_server.url}/people/?status=deactivated")
    screenshot(page, "people-deactivated-768")
