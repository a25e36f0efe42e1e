"""The machinery of the permission sweep (tests/security/test_permission_sweep.py): the personas, the
rules a table entry is written with, the world every request meets, and the run itself.

A check is a request (method, URL, body) and a ladder of rules: the first rule a persona fails gives the
answer (404 for what they may not see, 403 for what they see but may not change, 400 for an id in an API
body they may not see); a persona who passes every rule gets the allowed answers. Before the ladder,
anonymous visitors go to the login page (pages) or get 401/403 (API); public routes answer everyone.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from backlog import services as backlog_services
from backlog import sprints as backlog_sprints
from backlog.models import Epic, EpicLink, ImportState, JiraImport, Sprint, Story, StoryLink, Theme
from checkins import services as checkin_services
from checkins.models import CheckIn, MetricReading
from checkins.weeks import week_of
from objectives import services as objective_services
from objectives.models import Cycle, HealthMetric, KeyResult, Objective, ValueDimension
from okrapp.http import Viewer
from okrapp.models import ApiToken, Membership, Team, TeamMembership, Webhook, WebhookEvent
from okrapp.timeutil import org_today
from okrapp.tokens import api_token_create
from okrapp.webhooks import webhook_create
from tests.factories import CycleFactory

PERSONAS = ("admin", "leadership", "lead", "member", "guest", "elsewhere", "outsider", "anonymous")
ACME = frozenset(PERSONAS[:6])  # the organisation's people; "elsewhere" is a member of the other team, Growth
SIGNED_IN = ACME | {"outsider"}  # the outsider is an admin (and a team lead) of another organisation
VISIBILITIES = ("company", "team", "private")
ONCE = ("-",)  # a route that is not about one object: one world
TEAMS = ("checkout", "growth")  # the cast's team (lead, member, guest) and the other team (elsewhere)
METRICS = ("company-wide", "checkout", "growth")  # health metrics: the company's, and each team's

Pred = Callable[[str, str], bool]  # (persona, variant) → passes
Step = tuple[Pred, int]  # a rule and the answer for those who fail it
Url = Callable[["World", str], str]
Body = Callable[["World", str, str], Any]  # (world, variant, persona) → the request's body
Marker = Callable[["World", str], "str | Callable[[str], bool]"]  # what shows an object of a visibility
Ok = Callable[[str, str], frozenset[int | str]]

LOGIN = "302 → login"
READ_OK: frozenset[int | str] = frozenset({200})
WRITE_OK: frozenset[int | str] = frozenset({200, 201, 204, 302})


def who(table: Iterable[str] | dict[str, Iterable[str]]) -> Pred:
    """A rule from the personas who pass it: one set, or a set per variant (its keys)."""
    if isinstance(table, dict):
        frozen = {variant: frozenset(people) for variant, people in table.items()}
        return lambda persona, variant: persona in frozen[variant]
    people = frozenset(table)
    return lambda persona, variant: persona in people


def per_team(checkout: Iterable[str], growth: Iterable[str]) -> Pred:
    """A rule about one team's work: the objects of the visibility worlds all belong to Checkout."""
    table = {"checkout": checkout, "growth": growth, "-": checkout, **dict.fromkeys(VISIBILITIES, checkout)}
    return who(table)


@dataclass(frozen=True)
class Check:
    method: str
    url: Url
    variants: tuple[str, ...] = ONCE
    steps: tuple[Step, ...] = ()
    body: Body | None = None
    ok: frozenset[int | str] | Ok | None = None  # default: READ_OK for GET, WRITE_OK otherwise
    # A page refuses a write whatever its body: those it refuses send an empty one. Unless the refusal is
    # about the body itself (an id in it one may not see).
    refusal_needs_body: bool = False
    # Lists and dashboards: what shows the object of a visibility, and who must (exactly) see it there
    # (one such pair, or several).
    shows: Any = None

    @property
    def markers(self) -> list[tuple[Marker, Pred]]:
        if self.shows is None:
            return []
        return [self.shows] if callable(self.shows[0]) else list(self.shows)

    def allowed(self, persona: str, variant: str) -> frozenset[int | str]:
        if callable(self.ok):
            return self.ok(persona, variant)
        if self.ok is not None:
            return self.ok
        return READ_OK if self.method == "GET" else WRITE_OK


@dataclass(frozen=True)
class Once:
    """A marker about something other than the objectives' visibility (another team's health metric, say):
    one verdict, not one per visibility."""

    text: Callable[[World], str]

    def __call__(self, world: World, visibility: str) -> str:
        return self.text(world)


@dataclass(frozen=True)
class Route:
    kind: str  # "page" (anonymous: the login page), "api" (anonymous: 401/403) or "public"
    checks: tuple[Check, ...]


def page(*checks: Check) -> Route:
    return Route("page", checks)


def api(*checks: Check) -> Route:
    return Route("api", checks)


def public(*checks: Check) -> Route:
    return Route("public", checks)


def expected(route: Route, check: Check, persona: str, variant: str) -> frozenset[int | str]:
    if persona == "anonymous" and route.kind != "public":
        return frozenset({LOGIN}) if route.kind == "page" else frozenset({401, 403})
    for rule, answer in check.steps:
        if not rule(persona, variant):
            return frozenset({answer})
    return check.allowed(persona, variant)


# --- The routes of the URL configuration ------------------------------------------------------------


def route_names() -> dict[str, str]:
    """Every route (its name, else its pattern) → its full pattern; the admin is Django's own."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not pattern.startswith("admin/"):
                    walk(entry, pattern)
            elif isinstance(entry, URLPattern):
                found.setdefault(entry.name or pattern, pattern)

    walk(get_resolver(), "")
    return found


# --- The world --------------------------------------------------------------------------------------


@dataclass
class World:
    """For each visibility, an objective of the team Checkout (owned by its lead) with a key result
    (owned by the lead, the teammate contributing, Growth's health metric its KFI), a check-in, a story
    (in Checkout's sprint, which focuses on the key results) and an epic linked to it, a roadmap theme
    serving it, and a company-visible objective aligned to it; one more company-visible objective
    contributing to every key result; per team (Checkout, Growth) a story, an epic, a sprint, an import and
    the person who is its member; per scope a health metric with a reading; the organisation's things."""

    cast: Any
    today: date
    quarter: Cycle
    next_cycle: Cycle
    team: dict[str, Team]
    objective: dict[str, Objective]
    move_target: Objective
    child: dict[str, Objective]  # a company-visible objective aligned to the objective of each visibility
    kr: dict[str, KeyResult]
    checkin: dict[str, CheckIn]
    story: dict[str, Story]  # per visibility (Checkout, linked to that KR) and per team
    story_link: dict[str, StoryLink]
    epic: dict[str, Epic]
    epic_link: dict[str, EpicLink]
    sprint: dict[str, Sprint]
    theme: dict[str, Theme]
    metric: dict[str, HealthMetric]
    reading: dict[str, MetricReading]
    jira_import: dict[str, JiraImport]
    person: dict[str, Membership]
    team_membership: dict[str, TeamMembership]
    dimension: ValueDimension
    webhook: Webhook
    token: ApiToken
    people: dict[str, Membership] = field(default_factory=dict)

    @property
    def this_week(self) -> date:
        return week_of(self.today)


def build_world(cast: Any) -> World:
    org, lead = cast.org, cast.lead
    today = org_today(org)
    quarter = CycleFactory(organisation=org, name="Q4 2026", start_date=date(2026, 10, 1), end_date=_quarter_end())
    next_cycle = CycleFactory(
        organisation=org, name="Q1 2027", start_date=date(2027, 1, 1), end_date=date(2027, 3, 31), state="planning"
    )
    teams = {"checkout": cast.team, "growth": cast.other_team}
    objectives, krs, checkins, stories, story_links, epics, epic_links, themes = ({} for _ in range(8))
    viewer = Viewer.load(lead.user)
    assert viewer is not None
    sprints: dict[str, Sprint] = {}
    imports: dict[str, JiraImport] = {}
    for name, team in teams.items():
        sprints[name] = backlog_sprints.sprint_save(
            organisation=org,
            team=team,
            name=f"Sweep sprint of {name}",
            start_date=today,
            end_date=today + timedelta(13),
        )
        stories[name] = backlog_services.story_save(organisation=org, team=team, title=f"Sweep story of {name}")
        epics[name] = backlog_services.epic_save(organisation=org, team=team, title=f"Sweep epic of {name}")
        imports[name] = JiraImport.objects.create(
            organisation=org,
            team=team,
            uploaded_by=lead,
            filename="jira.csv",
            size=0,
            content=b"",
            state=ImportState.FAILED,
            errors=[{"line": 2, "key": "SWP-1", "message": "No summary."}],
        )
    metrics: dict[str, HealthMetric] = {}
    readings: dict[str, MetricReading] = {}
    for name, team in {"company-wide": None, **teams}.items():
        metrics[name] = objective_services.health_metric_save(
            organisation=org,
            team=team,
            name=f"Sweep metric {name}",
            direction="higher",
            green_threshold=60,
            amber_threshold=50,
        )
        readings[name] = checkin_services.reading_save(
            metric=metrics[name], taken_on=today - timedelta(days=1), value=55, author_id=cast.admin.pk, today=today
        )
    for visibility in VISIBILITIES:
        objectives[visibility] = objective_services.objective_create(
            organisation=org,
            cycle=quarter,
            team=cast.team,
            title=f"Sweep objective {visibility}",
            owner=lead,
            visibility=visibility,
            state="active",
        )
        krs[visibility] = objective_services.key_result_create(
            objective=objectives[visibility],
            title=f"Sweep key result {visibility}",
            start_value=0,
            target_value=100,
            owner=lead,
            contributors=[cast.teammate],
            kfis=[metrics["growth"]],  # a guest may not see Growth's metric
            today=today,
        )
        checkins[visibility] = checkin_services.checkin_save(
            viewer=viewer,
            key_result=krs[visibility],
            week=week_of(today) - timedelta(weeks=2),
            value=10,
            confidence=0.6,
            today=today,
        )
        stories[visibility] = backlog_services.story_save(
            organisation=org, team=cast.team, title=f"Sweep story {visibility}", points=3, sprint=sprints["checkout"]
        )
        story_links[visibility] = backlog_services.link_story(
            story=stories[visibility], key_result=krs[visibility], share=0.2
        )
        epics[visibility] = backlog_services.epic_save(
            organisation=org, team=cast.team, title=f"Sweep epic {visibility}"
        )
        epic_links[visibility] = backlog_services.link_epic(
            epic=epics[visibility], key_result=krs[visibility], share=0.2
        )
        themes[visibility] = backlog_services.theme_save(
            organisation=org, title=f"Sweep theme {visibility}", objectives=[objectives[visibility]]
        )
    move_target = objective_services.objective_create(
        organisation=org,
        cycle=quarter,
        team=cast.team,
        title="Sweep move target",
        owner=lead,
        state="active",
        contributes_to=krs.values(),
    )
    sprints["checkout"].focus_key_results.set(krs.values())
    children = {
        visibility: objective_services.objective_create(
            organisation=org,
            cycle=quarter,
            team=cast.team,
            title=f"Sweep child of {visibility}",
            owner=lead,
            state="active",
            parent=parent,
        )
        for visibility, parent in objectives.items()
    }
    return World(
        cast=cast,
        today=today,
        quarter=quarter,
        next_cycle=next_cycle,
        team=teams,
        objective=objectives,
        move_target=move_target,
        child=children,
        kr=krs,
        checkin=checkins,
        story=stories,
        story_link=story_links,
        epic=epics,
        epic_link=epic_links,
        sprint=sprints,
        theme=themes,
        metric=metrics,
        reading=readings,
        jira_import=imports,
        person={"checkout": cast.member, "growth": cast.employee_elsewhere},
        team_membership={
            "checkout": TeamMembership.objects.get(team=cast.team, membership=cast.member),
            "growth": TeamMembership.objects.get(team=cast.other_team, membership=cast.employee_elsewhere),
        },
        dimension=objective_services.value_dimension_save(organisation=org, name="Sweep dimension"),
        webhook=webhook_create(
            organisation_id=org.pk,
            url="https://hooks.example.org/okr",
            events=[WebhookEvent.CHECKIN_SAVED],
            created_by_id=cast.admin.pk,
        ),
        token=api_token_create(membership=cast.member, name="Sweep")[0],
        people={
            "admin": cast.admin,
            "leadership": cast.leadership,
            "lead": lead,
            "member": cast.member,
            "guest": cast.guest,
            "elsewhere": cast.employee_elsewhere,
            "outsider": cast.outsider,
        },
    )


def _quarter_end() -> date:
    # As tests/conftest.py's quarter: pages that use the clock stay inside it.
    return max(date(2026, 12, 31), date.today() + timedelta(days=60))


# --- The run ----------------------------------------------------------------------------------------


@dataclass
class Finding:
    route: str
    method: str
    persona: str
    variant: str
    expected: str
    got: str

    def __str__(self) -> str:
        return (
            f"{self.route} {self.method} as {self.persona} [{self.variant}]: expected {self.expected}, got {self.got}"
        )


@dataclass
class Tally:
    checks: int = 0
    requests: int = 0
    unexpected: int = 0
    findings: list[Finding] = field(default_factory=list)


class Visitor:
    """One persona's browser: signed in once; each request starts from the same cookies and runs in a
    savepoint that is rolled back, so every request meets the same world (a permitted write, a logout)."""

    def __init__(self, membership: Membership | None) -> None:
        self.client = Client(raise_request_exception=False)
        if membership is not None:
            self.client.force_login(membership.user)
        self.cookies = copy.deepcopy(self.client.cookies)

    def send(self, method: str, url: str, body: Any) -> HttpResponse:
        self.client.cookies = copy.deepcopy(self.cookies)
        send = getattr(self.client, method.lower())
        with transaction.atomic():
            if url.startswith("/api/") and method != "GET":
                response = send(url, data=body if body is not None else {}, content_type="application/json")
            elif method == "GET":
                response = send(url)
            else:
                response = send(url, data=body or {})
            transaction.set_rollback(True)
        return response


def answer(response: HttpResponse) -> int | str:
    if response.status_code == 302 and response.get("Location", "").startswith("/accounts/login/"):
        return LOGIN
    return response.status_code


def describe(response: HttpResponse) -> str:
    got = str(answer(response))
    exc_info = getattr(response, "exc_info", None)
    if exc_info:
        got += f" ({exc_info[0].__name__}: {exc_info[1]})"
    elif response.status_code >= 400 and response.get("Content-Type", "").startswith("application/json"):
        got += f" {json.loads(response.content)}"[:200]
    return got


def run(table: dict[str, Route], world: World) -> Tally:
    """Every check of the table, each as every persona; refusals are expected here, so the log is quiet."""
    logging.disable(logging.CRITICAL)
    try:
        return _run(table, world)
    finally:
        logging.disable(logging.NOTSET)


def _run(table: dict[str, Route], world: World) -> Tally:
    tally = Tally()
    visitors = {persona: Visitor(world.people.get(persona)) for persona in PERSONAS}
    for name, route in table.items():
        for check in route.checks:
            for variant in check.variants:
                url = check.url(world, variant)
                # A list or dashboard answers for every visibility at once; an object route for its own.
                visibilities = [variant] if variant in VISIBILITIES else list(VISIBILITIES)
                markers = [
                    (marker, rule, visibility)
                    for marker, rule in check.markers
                    for visibility in (visibilities[:1] if isinstance(marker, Once) else visibilities)
                ]
                verdicts = len(markers) or 1
                for persona in PERSONAS:
                    if persona == "anonymous" and variant != check.variants[0] and route.kind != "public":
                        continue  # the login page (or 401) whatever the object: asked once a check
                    want = expected(route, check, persona, variant)
                    body = check.body(world, variant, persona) if check.body else None
                    if route.kind == "page" and not want & WRITE_OK and not check.refusal_needs_body:
                        body = None  # a refusal must not depend on the form being filled in
                    response = visitors[persona].send(check.method, url, body)
                    tally.requests += 1
                    tally.checks += verdicts
                    got = answer(response)
                    if got not in want:
                        tally.unexpected += verdicts
                        wanted = " or ".join(str(w) for w in sorted(want, key=str))
                        tally.findings.append(Finding(name, check.method, persona, variant, wanted, describe(response)))
                    elif got == 200:
                        text = response.content.decode(errors="replace")
                        for marker, rule, visibility in markers:
                            finding = _marker_finding(marker(world, visibility), text, rule(persona, visibility))
                            if finding:
                                tally.unexpected += 1
                                where = "-" if isinstance(marker, Once) else visibility
                                tally.findings.append(Finding(name, check.method, persona, where, *finding))
    return tally


def _marker_finding(marker: str | Callable[[str], bool], text: str, must: bool) -> tuple[str, str] | None:
    """None when the page shows the marker exactly if it must; else (expected, got) in words."""
    found = marker(text) if callable(marker) else marker in text
    if found == must:
        return None
    what = f"“{marker}”" if isinstance(marker, str) else "its id"
    return (f"{what} {'shown' if must else 'not shown'}", f"{'shown' if found else 'not shown'} (200)")
