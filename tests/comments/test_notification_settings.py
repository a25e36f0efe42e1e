"""E-mail settings, the signed unsubscribe links, and the e-mails that respect them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from checkins import digest, reminders
from comments import emails, services
from comments.access import target_of_key_result
from objectives import services as objective_services
from okrapp.models import Notification
from okrapp.unsubscribe import unsubscribe_token
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_settings_page_get_htmx_and_save(login, cast):
    client = login(cast.member)
    page = client.get(reverse("notification_settings"))
    assert page.status_code == 200 and "Check-in reminders" in page.content.decode()
    assert reverse("notification_settings") in client.get(reverse("home")).content.decode()  # the profile menu
    saved = client.post(reverse("notification_settings"), {"email_digest": "on"})
    assert saved.status_code == 302
    cast.member.refresh_from_db()
    assert (cast.member.email_reminders, cast.member.email_digest, cast.member.email_mentions) == (False, True, False)
    partial = client.post(reverse("notification_settings"), {"email_mentions": "on"}, **HTMX)
    assert partial.status_code == 200 and "Saved" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    cast.member.refresh_from_db()
    assert cast.member.email_mentions and not cast.member.email_digest


def test_unsubscribe_round_trip_without_signing_in(cast):
    client = Client(enforce_csrf_checks=True)
    url = reverse("unsubscribe", args=[unsubscribe_token(cast.member, "digest")])
    page = client.get(url)
    assert page.status_code == 200 and "Stop e-mails about the weekly digest for member@…?" in page.content.decode()
    cast.member.refresh_from_db()
    assert cast.member.email_digest  # a GET (a link scanner) changes nothing
    done = client.post(url, {"List-Unsubscribe": "One-Click"})  # one-click: no cookie, no CSRF token
    assert done.status_code == 200 and "Unsubscribed" in done.content.decode()
    cast.member.refresh_from_db()
    assert not cast.member.email_digest and cast.member.email_reminders and cast.member.email_mentions


@pytest.mark.parametrize(
    "token",
    [
        lambda m: unsubscribe_token(m, "digest")[:-2] + "xx",  # tampered
        lambda m: signing.dumps({"m": m.pk, "k": "digest"}, salt="okrapp.unsubscribe.reminders"),  # another kind's salt
        lambda m: signing.dumps({"m": m.pk, "k": "digest"}, key="another-site-key", salt="okrapp.unsubscribe.digest"),
        lambda m: "garbage",
    ],
)
def test_a_bad_token_is_a_clear_400_and_changes_nothing(cast, token):
    url = reverse("unsubscribe", args=[token(cast.member)])
    for response in (Client().get(url), Client().post(url)):
        assert response.status_code == 400 and "This link does not work" in response.content.decode()
    cast.member.refresh_from_db()
    assert cast.member.email_digest and cast.member.email_reminders


def test_reminders_respect_the_switch_and_carry_the_link(cast, okrs, django_capture_on_commit_callbacks):
    cast.org.checkin_day = 0
    cast.org.save()
    for owner in (cast.member, cast.teammate):
        objective_services.key_result_create(
            objective=okrs[2], title=f"KR of {owner.user.full_name}", start_value=0, target_value=1, owner=owner,
            today=TODAY,
        )  # fmt: skip
    cast.teammate.email_reminders = False
    cast.teammate.save()
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_reminders(site_url="http://x")
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    assert Notification.objects.filter(recipient=cast.teammate).count() == 1  # the in-app reminder stays
    message = mail.outbox[0]
    assert "/unsubscribe/" in message.body and message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_digest_respects_the_switch(cast, okrs, monkeypatch, django_capture_on_commit_callbacks):
    from checkins import services as checkin_services
    from okrapp.http import Viewer

    kr = objective_services.key_result_create(
        objective=okrs[2], title="Latency", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )
    checkin_services.checkin_save(
        viewer=Viewer.load(cast.member.user), key_result=kr, week=TODAY, value=500, confidence=0.5, today=TODAY
    )
    cast.org.time_zone = "UTC"
    cast.org.save()
    cast.leadership.email_digest = False
    cast.leadership.save()
    monkeypatch.setattr(digest.timezone, "now", lambda: datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        digest.send_digests(site_url="http://x")
    recipients = {m.to[0] for m in mail.outbox}
    assert "lead@acme.test" in recipients and "boss@acme.test" not in recipients
    lead_mail = next(m for m in mail.outbox if m.to == ["lead@acme.test"])
    assert "/unsubscribe/" in lead_mail.body and "List-Unsubscribe" in lead_mail.extra_headers


def test_mention_email_respects_the_switch(cast, kr):
    comment = services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Member hello")
    assert emails.mention_email_send(comment_id=comment.pk, membership_id=cast.member.pk, site_url="http://x")
    assert "Lead mentioned you" in mail.outbox[0].subject and "/unsubscribe/" in mail.outbox[0].body
    cast.member.email_mentions = False
    cast.member.save()
    assert not emails.mention_email_send(comment_id=comment.pk, membership_id=cast.member.pk, site_url="http://x")
    assert len(mail.outbox) == 1
