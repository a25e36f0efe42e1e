"""The demo's filesystem broker: a message file appears whole or not at all, and a malformed one is set
aside with a warning while the worker goes on to the next message (kombu's own transport dies on it)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection
from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps as kombu_dumps

from okrapp import filesystem_broker
from okrapp.models import Heartbeat
from tests.conftest import stop_worker, wait_for, worker_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = "demo-test"
# Names that sort before any message a producer writes (kombu takes files in name order, and those
# names start with a millisecond clock, never with a 0).
MALFORMED = {
    "00_empty": b"",
    "01_half_written": b'{"body": "eyJ0YXNrIjog',
    "02_not_a_message": b'{"hello": "world"}',
}


@pytest.fixture
def broker_dir(tmp_path, monkeypatch):
    for folder in ("queue", "processed"):
        (tmp_path / folder).mkdir()
    # kombu remembers bindings process-wide and would not write them into this test's control folder.
    monkeypatch.setattr(filesystem_broker.Transport, "global_state", virtual.BrokerState())
    return tmp_path


def connect(broker_dir: Path) -> Connection:
    queue_dir = str(broker_dir / "queue")
    return Connection(
        "filesystem://",
        transport="okrapp.filesystem_broker:Transport",
        transport_options={
            "data_folder_in": queue_dir,
            "data_folder_out": queue_dir,
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "bad_folder": str(broker_dir / "bad"),
        },
    )


def waiting(queue_dir: Path) -> list[str]:
    """The files a consumer of QUEUE would take (kombu matches the name after its first dot)."""
    return [name for name in os.listdir(queue_dir) if name.partition(".")[2] == f"{QUEUE}.msg"]


def test_a_message_being_written_is_not_yet_visible_to_consumers(broker_dir, monkeypatch):
    queue_dir = broker_dir / "queue"
    seen_while_writing: list[list[str]] = []

    def dumps_and_look(payload):
        if isinstance(payload, dict) and "properties" in payload:  # a message, not the exchange table
            seen_while_writing.append(waiting(queue_dir))
        return kombu_dumps(payload)

    # Both modules' writers serialise between opening the file and writing it: look at the folder then.
    monkeypatch.setattr(filesystem_broker, "dumps", dumps_and_look)
    monkeypatch.setattr(filesystem, "dumps", dumps_and_look)
    with connect(broker_dir) as connection:
        connection.SimpleQueue(QUEUE).put({"n": 1})
    assert seen_while_writing == [[]], "a consumer listing the folder mid-write would take an empty file"
    assert len(waiting(queue_dir)) == 1
    assert [name for name in os.listdir(queue_dir) if name.endswith(".partial")] == []


def test_malformed_message_files_are_set_aside_and_the_next_one_is_taken(broker_dir, caplog):
    queue_dir = broker_dir / "queue"
    for stem, content in MALFORMED.items():
        (queue_dir / f"{stem}.{QUEUE}.msg").write_bytes(content)
    with connect(broker_dir) as connection:
        queue = connection.SimpleQueue(QUEUE)
        queue.put({"n": 1})
        with caplog.at_level(logging.WARNING, logger="okrapp.filesystem_broker"):
            message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
    assert sorted(path.name for path in (broker_dir / "bad").iterdir()) == [f"{stem}.{QUEUE}.msg" for stem in MALFORMED]
    assert (broker_dir / "bad" / f"01_half_written.{QUEUE}.msg").read_bytes() == MALFORMED["01_half_written"]
    assert waiting(queue_dir) == []
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 3
    assert "the file is empty" in warnings[0]
    assert "the file is not JSON" in warnings[1]
    assert "the file is not a kombu message" in warnings[2]
    assert all(f"queue '{QUEUE}'" in line and str(broker_dir / "bad") in line for line in warnings)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_lives_through_malformed_files_and_runs_the_next_task(broker_dir, settings):
    """The demo's set-up (filesystem://, BROKER_DIR) with a real worker process and a real producer."""
    queue_dir = broker_dir / "queue"
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    for stem, content in MALFORMED.items():
        (queue_dir / f"{stem}.{queue}.msg").write_bytes(content)
    env = dict(
        os.environ,
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL="filesystem://",
        BROKER_DIR=str(broker_dir),
    )
    celery = [sys.executable, "-m", "celery", "-A", "okrapp"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # All three files are taken (and set aside) before the task is even sent.
        assert wait_for(lambda: len(list((broker_dir / "bad").glob("*.msg"))) == 3 or worker.poll() is not None)
        alive_after_bad_files = worker.poll() is None
        subprocess.run([*celery, "call", "okrapp.tasks.heartbeat"], cwd=BASE_DIR, env=env, check=True, timeout=60)
        beat = wait_for(lambda: Heartbeat.objects.first() or worker.poll() is not None)
        alive_at_the_end = worker.poll() is None
    finally:
        stop_worker(worker)
    output = worker.stdout.read() if worker.stdout else ""
    assert alive_after_bad_files and alive_at_the_end, "the worker died:\n" + output
    assert isinstance(beat, Heartbeat), "no heartbeat within 30 s; worker output:\n" + output
    assert sorted(path.name for path in (broker_dir / "bad").iterdir()) == [f"{stem}.{queue}.msg" for stem in MALFORMED]
    assert output.count("Dropped a malformed message") == 3, output
    assert "the file is empty" in output
    assert "Unrecoverable error" not in output
