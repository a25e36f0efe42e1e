"""Load and fault tests on PostgreSQL: 50 concurrent writers on one key result lose no update and
deadlock nothing; a database connection lost in the middle of a writing request answers an error page
and leaves nothing half-written."""

from __future__ import annotations

import threading
import zoneinfo
from datetime import datetime, time, timedelta

import psycopg
import pytest
from django.db import connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from checkins import services
from checkins.models import CheckIn, MetricReading
from checkins.weeks import week_of
from objectives import services as objective_services
from objectives.models import HealthMetric, KeyResult, RecomputeRequest
from objectives.services.reconcile import reconcile
from okrapp.http import Viewer
from okrapp.timeutil import org_today
from tests.conftest import settle
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 50
START, TARGET = 0.0, 1000.0


@pytest.fixture
def today(cast):
    return org_today(cast.org)


@pytest.fixture
def metric(cast):
    return objective_services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=40,
        amber_threshold=30,
    )


@pytest.fixture
def key_result(cast, today, metric):
    """A metric KR in a cycle long enough for 50 past weeks, guarded by the health metric (KFI)."""
    cycle = CycleFactory(
        organisation=cast.org,
        name="Long haul",
        kind="custom",
        start_date=today - timedelta(weeks=WRITERS + 4),
        end_date=today + timedelta(days=30),
    )
    objective = objective_services.objective_create(
        organisation=cast.org, cycle=cycle, team=cast.team, title="Revenue grows", owner=cast.lead, state="active"
    )
    return objective_services.key_result_create(
        objective=objective,
        title="Monthly revenue",
        start_value=START,
        target_value=TARGET,
        owner=cast.member,
        kfis=[metric],
        today=today,
    )


def in_parallel(count: int, work) -> list[str]:
    """Run ``work(i)`` in ``count`` threads released at once, each on its own database connection
    (closed at its end). Returns the errors raised; fails if any thread hangs (a lock wait that never
    ends)."""
    errors: list[str] = []
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait(timeout=60)
            work(i)
        except Exception as exc:
            errors.append(f"writer {i}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), name=f"writer-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not [thread.name for thread in threads if thread.is_alive()], "a writer never finished"
    return errors


def test_fifty_concurrent_writers_on_one_kr_lose_nothing_and_deadlock_nothing(cast, today, metric, key_result):
    """Each writer, at the same moment: a check-in (even writers) or an API value push (odd writers) for
    its own week of the same KR, a pushed reading of its own day of the KR's guarding health metric,
    and an edit of today's reading of it (which all fifty share)."""
    zone = zoneinfo.ZoneInfo(cast.org.time_zone)
    this_week = week_of(today)
    weeks = [this_week - timedelta(weeks=i) for i in range(WRITERS)]
    viewer = Viewer.load(cast.member.user)
    assert viewer is not None

    def value(i: int) -> float:
        return 100.0 + 10 * i

    def write(i: int) -> None:
        me = Viewer.load(cast.member.user)  # this thread's own queries, on its own connection
        assert me is not None
        if i % 2 == 0:
            services.checkin_save(
                viewer=me, key_result=key_result, week=weeks[i], value=value(i), confidence=0.5, today=today
            )
        else:
            pushed_at = datetime.combine(weeks[i] + timedelta(days=2), time(12, i), tzinfo=zone)
            _checkin, changed = services.value_push(viewer=me, key_result=key_result, value=value(i), at=pushed_at)
            assert changed
        read_at = datetime.combine(today - timedelta(days=i + 1), time(9), tzinfo=zone)
        _reading, changed = services.reading_push(viewer=me, metric=metric, value=float(i), at=read_at)
        assert changed
        services.reading_save(metric=metric, taken_on=today, value=float(i), author_id=me.membership.pk, today=today)

    errors = in_parallel(WRITERS, write)
    assert errors == []

    # Every write is there exactly once.
    checkins = {c.week: c for c in CheckIn.objects.filter(key_result=key_result)}
    assert len(checkins) == WRITERS
    assert {week: checkins[week].value for week in weeks} == {weeks[i]: value(i) for i in range(WRITERS)}
    readings = dict(MetricReading.objects.filter(metric=metric).values_list("taken_on", "value"))
    assert len(readings) == WRITERS + 1
    assert {today - timedelta(days=i + 1): float(i) for i in range(WRITERS)}.items() <= readings.items()
    assert readings[today] in {float(i) for i in range(WRITERS)}  # the last of fifty edits of one reading

    # The stored numbers agree with the series: the KR follows its latest week, the metric its newest reading.
    kr = KeyResult.objects.get(pk=key_result.pk)
    assert (kr.current_value, kr.confidence) == (value(0), 0.5)
    assert HealthMetric.objects.get(pk=metric.pk).latest_value == readings[today]
    settle(today)  # the roll-ups above the KR, as the worker would run them
    assert not RecomputeRequest.objects.exists()
    assert reconcile(dry_run=True, today=today) == []


def _terminate_backend(pid: int) -> None:
    """Kill a PostgreSQL backend from a connection of our own, as a crash or failover would."""
    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        password=settings_dict["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture(params=["terminated by the server", "closed under the request"])
def lose_connection_after_the_first_write(request, monkeypatch):
    """Break the check-in service right after its first write (the check-in row), before the KR's numbers
    follow: the request's database connection dies."""
    original = services._emit_checkin_saved
    written: list[int] = []

    def dying(key_result, checkin, **kwargs):
        original(key_result, checkin, **kwargs)
        written.append(CheckIn.objects.filter(key_result=key_result).count())  # in the request's transaction
        if request.param == "terminated by the server":
            _terminate_backend(connection.connection.info.backend_pid)
        else:
            connection.connection.close()

    monkeypatch.setattr(services, "_emit_checkin_saved", dying)
    return written


def test_a_lost_connection_mid_request_answers_an_error_page_and_half_writes_nothing(
    client, login, cast, key_result, settings, lose_connection_after_the_first_write
):
    settings.DEBUG = False
    before = KeyResult.objects.values("current_value", "confidence", "last_checkin_at", "progress").get(
        pk=key_result.pk
    )
    outbox = RecomputeRequest.objects.count()
    member = login(cast.member)
    member.raise_request_exception = False
    prefix = f"kr{key_result.pk}"
    response = member.post(
        reverse("checkin_row", args=[key_result.pk]), {f"{prefix}-value": "420", f"{prefix}-confidence": "0.8"}
    )
    assert response.status_code == 500
    assert lose_connection_after_the_first_write == [1], "the check-in was written before the connection died"
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "Traceback" not in page and "OperationalError" not in page and "InterfaceError" not in page

    # The transaction rolled back with the connection: no check-in, the KR as it was, no outbox row.
    assert not CheckIn.objects.filter(key_result=key_result).exists()
    assert KeyResult.objects.values(*before).get(pk=key_result.pk) == before
    assert RecomputeRequest.objects.count() == outbox
    # And the next request works on a fresh connection.
    assert member.get(reverse("my_week")).status_code == 200


def test_a_lost_connection_mid_api_push_answers_a_json_error_and_half_writes_nothing(
    cast, key_result, today, settings, lose_connection_after_the_first_write
):
    settings.DEBUG = False
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(cast.member.user)
    at = datetime.combine(today, time(8), tzinfo=zoneinfo.ZoneInfo(cast.org.time_zone))
    answer = api.post(
        f"/api/v1/key-results/{key_result.pk}/values/", {"value": 5, "timestamp": at.isoformat()}, format="json"
    )
    assert answer.status_code == 500
    assert lose_connection_after_the_first_write == [1]
    assert answer.json() == {"errors": [{"field": None, "message": answer.json()["errors"][0]["message"]}]}
    assert "Traceback" not in answer.content.decode()
    assert not CheckIn.objects.filter(key_result=key_result).exists()
    assert KeyResult.objects.get(pk=key_result.pk).current_value == START
