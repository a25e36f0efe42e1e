"""The weekly digest: what moved, new risks, stale KRs, blockers — only what the recipient may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from checkins import digest, services
from checkins.weeks import week_of
from objectives import services as objective_services
from okrapp.http import Viewer
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db
WEEK = week_of(TODAY)


@pytest.fixture
def week_of_work(cast, okrs, quarter):
    team = okrs[2]
    latency = objective_services.key_result_create(
        objective=team, title="Latency", start_value=800, target_value=300, unit="ms", owner=cast.member, today=TODAY
    )
    secret = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.other_team,
        title="Secret",
        owner=cast.employee_elsewhere,
        visibility="private",
    )
    hidden = objective_services.key_result_create(
        objective=secret, title="Hidden KR", start_value=0, target_value=1, owner=cast.employee_elsewhere, today=TODAY
    )
    member, elsewhere = Viewer.load(cast.member.user), Viewer.load(cast.employee_elsewhere.user)
    services.checkin_save(
        viewer=member, key_result=latency, week=WEEK - timedelta(weeks=1), value=600, confidence=0.8, today=TODAY
    )
    services.checkin_save(
        viewer=member, key_result=latency, week=WEEK, value=500, confidence=0.5, blockers="CDN contract", today=TODAY
    )
    services.checkin_save(
        viewer=elsewhere,
        key_result=hidden,
        week=WEEK,
        value=0.5,
        confidence=0.2,
        blockers="Secret blocker",
        today=TODAY,
    )
    return latency


def test_digest_for_leadership_and_lead(cast, week_of_work):
    boss = digest.digest_for(Viewer.load(cast.leadership.user), week=WEEK)
    assert [kr.title for kr, _, _ in boss.moved] == ["Latency"]
    assert [kr.title for kr, _ in boss.new_risks] == ["Latency"]  # confidence fell from 0.8 to 0.5
    assert [c.blockers for _, c in boss.blockers] == ["CDN contract"]  # never the private objective's
    lead = digest.digest_for(Viewer.load(cast.lead.user), week=WEEK)
    assert [kr.title for kr, _, _ in lead.moved] == ["Latency"]


def test_digest_mail_has_html_and_text(cast, week_of_work):
    d = digest.digest_for(Viewer.load(cast.leadership.user), week=WEEK)
    digest.send_digest(cast.leadership, d, site_url="http://x")
    message = mail.outbox[0]
    assert "WHAT MOVED" in message.body and "600 ms → 500 ms" in message.body and "Secret" not in message.body
    html = message.alternatives[0][0]
    assert "<h2" in html and "What moved" in html and "Secret" not in html


def test_sent_once_on_monday_morning(cast, week_of_work, monkeypatch, django_capture_on_commit_callbacks):
    cast.org.time_zone = "UTC"
    cast.org.save()
    monday_morning = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # digest of the week of 16 Nov
    monkeypatch.setattr(digest.timezone, "now", lambda: monday_morning)
    with django_capture_on_commit_callbacks(execute=True):
        first = digest.send_digests(site_url="http://x")
        second = digest.send_digests(site_url="http://x")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert second == 0 and first == len(recipients)
    assert "boss@acme.test" in recipients and "lead@acme.test" in recipients and "member@acme.test" not in recipients
    monkeypatch.setattr(digest.timezone, "now", lambda: monday_morning.replace(hour=5))
    mail.outbox.clear()
    assert digest.send_digests(site_url="http://x") == 0
