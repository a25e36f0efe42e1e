"""A small HTTP client for the benchmark: one connection per request (gunicorn's sync workers close
each one), timings from the first byte sent to the last byte read, and the server's query count."""

from __future__ import annotations

import http.client
import math
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.middleware import HEADER


@dataclass(frozen=True)
class Call:
    """What one measured request does: a name for the report, a method and path, who asks."""

    name: str
    path: str
    cookies: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    status: int
    ms: float
    queries: int | None
    size: int


def send(port: int, call: Call, *, form: dict[str, str] | None = None, timeout: float = 30.0) -> Answer:
    headers = dict(call.headers)
    if call.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in call.cookies.items())
    body = None
    data = form if form is not None else call.form
    if data is not None:
        body = urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(call.method, call.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        ms = (time.perf_counter() - started) * 1000
        queries = response.getheader(HEADER)
        return Answer(response.status, ms, int(queries) if queries else None, len(payload))
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 40 samples is the 38th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values) if values else float("nan"),
        "p95": percentile(values, 0.95),
        "n": float(len(values)),
    }
