"""The demo's supervisor, run as its own process over tiny Python children (not the app): a child that
dies is restarted with a log line and a growing delay, a crash loop stops everything, and SIGINT or
SIGTERM stops every child, one that ignores SIGTERM included."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

RUN_SUPERVISOR = """
import json, sys
from okrapp.devtools.supervise import Program, Supervisor
spec = json.loads(sys.argv[1])
programs = [Program(name, [sys.executable, "-c", code]) for name, code in spec["programs"].items()]
sys.exit(Supervisor(programs, first_delay=0.5, max_delay=2, poll_interval=0.05, **spec["options"]).run())
"""
SLEEPER = "import os, time; print('up', os.getpid(), flush=True); time.sleep(300)"
STUBBORN = (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('up', os.getpid(), flush=True); time.sleep(300)"
)
CRASHER = "import sys; print('failing on purpose', flush=True); sys.exit(3)"


class Supervised:
    """A supervisor process in its own session (as `make demo` in a terminal), its output collected."""

    def __init__(self, programs: dict[str, str], **options) -> None:
        spec = json.dumps({"programs": programs, "options": options})
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUN_SUPERVISOR, spec],
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def expect(self, pattern: str, *, count: int = 1, timeout: float = 20.0) -> list[re.Match[str]]:
        """The first ``count`` output lines matching ``pattern``, waiting for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in map(re.compile(pattern).search, list(self.lines)) if m]
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline or (self.process.poll() is not None and not self._reader.is_alive()):
                pytest.fail(f"no {count} × {pattern!r} in the supervisor's output:\n{self.output}")
            time.sleep(0.05)

    def child_pids(self, name: str, count: int = 1) -> list[int]:
        return [int(m.group(1)) for m in self.expect(rf"^\S+ {name}\s+\| up (\d+)$", count=count)]

    def finish(self, timeout: float = 20.0) -> int:
        returncode = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return returncode

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def supervise():
    started: list[Supervised] = []

    def start(programs: dict[str, str], **options) -> Supervised:
        started.append(Supervised(programs, **options))
        return started[-1]

    yield start
    for supervised in started:
        supervised.close()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_child_killed_with_sigkill_is_restarted_with_a_log_line(supervise):
    run = supervise({"sleeper": SLEEPER, "other": SLEEPER})
    [first] = run.child_pids("sleeper")
    [other] = run.child_pids("other")
    os.kill(first, signal.SIGKILL)
    run.expect(r"system\s+\| sleeper exited with -9; restarting in 0\.5 s$")
    _, second = run.child_pids("sleeper", count=2)
    assert second != first
    assert not gone(other), "the other child goes on"
    run.process.send_signal(signal.SIGTERM)
    assert run.finish() == 0, run.output
    assert gone(second) and gone(other)


def test_a_child_that_keeps_failing_is_restarted_after_a_growing_delay(supervise):
    run = supervise({"crasher": CRASHER}, max_exits_per_minute=10)
    lines = run.expect(r"system\s+\| crasher exited with 3; restarting in (\S+) s$", count=4)
    assert [m.group(1) for m in lines] == ["0.5", "1", "2", "2"], "doubling, up to max_delay"
    assert run.output.count("crasher | failing on purpose") >= 4
    os.killpg(run.process.pid, signal.SIGINT)
    assert run.finish() == 0, run.output


def test_a_crash_loop_stops_everything_with_exit_status_1(supervise):
    run = supervise({"crasher": CRASHER, "sleeper": SLEEPER}, max_exits_per_minute=2)
    [sleeper] = run.child_pids("sleeper")
    assert run.finish() == 1, run.output
    assert "crasher exited 3 times within a minute (last with 3); giving up: stopping everything" in run.output
    assert run.output.count("restarting in") == 2
    assert gone(sleeper)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_every_child_and_kills_one_that_ignores_sigterm(supervise, sig):
    run = supervise({"sleeper": SLEEPER, "stubborn": STUBBORN}, stop_timeout=1)
    [sleeper] = run.child_pids("sleeper")
    [stubborn] = run.child_pids("stubborn")
    # As a terminal's Ctrl-C does: to the supervisor's whole process group (its children have their own).
    os.killpg(run.process.pid, sig)
    assert run.finish() == 0, run.output
    assert f"{sig.name} received: stopping everything" in run.output
    assert "stubborn did not stop within 1 s: killing it" in run.output
    assert "sleeper did not stop" not in run.output
    assert "restarting" not in run.output, "nothing is restarted while stopping"
    assert gone(sleeper) and gone(stubborn)
