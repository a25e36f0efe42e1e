"""Ana comments on a key result mentioning Ben; Ben signs in, sees the bell's count and follows the
notification to the comment."""

from __future__ import annotations

import pytest

from comments.models import Comment
from objectives import services
from okrapp.models import Notification, TeamRole
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.factories import MembershipFactory, TeamMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ana_mentions_ben_and_ben_follows_the_bell(browser, page, live_server, cast, okrs):
    ana = MembershipFactory(organisation=cast.org, user__email="ana@acme.test", user__full_name="Ana Lima")
    ben = MembershipFactory(organisation=cast.org, user__email="ben@acme.test", user__full_name="Ben Costa")
    for person in (ana, ben):
        TeamMembershipFactory(team=cast.team, membership=person, role=TeamRole.MEMBER)
    kr = services.key_result_create(
        objective=okrs[2], title="Checkout p95 under 400 ms", start_value=900, target_value=400, owner=ana
    )
    sign_in(page, live_server, "ana@acme.test")
    page.goto(f"{live_server.url}/key-results/{kr.pk}/")
    panel = page.locator("section.comments")
    box = panel.get_by_label("Comment")
    # A name nobody has is refused next to the box, and nothing is saved.
    box.fill("@Bem Costa can you look?")
    panel.get_by_role("button", name="Comment", exact=True).click()
    panel.get_by_text("@Bem is nobody in this organisation").wait_for()
    assert not Comment.objects.exists()
    screenshot(page, "mentions-refused")
    panel.get_by_label("Comment").fill("@Ben Costa can you look at the p95 spike?\nDetails: https://example.com/p95")
    panel.get_by_role("button", name="Comment", exact=True).click()
    panel.get_by_text("can you look at the p95 spike?").wait_for()
    assert panel.get_by_role("link", name="https://example.com/p95").get_attribute("rel") == "nofollow noopener"
    screenshot(page, "mentions-ana-commented")
    page.set_viewport_size({"width": 768, "height": 900})
    screenshot(page, "mentions-ana-commented-768")
    comment = Comment.objects.get()
    assert Notification.objects.get(recipient=ben).link.endswith(f"#comment-{comment.pk}")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    ben_page = context.new_page()
    try:
        sign_in(ben_page, live_server, "ben@acme.test")
        bell = ben_page.get_by_role("link", name="Notifications: 1 unread")
        assert bell.inner_text().strip() == "1"
        screenshot(ben_page, "mentions-ben-bell")
        bell.click()
        ben_page.get_by_role("link", name="Ana mentioned you on KR “Checkout p95 under 400 ms”").click()
        ben_page.wait_for_url(f"**/key-results/{kr.pk}/#comment-{comment.pk}")
        assert ben_page.locator(f"#comment-{comment.pk}").is_visible()
        screenshot(ben_page, "mentions-ben-at-the-comment")
        ben_page.goto(f"{live_server.url}/profile/notifications/")
        ben_page.get_by_label("Mentions").uncheck()
        ben_page.get_by_role("button", name="Save settings").click()
        ben_page.get_by_role("status").filter(has_text="Saved").wait_for()
        screenshot(ben_page, "mentions-ben-settings")
        ben.refresh_from_db()
        assert not ben.email_mentions
    finally:
        context.close()
