"""The load run: simulated people, each on their own thread, each waiting 1–3 s between requests (or
not at all, for the saturation run), picking what to do from a realistic mix."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.http import Call, percentile, send

Pick = Callable[[random.Random], Call]


@dataclass
class LoadResult:
    seconds: float
    users: int
    think: tuple[float, float] | None
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    by_name: dict[str, int] = field(default_factory=dict)

    def figures(self) -> dict[str, float | int | None]:
        done = len(self.latencies)
        offered = self.users / ((self.think[0] + self.think[1]) / 2) if self.think else None
        return {
            "users": self.users,
            "seconds": round(self.seconds, 1),
            "offered_rps": round(offered, 1) if offered else None,
            "achieved_rps": round(done / self.seconds, 1),
            "requests": done,
            "errors": self.errors,
            "p50_ms": round(percentile(self.latencies, 0.5), 1),
            "p95_ms": round(percentile(self.latencies, 0.95), 1),
        }


def run(
    port: int, people: list[Pick], *, seconds: float, think: tuple[float, float] | None, seed: int = 7
) -> LoadResult:
    """Each entry of ``people`` is one simulated person: a function choosing their next request."""
    result = LoadResult(seconds=seconds, users=len(people), think=think)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def person(index: int, pick: Pick) -> None:
        rng = random.Random(seed * 1000 + index)  # noqa: S311 - a reproducible mix, not a secret
        if think:  # people do not all arrive in the same millisecond
            time.sleep(rng.uniform(0, think[1]))
        while time.monotonic() < deadline:
            call = pick(rng)
            try:
                answer = send(port, call)
                ok = answer.status < 400
                ms = answer.ms
            except OSError:
                ok, ms = False, None
            with lock:
                if ok and ms is not None:
                    result.latencies.append(ms)
                else:
                    result.errors += 1
                result.by_name[call.name] = result.by_name.get(call.name, 0) + 1
            if think:
                time.sleep(rng.uniform(*think))

    threads = [threading.Thread(target=person, args=(i, pick), daemon=True) for i, pick in enumerate(people)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
