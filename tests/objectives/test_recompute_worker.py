"""Recompute with a real worker on Redis: a check-in moves the cascade within seconds; Redis down while
saving loses nothing; a worker killed mid-recompute loses nothing; the sweep twice is a no-op."""

from __future__ import annotations

import signal
import time

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from objectives import services
from objectives.models import Objective, RecomputeRequest
from objectives.tasks import drain_outbox, sweep
from okrapp.devtools import embedded
from okrapp.models import JobRun
from tests.conftest import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cascade(cast, quarter):
    """company ← department ← team; the two upper objectives take their KR's progress from below."""
    company = services.objective_create(
        organisation=cast.org, cycle=quarter, team=None, title="Win", owner=cast.leadership, state="active"
    )
    dept = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.department,
        title="Ship",
        owner=cast.lead,
        state="active",
        parent=company,
    )
    team = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Fast checkout",
        owner=cast.lead,
        state="active",
        parent=dept,
    )
    services.key_result_create(
        objective=company, title="Depts", start_value=0, target_value=1, progress_from_aligned=True
    )
    services.key_result_create(objective=dept, title="Teams", start_value=0, target_value=1, progress_from_aligned=True)
    team_kr = services.key_result_create(
        objective=team, title="Conversion", start_value=0, target_value=10, owner=cast.member
    )
    RecomputeRequest.objects.all().delete()  # the set-up's own requests (published to a queue nobody reads)
    services.recompute_objectives(objective_ids=[company.pk, dept.pk, team.pk])
    return company, dept, team, team_kr


def check_in(client, kr, value: str):
    prefix = f"kr{kr.pk}"
    started = time.monotonic()
    response = client.post(
        reverse("checkin_row", args=[kr.pk]), {f"{prefix}-value": value, f"{prefix}-confidence": "0.8"}, **HTMX
    )
    assert response.status_code == 200, response.content.decode()[:500]
    return time.monotonic() - started


def progress(objective) -> float | None:
    return Objective.objects.get(pk=objective.pk).progress


def rolled_up(company, dept, team, value: float):
    return lambda: all(progress(o) == pytest.approx(value) for o in (team, dept, company))


def output_of(process) -> str:
    process.kill()
    return process.stdout.read() if process.stdout else ""


def test_a_checkin_moves_its_kr_objective_and_parent_within_seconds(login, cast, cascade, worker):
    company, dept, team, team_kr = cascade
    check_in(login(cast.member), team_kr, "4")
    if not wait_for(rolled_up(company, dept, team, 0.4), timeout=20):  # 4 of 10, all the way up
        pytest.fail("the cascade did not follow; worker output:\n" + output_of(worker))
    assert wait_for(lambda: not RecomputeRequest.objects.exists(), timeout=5)


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, which it may stop and start; the test process publishes to it."""
    from okrapp.celery import app

    process, url = embedded.start_redis(tmp_path / "redis")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    saved = {key: app.conf[key] for key in ("broker_url", "broker_read_url", "broker_write_url")}
    for key in saved:
        app.conf[key] = url
    app._after_fork()  # drop pooled connections to the run's usual Redis

    class Redis:
        def __init__(self) -> None:
            self.process, self.url = process, url

        def stop(self) -> None:
            self.process.terminate()
            self.process.wait(timeout=10)

        def start(self) -> None:
            self.process, _ = embedded.start_redis(tmp_path / "redis", port=port)

    redis = Redis()
    yield redis
    redis.stop()
    for key, value in saved.items():
        app.conf[key] = value
    app._after_fork()


def test_redis_down_while_saving_loses_nothing(login, cast, cascade, private_redis):
    company, dept, team, team_kr = cascade
    worker = start_worker(broker_url=private_redis.url)
    try:
        private_redis.stop()
        took = check_in(login(cast.member), team_kr, "6")
        assert took < 3.0, f"the request waited {took:.1f} s on a dead Redis"
        assert team_kr.checkins.get().value == 6  # saved
        assert RecomputeRequest.objects.count() == 1 and progress(team) == 0.0  # waiting in the outbox
        private_redis.start()
        drain_outbox.delay(older_than_seconds=0)  # what beat sends every minute
        if not wait_for(rolled_up(company, dept, team, 0.6), timeout=60):
            pytest.fail("the values did not catch up; worker output:\n" + output_of(worker))
        assert wait_for(lambda: not RecomputeRequest.objects.exists(), timeout=5)
    finally:
        stop_worker(worker)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_recompute_loses_nothing(login, cast, cascade):
    company, dept, team, team_kr = cascade
    settings_dict = connection.settings_dict
    blocker = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or None,
        autocommit=False,
    )
    worker = start_worker()
    try:
        # Hold the team objective's row lock as a recompute would, so the worker's recompute stops midway.
        blocker.execute("SELECT id FROM objectives_objective WHERE id = %s FOR NO KEY UPDATE", [team.pk])
        check_in(login(cast.member), team_kr, "3")
        if not wait_for(_waiting_on_a_lock, timeout=30):
            pytest.fail("the worker never reached the recompute; output:\n" + output_of(worker))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        blocker.rollback()
        assert RecomputeRequest.objects.count() == 1  # its row outlives the worker
        assert progress(team) == 0.0
        worker = start_worker()
        drain_outbox.delay(older_than_seconds=0)
        if not wait_for(rolled_up(company, dept, team, 0.3), timeout=30):
            pytest.fail("the recompute was not redone; worker output:\n" + output_of(worker))
        assert not RecomputeRequest.objects.exists()
    finally:
        blocker.close()
        stop_worker(worker)


def test_running_the_sweep_twice_is_a_no_op(login, cast, cascade, worker):
    sweep.delay()
    first = wait_for(lambda: JobRun.objects.filter(name="Sweep").first(), timeout=30)
    if first is None:
        pytest.fail("no sweep ran; worker output:\n" + output_of(worker))
    stamps = list(Objective.objects.order_by("pk").values_list("computed_at", flat=True))
    sweep.delay()
    second = wait_for(
        lambda: JobRun.objects.filter(name="Sweep", finished_at__gt=first.finished_at).first(), timeout=30
    )
    assert second is not None and second.summary == "0 rows changed"
    assert list(Objective.objects.order_by("pk").values_list("computed_at", flat=True)) == stamps
    page = login(cast.admin).get(reverse("system_status")).content.decode()
    assert "Sweep" in page and "0 rows changed" in page and "Recompute outbox" in page
