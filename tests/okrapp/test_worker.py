"""The Celery pipeline with a real worker process consuming from Redis (never eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from okrapp import system
from okrapp.models import Heartbeat
from okrapp.tasks import heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A `celery worker` process on the test database and this run's Redis queue."""
    settings_dict = connection.settings_dict
    env = dict(os.environ)
    host = settings_dict["HOST"]
    netloc = (
        f"{settings_dict['USER']}@{host}:{settings_dict['PORT']}"
        if not host.startswith("/")
        else f"{settings_dict['USER']}@"
    )
    query = f"?host={host}" if host.startswith("/") else ""
    env["DATABASE_URL"] = f"postgres://{netloc}/{settings_dict['NAME']}{query}"
    assert env["CELERY_BROKER_URL"].startswith("redis://"), "the worker test runs against Redis"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "okrapp",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return None


def test_real_worker_writes_a_heartbeat_with_the_publish_time(worker):
    assert Heartbeat.objects.count() == 0
    depth_before = system.queue_depth()
    assert depth_before.error == "" and depth_before.messages is not None
    heartbeat.delay()
    beat = wait_for(lambda: Heartbeat.objects.first())
    if beat is None:
        worker.kill()
        pytest.fail("no heartbeat within 30 s; worker output:\n" + (worker.stdout.read() if worker.stdout else ""))
    assert beat.sent_at is not None, "the publish time travels in the message headers"
    assert beat.sent_at <= beat.received_at
    assert "@" in beat.worker
    status = system.system_status()
    assert status.last_heartbeat_at == beat.received_at
    assert status.last_beat_at == beat.sent_at
    assert status.healthy
    assert wait_for(lambda: system.queue_depth().messages == 0, timeout=10)


def test_queue_depth_counts_waiting_messages_without_a_worker(settings):
    # No worker consumes here: messages wait in this run's queue in Redis.
    start = system.queue_depth().messages
    heartbeat.delay()
    heartbeat.delay()
    assert system.queue_depth().messages == start + 2
    from okrapp.celery import app

    app.control.purge()


def test_broker_down_is_a_status_not_a_crash(settings, monkeypatch):
    from okrapp.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.conf, "broker_read_url", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    depth = system.queue_depth()
    assert depth.messages is None and depth.error
    assert time.monotonic() - started < 5
