"""A small process supervisor for ``make demo``: runs programs, restarts one that exits, stops all on a signal.

A program that exits (a crash, ``kill -9``, an error at start) is started again after a delay that
doubles while it keeps failing fast (2, 4, 8 … up to 30 s) and starts again from 2 s once it has run for
a minute. If it exits more than ``max_exits_per_minute`` (4) times within a minute it is broken, not
unlucky (one that fails at once exits the fifth time about 30 s after the first): everything is stopped
and the exit status is 1, so a crash loop never spins.

SIGINT (Ctrl-C) or SIGTERM stops every program: SIGTERM to its process group, SIGKILL after
``stop_timeout`` seconds (a Celery worker's warm shutdown takes up to ~10 s). Each program runs in its
own session, so the terminal's Ctrl-C reaches only the supervisor, which then stops them all.

Each output line is printed as ``HH:MM:SS name   | line``; the supervisor's own lines carry ``system``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO

RUN_LONG_ENOUGH = 60.0  # seconds a program must run before its next restart waits the first delay again
WINDOW = 60.0  # seconds over which exits are counted against max_exits_per_minute


@dataclass(frozen=True)
class Program:
    name: str
    argv: Sequence[str]


@dataclass
class _Child:
    program: Program
    process: subprocess.Popen[str] | None = None
    relay: threading.Thread | None = None  # copies the process's output lines to ours
    started_at: float = 0.0
    restart_at: float | None = None  # monotonic time of the pending restart
    delay: float = 0.0  # the next restart's delay
    exits: deque[float] = field(default_factory=deque)  # monotonic times of recent exits


class Supervisor:
    """Runs ``programs`` until a signal (exit status 0) or a crash loop (exit status 1)."""

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        out: TextIO = sys.stdout,
        first_delay: float = 2.0,
        max_delay: float = 30.0,
        max_exits_per_minute: int = 4,
        stop_timeout: float = 15.0,
        poll_interval: float = 0.2,
    ) -> None:
        self.children = [_Child(program, delay=first_delay) for program in programs]
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.out = out
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.max_exits_per_minute = max_exits_per_minute
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.width = max([len("system"), *(len(program.name) for program in programs)])
        self._stop_signal: int | None = None
        self._print_lock = threading.Lock()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                self._start(child)
            status = self._watch()
            self._stop_all()
            return status
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def log(self, name: str, line: str) -> None:
        with self._print_lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {line}\n")
            self.out.flush()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stop_signal = signum  # the loop notices within one poll interval

    def _watch(self) -> int:
        while self._stop_signal is None:
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        self._start(child)
                    continue
                assert child.process is not None
                returncode = child.process.poll()
                if returncode is None:
                    continue
                self._finish_output(child)  # its last lines (the error) before the line saying it exited
                name = child.program.name
                child.exits.append(now)
                while child.exits and child.exits[0] < now - WINDOW:
                    child.exits.popleft()
                if len(child.exits) > self.max_exits_per_minute:
                    self.log(
                        "system",
                        f"{name} exited {len(child.exits)} times within a minute (last with {returncode}); "
                        "giving up: stopping everything. Its last lines are above.",
                    )
                    return 1
                if now - child.started_at >= RUN_LONG_ENOUGH:
                    child.delay = self.first_delay
                self.log("system", f"{name} exited with {returncode}; restarting in {child.delay:g} s")
                child.restart_at = now + child.delay
                child.delay = min(child.delay * 2, self.max_delay)
            time.sleep(self.poll_interval)
        self.log("system", f"{signal.Signals(self._stop_signal).name} received: stopping everything")
        return 0

    def _start(self, child: _Child) -> None:
        child.restart_at = None
        child.started_at = time.monotonic()
        process = subprocess.Popen(
            list(child.program.argv),
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # its own process group: stopped by us, not by the terminal's Ctrl-C
        )
        child.process = process
        self.log("system", f"{child.program.name} started (pid {process.pid})")
        child.relay = threading.Thread(target=self._relay, args=(child.program.name, process), daemon=True)
        child.relay.start()

    def _relay(self, name: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log(name, line.rstrip("\n"))

    def _stop_all(self) -> None:
        started = [(child, child.process) for child in self.children if child.process is not None]
        for _, process in started:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while any(process.poll() is None for _, process in started) and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
        for child, process in started:
            if process.poll() is None:
                self.log("system", f"{child.program.name} did not stop within {self.stop_timeout:g} s: killing it")
            # Whatever it left in its group (a stuck grandchild) goes too.
            _signal_group(process, signal.SIGKILL)
            process.wait()
            self._finish_output(child)

    def _finish_output(self, child: _Child) -> None:
        """Wait briefly for the relay of an exited process to copy its last lines (a grandchild could
        hold the pipe open for good, hence the bound)."""
        if child.relay is not None:
            child.relay.join(timeout=2.0)


def _signal_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, sig)
