"""The parameter fuzz (issue 19, finding 4): every route × every parameter it reads × a table of bad values,
as an admin and as a member (a form: as the first persona who may send it), answers below 500. Bad input is the sender's mistake: a 400 or 422 with
the message, or a page that ignores what it does not use; never a server error.

The requests are generated, not listed by hand:
- the routes and their valid requests are the permission sweep's table (tests/security/
  test_permission_sweep.py has one entry per route of the URL configuration, with a body for writes);
- the parameters a route reads are recorded while it answers its valid request (every read of a query
  string or a form through ``QueryDict``: ``get``, ``getlist``, ``[]``, ``in``), and, for the API, added
  from the OpenAPI schema's declared query parameters;
- each parameter then gets each bad value, alone (the others keep their valid values), in the query
  string (GET) or in the form (POST); every number in a path gets the ids that are too long.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.test import client as test_client
from django.utils.datastructures import MultiValueDict
from drf_spectacular.generators import SchemaGenerator

from tests.security.sweep import Check, Visitor, World, build_world
from tests.security.test_permission_sweep import TABLE

BAD_VALUES: tuple[str, ...] = (
    "²",  # a digit to str.isdigit, not to int()
    "١",  # an Arabic-Indic one: int() takes it, an id it is not
    "5" * 5000,  # beyond int()'s default digit limit
    "9" * 20,  # beyond PostgreSQL's bigint
    "-1",
    "0",
    "1e9",
    "\x00",  # PostgreSQL refuses NUL in text
    "0001-01-01",
    "9999-12-31",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "",
    "x" * 10_000,
)
# A form field gets the values that reach int(), the database or the date arithmetic; the others ("0",
# markup, quotes, empty) are ordinary wrong input its form's own validation answers with a 422, and the
# query strings get them all (a form re-renders its page: the fuzz stays within make test's time).
FORM_VALUES = tuple(value for value in BAD_VALUES if value not in {"0", "<script>alert(1)</script>", "' OR 1=1 --", ""})
PATH_IDS = ("9" * 20, "5" * 5000)  # what <int:pk> lets through that no id can be
# The parameters the brief names: each must be fuzzed on at least one route (the recorder works).
NAMED = [
    "objective",
    "team",
    "assignee",
    "sprint",
    "page",
    "page_size",
    "before",
    "cycle",
    "status",
    "q",
    "kr",
    "key_result",
    "parent",
    "epic",
    "theme",
    "week",
    "open",
    "expand",
    "linked",
    "metric",
]
# Query strings and paths as an admin and as a member; a form once, as the first of these who may send it
# (the lead alone checks in on the world's key results).
PERSONAS = ("admin", "member", "lead")
QUERY_PERSONAS = ("admin", "member")
REFUSED = {403, 404}
SKIP_FIELDS = {"csrfmiddlewaretoken", "file"}  # Django's own; an upload is not a text field


# --- Which parameters a route reads -------------------------------------------------------------------


@dataclass
class Reads:
    """Names read from the request's query string (GET) and form (POST) while it was answered, and the
    answer."""

    query: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)
    status: int = 200


_seen: list[tuple[QueryDict, str]] | None = None


def _recording(method: Callable[..., Any]) -> Callable[..., Any]:
    def read(self: MultiValueDict, key: Any, *args: Any, **kwargs: Any) -> Any:
        if _seen is not None and isinstance(self, QueryDict) and isinstance(key, str):
            _seen.append((self, key))
        return method(self, key, *args, **kwargs)

    return read


@contextmanager
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("get", "getlist", "__getitem__", "__contains__"):
        monkeypatch.setattr(MultiValueDict, name, _recording(getattr(MultiValueDict, name)))
    yield


def reads_of(visitor: Visitor, method: str, url: str, body: Any) -> Reads:
    """Send the valid request once and note the names it reads: from request.GET, request.POST, or a
    copy of either (a copy of the query string in a GET, of the form in a POST)."""
    global _seen
    _seen = []
    try:
        response = visitor.send(method, url, body)
    finally:
        seen, _seen = _seen, None
    request = response.wsgi_request  # type: ignore[attr-defined]
    query = request.__dict__.get("GET")  # a cached property: present once something read it
    form = request.__dict__.get("_post")
    reads = Reads(status=response.status_code)
    for source, key in seen:
        if source is query or (source is not form and method == "GET"):
            reads.query.add(key)
        elif source is form or method != "GET":
            reads.form.add(key)
    reads.form -= SKIP_FIELDS
    return reads


def schema_query_parameters() -> dict[re.Pattern[str], set[str]]:
    """The OpenAPI schema's declared query parameters, per path (as a pattern over URLs)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found: dict[re.Pattern[str], set[str]] = {}
    for path, operations in schema["paths"].items():
        names = {
            parameter["name"]
            for operation in operations.values()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        }
        found[re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")] = names
    return found


# --- The fuzz -----------------------------------------------------------------------------------------


@dataclass
class Fuzz:
    requests: int = 0
    fuzzed: set[str] = field(default_factory=set)  # parameter names that got the bad values
    done: set[tuple[str, ...]] = field(default_factory=set)  # ([persona,] route, method, where, name)
    errors: list[str] = field(default_factory=list)
    seconds: Counter[str] = field(default_factory=Counter)  # per route: where the time goes

    def first_time(self, *key: str) -> bool:
        """Whether this parameter of this route was not fuzzed yet (a route's checks may read the same)."""
        new = key not in self.done
        self.done.add(key)
        return new

    def send(self, visitor: Visitor, what: str, method: str, url: str, body: Any) -> None:
        started = time.monotonic()
        response: HttpResponse = visitor.send(method, url, body)
        self.seconds[what.split()[0]] += time.monotonic() - started
        self.requests += 1
        if response.status_code >= 500:
            exc_info = getattr(response, "exc_info", None)
            cause = f"{exc_info[0].__name__}: {str(exc_info[1])[:120]}" if exc_info else ""
            self.errors.append(f"{response.status_code} {what} → {method} {url[:120]} {cause}")


def with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return f"{parts.path}?{urlencode([*pairs, (name, value)])}"


def shown(value: str) -> str:
    return repr(value if len(value) < 24 else f"{value[:8]}…({len(value)} chars)")


def fuzz_check(fuzz: Fuzz, world: World, route: str, check: Check, visitor: Visitor, persona: str, api: Any) -> None:
    variant = check.variants[0]
    url = check.url(world, variant)
    body = check.body(world, variant, persona) if check.body else None
    is_api = url.startswith("/api/")
    if is_api and check.method != "GET":
        # API bodies are JSON, parsed by the serializers (another part of the issue); their query strings
        # are fuzzed with the GETs.
        return
    reads = reads_of(visitor, check.method, url, body)
    if is_api:
        reads.query |= next((names for pattern, names in api.items() if pattern.match(urlsplit(url).path)), set())
    for name in sorted(reads.query if persona in QUERY_PERSONAS else ()):
        if not fuzz.first_time(persona, route, check.method, "query", name):
            continue
        fuzz.fuzzed.add(name)
        for value in BAD_VALUES:
            what = f"{route} ?{name}={shown(value)} as {persona}"
            fuzz.send(visitor, what, check.method, with_query(url, name, value), body)
    # A page refuses a write whatever its form (the permission sweep holds it to that): the form of a
    # refused write is never read, so its fields are fuzzed as the first persona who may send it.
    for name in sorted(reads.form if reads.status not in REFUSED else ()):
        if not fuzz.first_time(route, check.method, "form", name):
            continue
        fuzz.fuzzed.add(name)
        for value in FORM_VALUES:
            what = f"{route} {name}={shown(value)} (form) as {persona}"
            fuzz.send(visitor, what, check.method, url, {**(body or {}), name: value})
    path = urlsplit(url).path
    for number in re.finditer(r"(?<=/)[0-9]+(?=/)", path if persona in QUERY_PERSONAS else ""):
        if not fuzz.first_time(persona, route, check.method, "path", str(number.start())):
            continue
        for value in PATH_IDS:
            bad = path[: number.start()] + value + path[number.end() :]
            fuzz.send(visitor, f"{route} path id {shown(value)} as {persona}", check.method, bad, body)


@pytest.mark.django_db
def test_no_parameter_of_any_route_answers_a_server_error(cast, capsys, settings, monkeypatch):
    # Speed only (as the permission sweep): sessions in signed cookies, rendered templates not kept.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SESSION_SAVE_EVERY_REQUEST = False
    monkeypatch.setattr(test_client, "store_rendered_templates", lambda *args, **kwargs: None)
    cache.clear()
    api = schema_query_parameters()
    # The schema's route is fuzzed for its own parameters (format, lang), not to generate the schema again
    # each time (tests/api checks its content).
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, request=None, public=False: {"openapi": "3.0.3"})
    started = time.monotonic()
    world = build_world(cast)
    fuzz = Fuzz()
    logging.disable(logging.CRITICAL)  # 400s and 404s by the thousand are the point here
    try:
        with recorder(monkeypatch):
            for persona in PERSONAS:
                visitor = Visitor(world.people[persona])
                for route, entry in TABLE.items():
                    if route in {"logout"}:
                        continue  # it signs the visitor out: nothing to parse
                    for check in entry.checks:
                        cache.clear()  # the API's throttle counts per person: each check starts afresh
                        fuzz_check(fuzz, world, route, check, visitor, persona, api)
    finally:
        logging.disable(logging.NOTSET)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\ninput fuzz: {len(TABLE)} routes, the {len(fuzz.fuzzed)} parameter names they read × {len(BAD_VALUES)}"
            f" bad values ({len(FORM_VALUES)} in forms) and their path ids, as {', '.join(PERSONAS)} ="
            f" {fuzz.requests} requests, {len(fuzz.errors)} × 500 ({seconds:.1f} s)"
        )
        slowest = ", ".join(f"{route} {seconds:.1f} s" for route, seconds in fuzz.seconds.most_common(8))
        print(f"  slowest routes: {slowest}")
        for error in fuzz.errors[:300]:
            print(f"  {error}")
    assert set(NAMED) <= fuzz.fuzzed, f"never fuzzed: {sorted(set(NAMED) - fuzz.fuzzed)}"
    assert not fuzz.errors, f"{len(fuzz.errors)} server errors (listed above)"
