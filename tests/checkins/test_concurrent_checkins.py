"""A check-in double-submitted, or sent by two tabs at once, makes one row: the KR row lock serialises
the two saves, and the second updates what the first created."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from checkins import services
from checkins.models import CheckIn
from history.models import CheckInEvent
from objectives import services as objective_services
from objectives.models import KeyResult
from tests.conftest import TODAY

HOLD = 0.4  # seconds each save holds the KR lock: long enough for the other to arrive and wait


@pytest.mark.django_db(transaction=True)
def test_two_check_ins_of_one_week_at_once_make_one_row(cast, okrs, monkeypatch):
    kr = objective_services.key_result_create(
        objective=okrs[2], title="API p95 latency", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )
    summarise = services.series_summary

    def slow_summary(key_result: KeyResult):  # runs inside checkin_save's transaction, the lock held
        time.sleep(HOLD)
        return summarise(key_result)

    monkeypatch.setattr(services, "series_summary", slow_summary)
    url = reverse("checkin_row", args=[kr.pk])
    prefix = f"kr{kr.pk}"
    start = threading.Barrier(2)
    answers: list[int] = []
    errors: list[BaseException] = []

    def tab(value: str) -> None:
        try:
            client = Client()
            client.force_login(cast.member.user)
            start.wait(timeout=10)
            answers.append(client.post(url, {f"{prefix}-value": value, f"{prefix}-confidence": "0.7"}).status_code)
        except BaseException as error:  # surfaced below: a thread's exception would vanish
            errors.append(error)
        finally:
            connection.close()

    began = time.monotonic()
    tabs = [threading.Thread(target=tab, args=(value,)) for value in ("550", "560")]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(timeout=30)
    elapsed = time.monotonic() - began

    assert not errors, errors
    assert answers == [302, 302]  # both saved (a redirect to My week), neither hit the unique constraint
    assert elapsed >= 2 * HOLD  # they overlapped and the second waited for the first's lock
    checkin = CheckIn.objects.get(key_result=kr)  # exactly one row
    kr.refresh_from_db()
    assert checkin.value in (550, 560) and kr.current_value == checkin.value
    labels = list(
        CheckInEvent.objects.filter(key_result_id=kr.pk).order_by("pgh_id").values_list("pgh_label", flat=True)
    )
    assert labels == ["insert", "update"]  # one created it, the other changed it
