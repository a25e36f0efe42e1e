"""Check-in reminders: once per owner per week, whoever runs the job and however often."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from checkins import reminders, services
from checkins.models import ReminderSent
from checkins.tasks import send_checkin_reminders
from objectives import services as objective_services
from okrapp.http import Viewer
from okrapp.models import Notification
from tests.conftest import TODAY, wait_for


@pytest.fixture
def due(cast, okrs):
    """Check-in day is Monday, so the reminder is due every day of the week."""
    cast.org.checkin_day = 0
    cast.org.save()
    krs = [
        objective_services.key_result_create(
            objective=okrs[2], title=f"KR {i}", start_value=0, target_value=10, owner=owner, today=TODAY
        )
        for i, owner in enumerate((cast.member, cast.member, cast.teammate, cast.lead))
    ]
    return krs


@pytest.mark.django_db
def test_reminders_go_once_per_owner_and_skip_who_checked_in(cast, due, django_capture_on_commit_callbacks):
    services.checkin_save(viewer=Viewer.load(cast.lead.user), key_result=due[3], value=3, confidence=0.7)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.send_reminders(site_url="http://x")
        second = reminders.send_reminders(site_url="http://x")
    assert (first.reminded, second.reminded) == (2, 0)  # member (two KRs) and teammate; the lead is up to date
    assert sorted(m.to[0] for m in mail.outbox) == ["mate@acme.test", "member@acme.test"]
    assert "KR 0" in next(m.body for m in mail.outbox if m.to == ["member@acme.test"])
    assert Notification.objects.filter(recipient=cast.member).count() == 1


@pytest.mark.django_db
def test_not_before_the_checkin_day(cast, due):
    cast.org.checkin_day = 7  # never reached: no weekday is 7
    cast.org.save()
    assert reminders.send_reminders(site_url="http://x").reminded == 0


@pytest.mark.django_db
def test_the_bell_and_the_list(login, cast, due):
    reminders.send_reminders(site_url="http://x")
    client = login(cast.member)
    assert 'aria-label="Notifications: 1 unread"' in client.get(reverse("home")).content.decode()
    assert "Check-in day: 2 key results" in client.get(reverse("notifications")).content.decode()
    client.post(reverse("notifications"))
    assert 'aria-label="Notifications: 0 unread"' in client.get(reverse("home")).content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_once_with_the_job_run_twice(cast, due, worker):
    send_checkin_reminders.delay()
    send_checkin_reminders.delay()
    assert wait_for(lambda: ReminderSent.objects.count() == 3, timeout=40), worker.stdout and "no reminders"
    # Both runs are done once the queue is empty; still exactly one per owner.
    from okrapp import system

    assert wait_for(lambda: system.queue_depth().messages == 0, timeout=20)
    import time

    time.sleep(1.5)
    assert ReminderSent.objects.count() == 3
    assert Notification.objects.count() == 3
