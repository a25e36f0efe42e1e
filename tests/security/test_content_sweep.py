"""The content sweep (issue 19): a status sweep cannot see a leak on a page that answers 200, so this one
reads the bodies. Every object of the world (tests/security/canaries.py) carries a canary,
``CANARY-<class>-<what>``, in its title, name, description or notes (and in its change history); every
GET route of the URL configuration is read by every persona (admin, leadership, the lead, a member and a
guest of Checkout, a member of Growth, an admin of another organisation), with its URL parameters filled
with every id of their kind in the world and its query parameters in the variants listed below; pages
also as htmx requests where the view answers one from another path than a fragment of the same page
(another selector, template or target: the backlog's list, the cascade's tree, the search dropdown, the
KR picker's results, the heatmap's rows, an import's progress). Then the e-mails (reminders, the digest,
mentions) and the webhook payloads. A canary in an answer to someone its class does not allow is a
finding. Company objectives are the control: their canaries must reach everyone of the organisation
(and every canary someone allowed), so the sweep is seen to read real bodies.

How to add a route: give it an entry in ``ROUTES`` below (``test_every_get_route_is_swept`` fails until
you do), one ``Get`` per way of calling it: ``Get("kr")`` fills a ``<int:pk>`` with every key result of
the world (the id kinds are the keys of ``CanaryWorld.ids``: add a kind in ``canaries.build`` with
``w.add(kind, …)`` if the route takes a new one), ``Get(query=…)`` adds query-string variants (a function
of the world giving a list of dicts), ``htmx=("target",)`` reads it as an htmx request too (with that
``HX-Target``; "" for none) when its view answers one from another path than a fragment of the page
it already renders. If the new route shows something the world does not hold yet, seed
it in ``canaries.build`` with ``w.seed(class, what)``: the control test fails on a canary nobody sees.
Routes that only take POST are not listed: the permission sweep's table (which must classify every
route) says which routes answer GET, and this one follows it.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.test import client as test_client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from checkins import digest, reminders
from checkins.weeks import week_of
from comments.emails import mention_email_send
from comments.models import Mention
from okrapp import webhooks
from okrapp.models import WebhookDelivery
from okrapp.timeutil import org_today
from tests.security import canaries
from tests.security.canaries import ACME, CANARY, PERSONAS, PRIVATE, SEES, CanaryWorld
from tests.security.test_permission_sweep import TABLE

pytestmark = pytest.mark.django_db

Query = Callable[[CanaryWorld], list[dict[str, Any]]]


@dataclass(frozen=True)
class Get:
    """One way of reading a route: the id kinds of its URL parameters, in order, its query strings, and
    the htmx requests its view answers with a partial (each an ``HX-Target``, "" for none; ``{0}`` is
    the URL's first id)."""

    args: tuple[str, ...] = ()
    query: Query | None = None
    htmx: tuple[str, ...] = ()

    def __init__(self, *args: str, query: Query | None = None, htmx: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "htmx", htmx)

    def requests(self, name: str, world: CanaryWorld) -> list[tuple[str, list[str]]]:
        """(URL, its htmx targets) for every combination of ids and every query string."""
        queries = self.query(world) if self.query else [{}]
        found = []
        for combination in itertools.product(*(world.pks(kind) for kind in self.args)):
            path = reverse(name, args=combination)
            targets = [target.format(*combination) for target in self.htmx]
            found.extend((f"{path}?{urlencode(q)}" if q else path, targets) for q in queries)
        return found


def team_ids(w: CanaryWorld) -> list[Any]:
    return w.pks("team")


def scopes(w: CanaryWorld) -> list[dict[str, Any]]:
    return [{"team": "company", "cycle": w.quarter.pk}] + [{"team": pk, "cycle": w.quarter.pk} for pk in team_ids(w)]


def backlog_views(w: CanaryWorld) -> list[dict[str, Any]]:
    """The backlog's filters: by the key results of other teams and private ones, not linked, all; the
    plain view of each team is read with its htmx list."""
    checkout = w.team["checkout"].pk
    return [
        *({"team": checkout, "kr": w.kr[cls].pk} for cls in ("growthteam", "checkoutprivate", "companyprivate")),
        {"team": checkout, "linked": "no"},
        {"team": checkout, "status": "all"},
    ]


def cascade_views(w: CanaryWorld) -> list[dict[str, Any]]:
    return [{"cycle": w.quarter.pk, "open": ",".join(f"t{pk}" for pk in team_ids(w))}]


def heatmap_rows(w: CanaryWorld) -> list[dict[str, Any]]:
    return [
        *({"objective": pk} for pk in w.pks("objective")),
        *({"team": pk, "cycle": w.quarter.pk} for pk in team_ids(w)),
    ]


def search(w: CanaryWorld) -> list[dict[str, Any]]:
    return [{"q": "CANARY"}, {"q": "kr"}]


ALL_ROWS: Query = lambda w: [{"page_size": 200}]  # noqa: E731  (API lists: every row on one page)

ROUTES: dict[str, tuple[Get, ...]] = {
    # Accounts.
    "login": (Get(),),
    "password_reset": (Get(),),
    "password_reset_done": (Get(),),
    "password_reset_confirm": (Get("uidb64", "reset_token"),),
    "password_reset_complete": (Get(),),
    "signup": (Get(),),
    "password_change": (Get(),),
    "password_change_done": (Get(),),
    # The organisation.
    "home": (Get(),),
    "people_list": (Get(), Get(query=lambda w: [{"status": "deactivated"}])),
    "person_add": (Get(),),
    "person_detail": (Get("person"),),
    "person_deactivate": (Get("person"),),
    "person_handover": (Get("person"),),
    "team_list": (Get(),),
    "team_add": (Get(),),
    "team_people": (Get("team"),),
    "team_edit": (Get("team"),),
    "system_status": (Get(),),
    "notifications": (Get(),),
    "api_tokens": (Get(),),
    "notification_settings": (Get(),),
    "unsubscribe": (Get("unsubscribe"),),
    "organisation_settings": (Get(),),
    "security_log": (Get(),),
    "webhook_list": (Get(),),
    "webhook_detail": (Get("webhook"),),
    "webhook_delete": (Get("webhook"),),
    # Comments.
    "comment_thread_key_result": (Get("kr"),),
    "comment_thread_checkin": (Get("checkin"),),
    "comment_thread_epic": (Get("epic"),),
    "comment_edit": (Get("comment"),),
    # Goals.
    "okrs": (Get(query=scopes),),
    "objective_add": (Get(query=scopes),),
    "objective_detail": (Get("objective"),),
    "objective_edit": (Get("objective"),),
    "key_result_add": (Get("objective"),),
    "key_result_edit": (Get("kr"),),
    "cycle_list": (Get(),),
    "health_metric_list": (Get(),),
    "health_metric_add": (Get(), Get(query=lambda w: [{"team": pk} for pk in team_ids(w)])),
    "health_metric_edit": (Get("metric"),),
    "value_dimension_list": (Get(),),
    "value_dimension_edit": (Get("dimension"),),
    # Check-ins.
    "my_week": (Get(),),
    "key_result_detail": (Get("kr"),),
    "health_metric_detail": (Get("metric"),),
    "compliance": (Get(),),
    "team_meeting": (Get("team"),),
    # The backlog.
    "backlog": (
        Get(query=backlog_views),
        Get(query=lambda w: [{"team": pk} for pk in team_ids(w)], htmx=("story-list",)),
    ),
    "backlog_ranked": (Get("team"),),
    "epic_list": (Get("team"),),
    "sprint_list": (Get("team"),),
    "story_edit": (Get("story"),),
    "story_link": (
        Get("story"),
        Get("picker_story", query=lambda w: [{"q": "CANARY"}], htmx=("picker-results-{0}",)),
    ),
    "epic_detail": (Get("epic"),),
    "sprint_detail": (Get("sprint"),),
    "sprint_complete": (Get("sprint"),),
    "roadmap": (Get(),),
    "backlog_import": (Get("team"),),
    "backlog_export": (Get("team"),),
    "backlog_import_detail": (Get("jira_import", htmx=("",)),),
    # Dashboards.
    "team_detail": (Get("team"),),
    "cascade": (Get(query=cascade_views, htmx=("cascade-tree",)),),
    "dimension_coverage": (Get(), Get(query=lambda w: [{"cycle": w.quarter.pk}])),
    "heatmap": (Get(query=lambda w: [{"cycle": w.quarter.pk, "expand": "all"}]),),
    "heatmap_rows": (Get(query=heatmap_rows, htmx=("",)),),
    "health_board": (Get(),),
    "search": (Get(query=search, htmx=("",)),),
    # The API: lists (every row), details (every id), the cycle export; the schema and its docs.
    "api-schema": (Get(),),
    "api-docs": (Get(),),
    "cycle-list": (Get(query=ALL_ROWS),),
    "cycle-detail": (Get("cycle"),),
    "cycle-export": (Get("cycle"),),
    "value-dimension-list": (Get(query=ALL_ROWS),),
    "value-dimension-detail": (Get("dimension"),),
    "objective-list": (Get(query=ALL_ROWS),),
    "objective-detail": (Get("objective"),),
    "key-result-list": (Get(query=ALL_ROWS),),
    "key-result-detail": (Get("kr"),),
    "health-metric-list": (Get(query=ALL_ROWS),),
    "health-metric-detail": (Get("metric"),),
    "check-in-list": (Get(query=ALL_ROWS),),
    "check-in-detail": (Get("checkin"),),
    "metric-reading-list": (Get(query=ALL_ROWS),),
    "metric-reading-detail": (Get("reading"),),
    "theme-list": (Get(query=ALL_ROWS),),
    "theme-detail": (Get("theme"),),
    "epic-list": (Get(query=ALL_ROWS),),
    "epic-detail": (Get("epic"),),
    "story-list": (Get(query=ALL_ROWS),),
    "story-detail": (Get("story"),),
    "sprint-list": (Get(query=ALL_ROWS),),
    "sprint-detail": (Get("sprint"),),
    "link-list": (Get(query=ALL_ROWS),),
    "link-detail": (Get("link"),),
    "team-list": (Get(query=ALL_ROWS),),
    "team-detail": (Get("team"),),
}


def get_routes() -> set[str]:
    """The routes that answer GET, as the permission sweep's table (which classifies every route) says."""
    return {name for name, route in TABLE.items() if any(check.method == "GET" for check in route.checks)}


def test_every_get_route_is_swept():
    """A route that answers GET without an entry here fails: add one (see the module's docstring)."""
    missing = sorted(get_routes() - set(ROUTES))
    stale = sorted(set(ROUTES) - get_routes())
    assert not missing, "GET routes the content sweep does not read:\n" + "\n".join(missing)
    assert not stale, "content sweep entries without a GET route:\n" + "\n".join(stale)


# --- The run ------------------------------------------------------------------------------------------


@dataclass
class Leak:
    where: str  # the route and URL, or the e-mail, or the webhook delivery
    persona: str
    canary: str

    def __str__(self) -> str:
        return f"{self.where} as {self.persona}: {self.canary}"


@dataclass
class Reading:
    reads: int = 0
    seen: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # canary → personas
    leaks: list[Leak] = field(default_factory=list)

    def read(self, where: str, persona: str, body: bytes) -> None:
        """Every canary in ``body``: where it was seen, and a leak if ``persona`` may not see its class."""
        self.reads += 1
        for text, cls in {(m.group(0).decode(), m.group(1).decode()) for m in CANARY.finditer(body)}:
            self.seen[text].add(persona)
            if persona not in SEES.get(cls, frozenset()):
                self.leaks.append(Leak(where, persona, text))


def content(response: HttpResponse) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def sweep_routes(world: CanaryWorld, reading: Reading) -> None:
    clients = {}
    for persona in PERSONAS:
        clients[persona] = Client(raise_request_exception=False)
        clients[persona].force_login(world.people[persona].user)
    for name, gets in ROUTES.items():
        for url, targets in (request for get in gets for request in get.requests(name, world)):
            for persona in PERSONAS:
                response = clients[persona].get(url)
                reading.read(f"{name} {url}", persona, content(response))
                if response.status_code != 200:
                    continue  # its partials answer as the page did
                for target in targets:
                    headers = {"HX-Request": "true", **({"HX-Target": target} if target else {})}
                    partial = clients[persona].get(url, headers=headers)
                    reading.read(f"{name} {url} (htmx {target or 'request'})", persona, content(partial))


def speed_up(settings: Any, monkeypatch: Any) -> None:
    """Speed only (as the permission sweep): sessions in signed cookies, no template capture, and a stub
    for the generated OpenAPI schema (it holds no data: its readers are tests/api's business)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SESSION_SAVE_EVERY_REQUEST = False
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, request=None, public=False: {"openapi": "3.0.3"})
    monkeypatch.setattr(test_client, "store_rendered_templates", lambda *args, **kwargs: None)
    cache.clear()  # the API's throttles count in the cache


def test_no_answer_holds_a_canary_its_reader_may_not_see(cast, capsys, settings, monkeypatch):
    speed_up(settings, monkeypatch)
    started = time.monotonic()
    world = canaries.build(cast)
    reading = Reading()
    logging.disable(logging.CRITICAL)  # the 404s and 403s are expected here
    try:
        sweep_routes(world, reading)
    finally:
        logging.disable(logging.NOTSET)
    seeded = world.seeded
    with capsys.disabled():
        print(
            f"\ncontent sweep: {len(ROUTES)} GET routes, {reading.reads} answers read (routes × ids × personas,"
            f" pages also as htmx) for {len(PERSONAS)} personas, {len(seeded)} canaries in {len(SEES)} classes,"
            f" {len(reading.leaks)} found where they must not be ({time.monotonic() - started:.1f} s)"
        )
        for leak in reading.leaks[:60]:
            print(f"  {leak}")
    assert not reading.leaks, f"{len(reading.leaks)} canaries shown to someone who may not see them (listed above)"
    assert_the_sweep_reads_real_bodies(reading.seen, seeded)


def assert_the_sweep_reads_real_bodies(seen: dict[str, set[str]], seeded: set[str]) -> None:
    """The control: every canary reaches someone allowed to see it, every class reaches every persona it
    allows, and every company canary reaches everyone of the organisation."""
    unseen = sorted(text for text in seeded if not seen.get(text))
    assert not unseen, f"canaries no answer showed (the sweep would not see them leak either): {unseen}"
    reached: dict[str, set[str]] = defaultdict(set)
    for text, personas in seen.items():
        reached[CANARY.match(text.encode()).group(1).decode()] |= personas  # type: ignore[union-attr]
    for cls, allowed in SEES.items():
        assert reached[cls] == allowed, f"class {cls}: reached {sorted(reached[cls])}, allowed {sorted(allowed)}"
    company = [text for text in seeded if text.startswith("CANARY-company-")]
    for text in company:
        assert seen[text] == ACME, f"{text} reached {sorted(seen[text])}, not everyone of the organisation"


# --- E-mails and webhooks -------------------------------------------------------------------------------


def persona_of(world: CanaryWorld) -> dict[str, str]:
    return {membership.user.email: persona for persona, membership in world.people.items()}


def mail_text(message: Any) -> bytes:
    alternatives = " ".join(content for content, _ in getattr(message, "alternatives", []))
    return f"{message.subject}\n{message.body}\n{alternatives}\n{json.dumps(dict(message.extra_headers))}".encode()


def read_mails(world: CanaryWorld, reading: Reading, kind: str, messages: Iterable[Any]) -> None:
    by_email = persona_of(world)
    for message in messages:
        [to] = message.to
        reading.read(f"{kind} e-mail to {to}", by_email[to], mail_text(message))


def test_no_email_holds_a_canary_its_recipient_may_not_see(
    cast, capsys, monkeypatch, django_capture_on_commit_callbacks
):
    world = canaries.build(cast)
    reading = Reading()
    with django_capture_on_commit_callbacks(execute=True):
        reminded = reminders.send_reminders(site_url="http://testserver").reminded
    read_mails(world, reading, "reminder", mail.outbox)
    mail.outbox.clear()
    # The digest of the week of the latest check-ins (two weeks ago), sent the Monday after it.
    last_monday = datetime.combine(week_of(org_today(cast.org)), clock(8, 0), tzinfo=UTC) - timedelta(weeks=1)
    monkeypatch.setattr(digest.timezone, "now", lambda: last_monday)
    with django_capture_on_commit_callbacks(execute=True):
        digests = digest.send_digests(site_url="http://testserver")
    read_mails(world, reading, "digest", mail.outbox)
    mail.outbox.clear()
    mentions = list(Mention.objects.values_list("comment_id", "membership_id"))
    for comment_id, membership_id in mentions:
        mention_email_send(comment_id=comment_id, membership_id=membership_id, site_url="http://testserver")
    read_mails(world, reading, "mention", mail.outbox)
    with capsys.disabled():
        print(
            f"\ncontent sweep of e-mails: {reminded} reminders, {digests} digests, {len(mentions)} mentions;"
            f" {reading.reads} read, {len(reading.leaks)} canaries found where they must not be"
        )
        for leak in reading.leaks:
            print(f"  {leak}")
    assert not reading.leaks
    # The control: the e-mails did name what their recipients may see.
    assert reminded and digests and mentions
    for persona, cls in (
        ("lead", "checkoutprivate"),  # the lead's reminder and digest
        ("member", "checkoutteam"),  # the member's reminder and the mention
        ("elsewhere", "growthteam"),  # Growth's member's reminder
        ("leadership", "company"),  # leadership's reminder and digest
        ("outsider", "globex"),  # Globex's admin's reminder and digest
    ):
        assert persona in reading.seen[canaries.canary(cls, "kr")], (persona, cls)


def test_no_webhook_payload_holds_a_private_canary(cast, capsys, monkeypatch):
    """Webhooks go to the organisation's admins' receivers, and nothing of a private objective is sent."""
    monkeypatch.setattr(webhooks, "deliveries_publish", lambda items: len(list(items)))
    canaries.build(cast)
    payloads = [json.dumps(d.payload).encode() for d in WebhookDelivery.objects.all()]
    found = {match.group(0).decode() for body in payloads for match in CANARY.finditer(body)}
    leaked = sorted(text for text in found if text.split("-")[1] in PRIVATE)
    with capsys.disabled():
        print(f"\ncontent sweep of webhooks: {len(payloads)} payloads, {len(leaked)} private canaries")
    assert not leaked
    assert canaries.canary("company", "kr") in found and canaries.canary("growthteam", "kr") in found  # the control
