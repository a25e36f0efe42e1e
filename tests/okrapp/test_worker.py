"""The Celery pipeline with a real worker process consuming from Redis (never eager mode)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from okrapp import system
from okrapp.models import Heartbeat
from okrapp.tasks import heartbeat
from tests.conftest import wait_for

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
