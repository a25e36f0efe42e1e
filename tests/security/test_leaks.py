"""No leaks through side doors: lists, filters, counts, dashboards, the heatmap, exports, e-mails,
webhooks and the API show nothing of a private objective, nor anything of another organisation.

The world: Acme's public OKRs (a company objective, a department one and Checkout's), a backlog, a
sprint, roadmap themes, a health metric and value dimensions, plus Globex's own plan. Then the team lead
of Checkout writes a private objective, "Secret acquisition of Initech", with a KR "Hidden number", a
check-in, work linked to it, a sprint focused on it, a theme serving it, a KFI guarding it, a value
dimension only it feeds, and it aligns to the company objective and contributes to its KR. Every text
of that trail names Initech (or is the KR's title), so two words find any of it in a page.

Only the lead (its owner, the owning team's lead) may see it; the admin, leadership, a member and a
guest of Checkout, an employee of another team and the outsider (an admin of Globex) may not. For the
lead the pages show it (so each check here can fail); for everyone else they show nothing of it, and
every figure is what it was before the private objective existed: the pages are compared as they were
before and after it was written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from backlog import services as backlog_services
from backlog import sprints as backlog_sprints
from backlog.models import Epic, EpicLink, Sprint, Story, StoryLink, Theme
from checkins import digest, reminders
from checkins import services as checkin_services
from checkins.weeks import week_of
from objectives import services as objective_services
from objectives.models import (
    HealthMetric,
    KeyResult,
    KeyResultSnapshot,
    Objective,
    ObjectiveSnapshot,
    ValueDimension,
)
from objectives.services import jobs
from objectives.services.snapshots import snapshots_take
from okrapp import webhooks
from okrapp.http import Viewer
from okrapp.models import Membership, WebhookDelivery, WebhookEvent
from okrapp.timeutil import org_today
from okrapp.tokens import api_token_create
from tests.conftest import settle
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db

SECRET = "Secret acquisition of Initech"
HIDDEN_KR = "Hidden number"
SECRET_MARKS = ("Initech", HIDDEN_KR)  # every text of the private trail holds one of these
GLOBEX_MARKS = ("Globex plan", "Globex KR", "Globex story", "Globex churn")
ACME_MARKS = ("Customers love paying us", "Engineering ships faster", "Checkout is fast", "Checkout p95", "Acme")
# Who may not see the private objective: all but its owner, the lead of Checkout.
OTHERS = ("admin", "leadership", "member", "teammate", "guest", "employee_elsewhere")
# Of those, who sees Checkout's team objective (so its figures show): not the employee of another team.
CHECKOUT_READERS = ("admin", "leadership", "member", "teammate", "guest")


@dataclass
class World:
    company: Objective
    dept: Objective
    team: Objective
    revenue: KeyResult  # the company's KR, its progress from the objectives aligned to it
    deploys: KeyResult  # the department's KR
    latency: KeyResult  # Checkout's KR, owned by the member
    retries: Story  # serves the latency KR
    migrate: Story  # will serve the hidden KR only
    invoices: Story  # under the epic, which will serve the hidden KR only
    epic: Epic
    sprint: Sprint
    faster: Theme  # NOW, serves Checkout's objective
    billing: Theme  # LATER, will serve the private objective
    refunds: HealthMetric
    delight: ValueDimension  # the company objective serves it
    expansion: ValueDimension  # only the private objective will feed it
    globex: Objective
    globex_kr: KeyResult
    secret: Objective | None = None
    hidden: KeyResult | None = None


def check_in(membership: Membership, kr: KeyResult, *, week=None, **values):
    today = org_today(membership.organisation)
    return checkin_services.checkin_save(
        viewer=Viewer.load(membership.user), key_result=kr, week=week, today=today, **values
    )


def build_public(cast) -> World:
    """Acme's OKRs and backlog everyone may see (each as their visibility allows), and Globex's plan."""
    org = cast.org
    org.time_zone, org.checkin_day = "UTC", 0  # weeks in UTC; check-in day Monday: reminders are due
    org.save()
    today = org_today(org)
    this_week = week_of(today)
    # Today is day 50 of 99: expected progress about 0.5, whatever the date of the run.
    cycle = CycleFactory(
        organisation=org,
        name="This quarter",
        start_date=today - timedelta(days=49),
        end_date=today + timedelta(days=49),
    )
    delight = objective_services.value_dimension_save(organisation=org, name="Delight")
    expansion = objective_services.value_dimension_save(organisation=org, name="Expansion")
    make = objective_services.objective_create
    company = make(
        organisation=org,
        cycle=cycle,
        team=None,
        title="Customers love paying us",
        owner=cast.leadership,
        state="active",
        value_dimension=delight,
    )
    dept = make(
        organisation=org,
        cycle=cycle,
        team=cast.department,
        title="Engineering ships faster",
        owner=cast.lead,
        state="active",
        parent=company,
    )
    team = make(
        organisation=org,
        cycle=cycle,
        team=cast.team,
        title="Checkout is fast",
        owner=cast.lead,
        visibility="team",
        state="active",
        parent=dept,
    )
    revenue = objective_services.key_result_create(
        objective=company,
        title="Revenue per customer",
        start_value=0,
        target_value=1,
        owner=cast.leadership,
        progress_from_aligned=True,
        today=today,
    )
    deploys = objective_services.key_result_create(
        objective=dept, title="Deploys per day", start_value=1, target_value=10, owner=cast.lead, today=today
    )
    refunds = objective_services.health_metric_save(
        organisation=org,
        team=cast.team,
        name="Refund rate",
        direction="lower",
        green_threshold=2,
        amber_threshold=5,
        unit="%",
    )
    checkin_services.reading_save(metric=refunds, taken_on=today, value=3, author_id=None, today=today)
    latency = objective_services.key_result_create(
        objective=team,
        title="Checkout p95",
        start_value=800,
        target_value=300,
        unit="ms",
        owner=cast.member,
        kfis=[refunds],
        today=today,
    )
    check_in(cast.lead, deploys, week=this_week - timedelta(weeks=1), value=2, confidence=0.6)
    check_in(cast.lead, deploys, value=4, confidence=0.7)
    check_in(cast.member, latency, week=this_week - timedelta(weeks=1), value=700, confidence=0.8)
    check_in(cast.member, latency, value=550, confidence=0.5, blockers="CDN contract")

    sprint = backlog_sprints.sprint_save(
        organisation=org,
        team=cast.team,
        name="Sprint 47",
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=10),
        goal="Ship retries",
        focus_key_results=[latency],
    )
    sprint = backlog_sprints.sprint_start(sprint=sprint)
    epic = backlog_services.epic_save(organisation=org, team=cast.team, title="Billing revamp")
    story = backlog_services.story_save
    retries = story(organisation=org, team=cast.team, title="Retry card payments", points=3, sprint=sprint)
    migrate = story(organisation=org, team=cast.team, title="Migrate billing", points=5, sprint=sprint)
    invoices = story(organisation=org, team=cast.team, title="Move invoices", points=2, epic=epic)
    backlog_services.link_story(story=retries, key_result=latency, share=0.5)
    faster = backlog_services.theme_save(organisation=org, title="Faster checkout", lane="now", objectives=[team])
    billing = backlog_services.theme_save(organisation=org, title="Billing", lane="later")

    globex_cycle = CycleFactory(
        organisation=cast.outsider_org, name="Globex quarter", start_date=cycle.start_date, end_date=cycle.end_date
    )
    globex = make(
        organisation=cast.outsider_org,
        cycle=globex_cycle,
        team=None,
        title="Globex plan",
        owner=cast.outsider,
        state="active",
    )
    globex_kr = objective_services.key_result_create(
        objective=globex, title="Globex KR", start_value=0, target_value=10, owner=cast.outsider, today=today
    )
    check_in(cast.outsider, globex_kr, value=5, confidence=0.9, blockers="Globex blocker")
    backlog_services.story_save(organisation=cast.outsider_org, team=cast.outsider_team, title="Globex story")
    objective_services.health_metric_save(
        organisation=cast.outsider_org, name="Globex churn", direction="lower", green_threshold=1, amber_threshold=2
    )

    settle(today=today)
    snapshots_take(organisation=org)
    snapshots_take(organisation=cast.outsider_org)
    return World(
        company=company,
        dept=dept,
        team=team,
        revenue=revenue,
        deploys=deploys,
        latency=latency,
        retries=retries,
        migrate=migrate,
        invoices=invoices,
        epic=epic,
        sprint=sprint,
        faster=faster,
        billing=billing,
        refunds=refunds,
        delight=delight,
        expansion=expansion,
        globex=globex,
        globex_kr=globex_kr,
    )


def add_secret(cast, world: World) -> None:
    """The lead's private objective and its whole trail (see the module's docstring)."""
    org = cast.org
    today = org_today(org)
    this_week = week_of(today)
    secret = objective_services.objective_create(
        organisation=org,
        cycle=world.team.cycle,
        team=cast.team,
        title=SECRET,
        description="Initech board memo",
        owner=cast.lead,
        visibility="private",
        state="active",
        parent=world.company,
        value_dimension=world.expansion,
        contributes_to=[world.revenue],
    )
    hidden = objective_services.key_result_create(
        objective=secret,
        title=HIDDEN_KR,
        description="Initech head count",
        start_value=0,
        target_value=100,
        unit="Initech %",
        owner=cast.lead,
        kfis=[world.refunds],
        today=today,
    )
    check_in(cast.lead, hidden, week=this_week - timedelta(weeks=1), value=40, confidence=0.9)
    check_in(
        cast.lead,
        hidden,
        value=100,
        confidence=0.95,
        what_changed="Initech term sheet signed",
        next_steps="Initech due diligence",
        blockers="Initech lawyers",
    )
    backlog_services.link_story(story=world.migrate, key_result=hidden, share=1.0, note="Initech data room")
    backlog_services.link_epic(epic=world.epic, key_result=hidden, share=0.5, note="Initech invoices")
    world.sprint.refresh_from_db()
    backlog_sprints.sprint_save(
        organisation=org,
        team=cast.team,
        name=world.sprint.name,
        start_date=world.sprint.start_date,
        end_date=world.sprint.end_date,
        goal=world.sprint.goal,
        focus_key_results=[world.latency, hidden],
        sprint=world.sprint,
    )
    world.billing.refresh_from_db()
    backlog_services.theme_save(
        organisation=org, title="Billing", lane="later", objectives=[secret], theme=world.billing
    )
    settle(today=today)
    # Rebuilt from the series, every day of the cycle now holds the private objective too (as if it had
    # been there all along); the public rows come out as before.
    KeyResultSnapshot.objects.filter(organisation=org).delete()
    ObjectiveSnapshot.objects.filter(organisation=org).delete()
    snapshots_take(organisation=org)
    world.secret, world.hidden = secret, hidden


@pytest.fixture
def world(cast) -> World:
    world = build_public(cast)
    add_secret(cast, world)
    return world


# --- Helpers ---------------------------------------------------------------------------------------

_PER_RESPONSE = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]+|(value=")\d{9,}(?=:)')
_TIME = re.compile(r"<time [^>]*>[^<]*</time>")


def normalised(html: str) -> str:
    """A page without what changes from one response to the next: the CSRF token (masked afresh each
    time), the CSP nonce, an edit form's version (it holds the time the form was opened) and relative
    times ("12 seconds ago")."""
    return _TIME.sub("<time/>", _PER_RESPONSE.sub(lambda m: (m.group(1) or m.group(2)) + "…", html))


def persona(cast, name: str) -> Membership:
    return getattr(cast, name)


def leaked(text: str, marks=SECRET_MARKS) -> list[str]:
    return [mark for mark in marks if mark.lower() in text.lower()]


def page(client, url: str, **headers: str) -> tuple[int, str]:
    response = client.get(url, headers=headers)
    return response.status_code, response.content.decode()


def seen_by(client_of, name: str, url: str, **headers: str) -> str:
    """The page as ``name`` sees it: answered (200), free of anything private and of the other organisation."""
    status, html = page(client_of(name), url, **headers)
    assert status == 200, (name, url, status)
    assert leaked(html, SECRET_MARKS + (ACME_MARKS if name == "outsider" else GLOBEX_MARKS)) == [], (name, url)
    return html


@pytest.fixture
def client_of(cast, client):
    """A signed-in test client for one of the cast, by name."""

    def sign_in(name: str):
        client.force_login(getattr(cast, name).user)
        return client

    return sign_in


def api_client(membership: Membership) -> APIClient:
    client = APIClient()
    _token, secret = api_token_create(membership=membership, name="leak test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def figure_text(html: str) -> str:
    """A page's words without tags, so a figure reads as people read it ("1 of 3 open stories")."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.split('id="main"', 1)[-1]).split())


def page_urls(cast, world: World) -> list[str]:
    """Every list, dashboard and page that could show something of the private objective, by URLs that
    exist before it does (its own pages are checked by ``test_the_private_objectives_own_pages_are_404``)."""
    t, d, w = cast.team.pk, cast.department.pk, world
    opened = f"c,t{d},t{t},t{cast.other_team.pk},o{w.company.pk},o{w.dept.pk},o{w.team.pk}"
    return [
        "/",
        "/okrs/",
        f"/okrs/?team={t}",
        f"/okrs/?team={d}",
        "/okrs/?team=company",
        "/cycles/",
        "/cascade/",
        f"/cascade/?open={opened}",
        f"/cascade/?team={t}&open={opened}",
        f"/cascade/?status=on_track&open={opened}",
        f"/cascade/?dimension={w.expansion.pk}",
        f"/cascade/?dimension={w.delight.pk}",
        "/cascade/dimensions/",
        "/heatmap/",
        "/heatmap/?expand=all",
        f"/teams/{t}/",
        f"/teams/{d}/",
        f"/teams/{t}/check-in/",
        "/check-ins/compliance/",
        "/my-week/",
        f"/backlog/?team={t}",
        f"/backlog/?team={t}&status=all",
        f"/backlog/?team={t}&linked=no",
        f"/backlog/?team={t}&kr={w.latency.pk}",
        f"/backlog/teams/{t}/ranked/",
        f"/backlog/teams/{t}/epics/",
        f"/backlog/teams/{t}/sprints/",
        f"/backlog/epics/{w.epic.pk}/",
        f"/backlog/sprints/{w.sprint.pk}/",
        f"/backlog/stories/{w.migrate.pk}/",
        f"/backlog/stories/{w.migrate.pk}/links/",
        f"/backlog/stories/{w.migrate.pk}/links/?q=acquisition",
        f"/backlog/stories/{w.migrate.pk}/links/?q=number",
        "/roadmap/",
        "/health/",
        "/health/board/",
        f"/health/{w.refunds.pk}/",
        "/value-dimensions/",
        f"/objectives/{w.company.pk}/",
        f"/objectives/{w.dept.pk}/",
        f"/objectives/{w.team.pk}/",
        f"/key-results/{w.revenue.pk}/",
        f"/key-results/{w.latency.pk}/",
        f"/key-results/{w.deploys.pk}/",
        "/objectives/add/",
        f"/objectives/add/?team={t}",
        f"/objectives/{w.team.pk}/key-results/add/",
        "/notifications/",
        "/people/",
        f"/people/{cast.lead.pk}/",
        "/teams/",
        f"/teams/{t}/people/",
        "/search/?q=acquisition",  # words of the private trail that are not marks (the page repeats the query)
        "/search/?q=number",
        "/search/?q=memo",
    ]


# --- Every page and figure, as it was before the private objective existed ---------------------------


def test_every_page_and_figure_is_as_it_was_before_the_private_objective(cast, client_of):
    """The strongest check of counts: for everyone who may not see it, every page (lists, dashboards,
    header figures, roll-ups, coverage, heatmap cells from the snapshots, choices in forms) is byte for
    byte what it was before the private objective and its trail were written. The lead's pages change."""
    world = build_public(cast)
    urls = page_urls(cast, world)
    # A guest and a teammate see what the member sees, or less.
    names = ("admin", "leadership", "member", "employee_elsewhere", "outsider")
    lead_urls = ["/okrs/", urls[7], "/heatmap/?expand=all", "/my-week/", f"/backlog/?team={cast.team.pk}", "/roadmap/"]
    lead_urls.append("/search/?q=acquisition")  # the frame's search finds it for its owner

    def pages() -> dict[tuple[str, str], tuple[int, str]]:
        client = client_of("lead")  # first: the lead's last login (on the people pages) is then the same
        seen = {("lead", url): page(client, url) for url in lead_urls}
        for name in names:
            client = client_of(name)
            seen.update({(name, url): page(client, url) for url in urls})
        return seen

    before = pages()
    add_secret(cast, world)
    after = pages()
    for (name, url), (status, html) in after.items():
        old_status, old_html = before[(name, url)]
        if name == "lead":  # who may see it sees it on every page listing objectives, KRs or their work
            assert leaked(html) != [] and normalised(html) != normalised(old_html), url
            continue
        assert leaked(html) == [], (name, url)
        assert status == old_status, (name, url)
        assert normalised(html) == normalised(old_html), (name, url)


# --- Lists and dashboards, one side door at a time ---------------------------------------------------


def test_okrs_lists_and_cycle_counts(cast, world, client_of):
    t = cast.team.pk
    for name in OTHERS:
        for url in ("/okrs/", f"/okrs/?team={t}", "/okrs/?team=company"):
            seen_by(client_of, name, url)
        # "Objectives": the public ones they see; the private one is in no count, even for its owner.
        cycles = figure_text(seen_by(client_of, name, "/cycles/"))
        assert f"Active {2 if name == 'employee_elsewhere' else 3}" in cycles, name
    lead = client_of("lead")
    assert SECRET in lead.get(f"/okrs/?team={t}").content.decode()
    assert "Active 3" in figure_text(lead.get("/cycles/").content.decode())


def test_the_cascade_its_filters_and_header_figures(cast, world, client_of):
    w, t = world, cast.team.pk
    opened = f"c,t{cast.department.pk},t{t},o{w.company.pk},o{w.dept.pk},o{w.team.pk},o{w.secret.pk}"
    urls = [
        f"/cascade/?open={opened}",
        f"/cascade/?team={t}&open={opened}",
        f"/cascade/?status=on_track&open={opened}",  # the private objective is the only one on track
        f"/cascade/?dimension={w.expansion.pk}",  # …and the only one feeding Expansion
    ]
    for name in ("admin", "leadership", "member", "guest", "employee_elsewhere"):
        for url in urls:
            seen_by(client_of, name, url)
        text = figure_text(seen_by(client_of, name, urls[0]))
        if name in ("admin", "leadership"):
            # Header figures over the three public KRs: none on track, 2 of 2 checked in (the company KR's
            # progress comes from aligned objectives), coverage 1 of 3 open stories (the two serving the
            # private KR only count as orphans).
            assert "0 of 3 key results" in text and "2 of 2 key results" in text, name
            assert "1 of 3 open stories" in text and "Checkout 1 objective" in text, name
        # Asking the tree (htmx) to open the private objective by its id opens nothing.
        tree = seen_by(
            client_of, name, f"/cascade/?open={opened}", **{"HX-Request": "true", "HX-Target": "cascade-tree"}
        )
        assert "<html" not in tree and 'id="cascade-tree"' in tree, name
    status_filtered = figure_text(seen_by(client_of, "leadership", urls[2]))
    assert "Checkout is fast" not in status_filtered  # at risk: nothing on track is left to show
    lead = figure_text(client_of("lead").get(urls[0]).content.decode())
    assert SECRET in lead and HIDDEN_KR in lead
    assert "0 of 3 key results" in lead and "1 of 3 open stories" in lead  # its figures leave it out too


def test_value_dimensions_by_team(cast, world, client_of):
    for name in (*OTHERS, "lead"):
        text = figure_text(seen_by(client_of, name, "/cascade/dimensions/"))
        assert "No objective feeds Expansion" in text, name  # the private objective feeds it, uncounted
        checkout = "Checkout · none · none · none" if name == "employee_elsewhere" else "Checkout 1 · none · none"
        assert checkout in text, name


def test_heatmap_rows_and_cells(cast, world, client_of):
    for name in OTHERS:
        seen_by(client_of, name, "/heatmap/?expand=all")
    assert SECRET in client_of("lead").get("/heatmap/?expand=all").content.decode()
    # Checkout's row, from the snapshots last week and live this week: the public KR alone. Counting the
    # private one would make the confidence 0.85 last week and 0.72 this week.
    for name in ("leadership", "member", "lead"):
        text = figure_text(client_of(name).get("/heatmap/").content.decode())
        row = text.split(" Checkout ", 1)[1].split("Checkout is fast", 1)[0]
        assert "off track, confidence 0.8" in row and "at risk, confidence 0.5" in row, (name, row)
        assert "0.85" not in row and "0.72" not in row, name


def test_team_pages_my_week_meeting_and_compliance(cast, world, client_of):
    t, d = cast.team.pk, cast.department.pk
    for name in OTHERS:
        for url in (f"/teams/{t}/", "/my-week/", "/check-ins/compliance/", f"/teams/{t}/check-in/"):
            seen_by(client_of, name, url)
        status, html = page(client_of(name), f"/teams/{d}/")  # a guest sees their own teams only: 404
        assert status in (200, 404) and leaked(html) == [], name
    for name in CHECKOUT_READERS:
        compliance = figure_text(seen_by(client_of, name, "/check-ins/compliance/"))
        assert "Checked in 2 of 2" in compliance and "Checkout 1 of 1" in compliance, name
    team = figure_text(seen_by(client_of, "member", f"/teams/{t}/"))
    # Coverage and orphans: the two stories serving only the private KR count as orphans.
    assert "Checked in this week 1 of 1" in team and "1 of 3 open stories" in team and "Orphan stories 2" in team
    meeting = figure_text(seen_by(client_of, "member", f"/teams/{t}/check-in/"))
    assert "1 of 1 key result checked in" in meeting
    lead = client_of("lead")
    assert "Initech lawyers" in lead.get(f"/teams/{t}/check-in/").content.decode()  # the blockers list
    assert "Initech due diligence" in lead.get("/my-week/").content.decode()
    assert "Checkout 1 of 1" in figure_text(lead.get("/check-ins/compliance/").content.decode())


def test_backlog_its_filters_and_the_link_picker(cast, world, client_of):
    t, w = cast.team.pk, world
    for name in ("member", "teammate", "guest", "admin", "leadership", "employee_elsewhere"):
        html = seen_by(client_of, name, f"/backlog/?team={t}")
        text = figure_text(html)
        assert "1 of 3 open stories" in text and "3 of 10 points" in text and "Orphans 2" in text, name
        # Filtering by the private KR's id shows no story (as for any KR one may not see).
        filtered = seen_by(client_of, name, f"/backlog/?team={t}&kr={w.hidden.pk}")
        assert "Migrate billing" not in filtered and "Move invoices" not in filtered, name
        unlinked = seen_by(client_of, name, f"/backlog/?team={t}&linked=no")
        assert "Migrate billing" in unlinked and "Move invoices" in unlinked, name
        # The story list's htmx partial and the impact ranking.
        seen_by(client_of, name, f"/backlog/?team={t}&status=all", **{"HX-Request": "true", "HX-Target": "story-list"})
        ranked = figure_text(seen_by(client_of, name, f"/backlog/teams/{t}/ranked/"))
        assert "Migrate billing 5 0.000 Serves no key result." in ranked, name
        seen_by(client_of, name, f"/backlog/stories/{w.migrate.pk}/")
    for name in ("member", "teammate"):  # who may link Checkout's stories: the picker offers visible KRs only
        for query in ("", "acquisition", "number"):
            seen_by(client_of, name, f"/backlog/stories/{w.migrate.pk}/links/?q={query}")
            results = {"HX-Request": "true", "HX-Target": f"picker-results-{w.migrate.pk}"}
            seen_by(client_of, name, f"/backlog/stories/{w.migrate.pk}/links/?q={query}", **results)
    lead = client_of("lead")
    assert "On track: Hidden number" in figure_text(lead.get(f"/backlog/?team={t}").content.decode())
    assert "Migrate billing" in lead.get(f"/backlog/?team={t}&kr={w.hidden.pk}").content.decode()
    assert HIDDEN_KR in lead.get(f"/backlog/stories/{w.migrate.pk}/links/?q=number").content.decode()


def test_epics_sprints_and_roadmap(cast, world, client_of):
    t, w = cast.team.pk, world
    for name in OTHERS:
        for url in (f"/backlog/teams/{t}/epics/", f"/backlog/teams/{t}/sprints/", "/roadmap/"):
            seen_by(client_of, name, url)
        epic = figure_text(seen_by(client_of, name, f"/backlog/epics/{w.epic.pk}/"))
        assert "No key result yet" in epic, name
        sprint = figure_text(seen_by(client_of, name, f"/backlog/sprints/{w.sprint.pk}/"))
        focus = 0 if name == "employee_elsewhere" else 1  # Checkout's KR is team-visible
        assert f"Focus key results {focus}" in sprint and "1 of 2 open stories" in sprint, name
        roadmap = figure_text(seen_by(client_of, name, "/roadmap/"))
        assert "Billing Serves no key result yet" in roadmap, name
    lead = client_of("lead")
    assert HIDDEN_KR in lead.get(f"/backlog/epics/{w.epic.pk}/").content.decode()
    sprint = figure_text(lead.get(f"/backlog/sprints/{w.sprint.pk}/").content.decode())
    assert "Focus key results 2" in sprint and "1 of 2 open stories" in sprint  # coverage leaves it out
    assert "Billing On track: Hidden number" in figure_text(lead.get("/roadmap/").content.decode())


def test_health_metrics_and_value_dimensions(cast, world, client_of):
    for name in OTHERS:
        for url in ("/health/", "/value-dimensions/", f"/health/{world.refunds.pk}/"):
            seen_by(client_of, name, url)
        board = figure_text(seen_by(client_of, name, "/health/board/"))
        if name in CHECKOUT_READERS:
            assert "Guards: Checkout p95" in board, name
        else:
            assert "Guards" not in board, name
    assert "Guards: Checkout p95 , Hidden number" in figure_text(
        client_of("lead").get("/health/board/").content.decode()
    )


def test_public_objective_and_key_result_pages_and_forms(cast, world, client_of):
    w = world
    urls = (
        f"/objectives/{w.dept.pk}/",
        f"/objectives/{w.team.pk}/",
        f"/key-results/{w.latency.pk}/",
        f"/key-results/{w.deploys.pk}/",
    )
    for name in OTHERS:
        # Aligned below the company objective, contributing to its KR: the public ones only.
        company = figure_text(seen_by(client_of, name, f"/objectives/{w.company.pk}/"))
        assert "Aligned below it Engineering ships faster Engineering · 33 %" in company, name
        revenue = seen_by(client_of, name, f"/key-results/{w.revenue.pk}/")
        assert "Objectives contributing" not in revenue, name
        for url in urls:  # 200, or 404 where the viewer may not see a team objective: never a trace of it
            status, html = page(client_of(name), url)
            assert status in (200, 404) and leaked(html) == [], (name, url)
    # The objective form lists parents and KRs to contribute to: the visible ones.
    for name, url in (("leadership", "/objectives/add/"), ("lead", f"/objectives/add/?team={cast.team.pk}")):
        status, html = page(client_of(name), url)
        assert status == 200 and (HIDDEN_KR in html) == (name == "lead"), name
    lead = figure_text(client_of("lead").get(f"/key-results/{w.revenue.pk}/").content.decode())
    assert f"Objectives contributing {SECRET}" in lead


def test_the_private_objectives_own_pages_are_404(cast, world, client_of):
    w = world
    checkin = w.hidden.checkins.order_by("-week").first()
    urls = [
        f"/objectives/{w.secret.pk}/",
        f"/objectives/{w.secret.pk}/edit/",
        f"/objectives/{w.secret.pk}/key-results/add/",
        f"/key-results/{w.hidden.pk}/",
        f"/key-results/{w.hidden.pk}/edit/",
    ]
    for name in (*OTHERS, "outsider"):
        client = client_of(name)
        for url in urls:
            status, html = page(client, url)
            assert status == 404 and leaked(html) == [], (name, url)
        # Writing to it answers 404 too, and changes nothing.
        past_week = {"week": str(checkin.week - timedelta(weeks=2)), "past-value": "1", "past-confidence": "0.5"}
        assert client.post(f"/key-results/{w.hidden.pk}/check-ins/", past_week).status_code == 404, name
        this_week = {"value": "1", "confidence": "0.5"}  # My week's row form posts to the KR's id
        assert client.post(f"/check-ins/{w.hidden.pk}/", this_week).status_code == 404, name
    assert w.hidden.checkins.count() == 2 and w.hidden.checkins.get(week=checkin.week).value == 100
    lead = client_of("lead")
    for url in urls[:2] + urls[3:5]:
        assert lead.get(url).status_code == 200, url


def test_stored_rollups_leave_the_private_objective_out(cast, client_of):
    """The company KR takes its progress from the objectives aligned to it; the private one aligns under
    the company objective and contributes to that KR, at 100 %: the stored figures do not move."""
    world = build_public(cast)
    before = {
        "revenue": KeyResult.objects.get(pk=world.revenue.pk).progress,
        "company": Objective.objects.get(pk=world.company.pk).progress,
        "status": Objective.objects.get(pk=world.company.pk).status,
    }
    add_secret(cast, world)
    assert world.hidden.checkins.count() == 2 and KeyResult.objects.get(pk=world.hidden.pk).progress == 1.0
    assert KeyResult.objects.get(pk=world.revenue.pk).progress == pytest.approx(before["revenue"])
    assert before["revenue"] == pytest.approx(1 / 3)  # the department's (4 − 1) ÷ (10 − 1), alone
    company = Objective.objects.get(pk=world.company.pk)
    assert (company.progress, company.status) == (pytest.approx(before["company"]), before["status"])
    snapshot = ObjectiveSnapshot.objects.get(objective=world.company, day=org_today(cast.org))
    assert snapshot.progress == pytest.approx(1 / 3)


def test_people_teams_and_home(cast, world, client_of):
    for name in (*OTHERS, "outsider"):
        for url in ("/", "/people/", "/teams/", f"/people/{cast.lead.pk}/", f"/teams/{cast.team.pk}/people/"):
            _status, html = page(client_of(name), url)
            assert leaked(html) == [], (name, url)


def test_the_frames_search_and_its_dropdown(cast, world, client_of):
    """No word of the private trail finds any of it, on the page or in the dropdown, nor moves a count."""
    dropdown = {"HX-Request": "true", "HX-Target": "frame-search-popup"}
    for name in (*OTHERS, "outsider"):
        for query in ("acquisition", "number", "memo", "head", "lawyers", "billing"):
            seen_by(client_of, name, f"/search/?q={query}")
            seen_by(client_of, name, f"/search/?q={query}", **dropdown)
        text = figure_text(seen_by(client_of, name, "/search/?q=acquisition"))
        assert "Nothing matches “acquisition”" in text, name
    lead = client_of("lead")
    assert SECRET in lead.get("/search/?q=acquisition").content.decode()
    assert HIDDEN_KR in lead.get("/search/?q=number", headers=dropdown).content.decode()


# --- Another organisation ----------------------------------------------------------------------------


def test_the_outsider_sees_only_globex_and_acme_only_acme(cast, world, client_of):
    outsider = client_of("outsider")
    for url in page_urls(cast, world):  # Acme's pages: 404, or the outsider's own organisation's
        _status, html = page(outsider, url)
        assert leaked(html, SECRET_MARKS + ACME_MARKS) == [], url
    globex_team = cast.outsider_team.pk
    for url in ("/okrs/?team=company", "/cascade/?open=c", "/heatmap/?expand=all", f"/backlog/?team={globex_team}"):
        seen_by(client_of, "outsider", url)
    assert "Globex plan" in outsider.get("/okrs/?team=company").content.decode()
    assert "Globex story" in outsider.get(f"/backlog/?team={globex_team}").content.decode()
    # Globex's objects answer 404 to Acme's admin; Acme's lists (checked above with every page) hold none.
    admin = client_of("admin")
    for url in (f"/objectives/{world.globex.pk}/", f"/key-results/{world.globex_kr.pk}/", f"/teams/{globex_team}/"):
        assert admin.get(url).status_code == 404, url


# --- The API -------------------------------------------------------------------------------------------

API_LISTS = (
    "/api/v1/objectives/",
    "/api/v1/key-results/",
    "/api/v1/check-ins/",
    "/api/v1/links/",
    "/api/v1/stories/",
    "/api/v1/epics/",
    "/api/v1/sprints/",
    "/api/v1/themes/",
    "/api/v1/health-metrics/",
    "/api/v1/metric-readings/",
    "/api/v1/cycles/",
    "/api/v1/value-dimensions/",
    "/api/v1/teams/",
)


def api_rows(api: APIClient, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200, (url, response.status_code)
    body = response.json()
    assert body["count"] == len(body["results"]), url  # the count is of what the caller sees
    return body["results"]


def test_api_lists_hold_nothing_private(cast, world):
    w = world
    for name in (*OTHERS, "outsider"):
        api = api_client(persona(cast, name))
        marks = SECRET_MARKS + (ACME_MARKS if name == "outsider" else GLOBEX_MARKS)
        for url in API_LISTS:
            assert leaked(api.get(url).content.decode(), marks) == [], (name, url)
        assert w.secret.pk not in {o["id"] for o in api_rows(api, "/api/v1/objectives/")}, name
        assert w.hidden.pk not in {kr["id"] for kr in api_rows(api, "/api/v1/key-results/")}, name
        assert w.hidden.pk not in {c["key_result"] for c in api_rows(api, "/api/v1/check-ins/")}, name
        assert w.hidden.pk not in {link["key_result"] for link in api_rows(api, "/api/v1/links/")}, name
        # Ids of the private objective and KR do not show through the work that serves them either.
        for theme in api_rows(api, "/api/v1/themes/"):
            assert w.secret.pk not in theme["objectives"], (name, theme)
        for sprint in api_rows(api, "/api/v1/sprints/"):
            assert w.hidden.pk not in sprint["focus_key_results"], (name, sprint)
    expected = {"admin": 3, "leadership": 3, "member": 3, "employee_elsewhere": 2, "outsider": 1}
    for name, count in expected.items():
        assert api_client(persona(cast, name)).get("/api/v1/objectives/").json()["count"] == count, name
    lead = api_client(cast.lead)
    assert w.secret.pk in {o["id"] for o in api_rows(lead, "/api/v1/objectives/")}
    assert HIDDEN_KR in lead.get("/api/v1/key-results/").content.decode()
    assert "Initech lawyers" in lead.get("/api/v1/check-ins/").content.decode()
    assert w.secret.pk in next(t for t in api_rows(lead, "/api/v1/themes/") if t["id"] == w.billing.pk)["objectives"]
    assert w.hidden.pk in api_rows(lead, "/api/v1/sprints/")[0]["focus_key_results"]


def test_api_filters_by_a_private_key_result_find_nothing(cast, world):
    w = world
    urls = (
        f"/api/v1/stories/?key_result={w.hidden.pk}",
        f"/api/v1/links/?key_result={w.hidden.pk}",
        f"/api/v1/check-ins/?key_result={w.hidden.pk}",
        f"/api/v1/objectives/?parent={w.company.pk}",
    )
    for name in (*OTHERS, "outsider"):
        api = api_client(persona(cast, name))
        for url in urls[:3]:
            response = api.get(url)
            assert response.status_code in (200, 400), (name, url)
            assert response.status_code == 400 or response.json()["results"] == [], (name, url)
            assert leaked(response.content.decode()) == [], (name, url)
        children = {o["id"] for o in api.get(urls[3]).json().get("results", [])}
        assert w.secret.pk not in children, name
    lead = api_client(cast.lead)
    assert [s["id"] for s in api_rows(lead, urls[0])] == [w.migrate.pk]
    assert len(api_rows(lead, urls[1])) == 2  # the story's link and the epic's


def test_api_private_objects_answer_404(cast, world):
    w = world
    checkin = w.hidden.checkins.order_by("-week").first()
    urls = [
        f"/api/v1/objectives/{w.secret.pk}/",
        f"/api/v1/key-results/{w.hidden.pk}/",
        f"/api/v1/check-ins/{checkin.pk}/",
        f"/api/v1/links/s{StoryLink.objects.get(story=w.migrate).pk}/",
        f"/api/v1/links/e{EpicLink.objects.get(epic=w.epic).pk}/",
    ]
    for name in (*OTHERS, "outsider"):
        api = api_client(persona(cast, name))
        for url in urls:
            response = api.get(url)
            assert response.status_code == 404 and leaked(response.content.decode()) == [], (name, url)
    lead = api_client(cast.lead)
    assert all(lead.get(url).status_code == 200 for url in urls)


def test_api_cycle_export(cast, world):
    cycle = world.team.cycle
    url = f"/api/v1/cycles/{cycle.pk}/export/"
    for name in OTHERS:
        response = api_client(persona(cast, name)).get(url)
        assert response.status_code == 200, name
        exported = response.json()
        assert leaked(json.dumps(exported)) == [] and leaked(json.dumps(exported), GLOBEX_MARKS) == [], name
        assert SECRET not in {row["objective"] for row in exported}, name
    assert api_client(cast.outsider).get(url).status_code == 404
    assert SECRET in {row["objective"] for row in api_client(cast.lead).get(url).json()}


# --- The backlog's CSV export -------------------------------------------------------------------------


def exported_rows(client, team_pk: int) -> dict[str, dict[str, str]]:
    response = client.get(reverse("backlog_export", args=[team_pk]))
    assert response.status_code == 200
    return {row["Summary"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}


def test_backlog_csv_export(cast, world, client_of):
    for name in OTHERS:
        client = client_of(name)
        response = client.get(reverse("backlog_export", args=[cast.team.pk]))
        assert response.status_code == 200 and leaked(response.content.decode()) == [], name
        rows = exported_rows(client, cast.team.pk)
        assert rows["Migrate billing"]["Key results"] == "" and rows["Billing revamp"]["Key results"] == "", name
    assert client_of("outsider").get(reverse("backlog_export", args=[cast.team.pk])).status_code == 404
    lead = exported_rows(client_of("lead"), cast.team.pk)
    assert lead["Migrate billing"]["Key results"] == HIDDEN_KR and lead["Billing revamp"]["Key results"] == HIDDEN_KR


# --- E-mails -------------------------------------------------------------------------------------------


def mails_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email]]


def mail_text(message) -> str:
    alternatives = " ".join(content for content, _ in getattr(message, "alternatives", []))
    return f"{message.subject}\n{message.body}\n{alternatives}"


def test_reminders_and_the_bell(cast, world, client_of, django_capture_on_commit_callbacks):
    """Each owner behind is reminded of their own KRs: the lead of the private one, nobody else."""
    today = org_today(cast.org)
    objective_services.key_result_create(
        objective=world.secret, title="Initech churn", start_value=10, target_value=5, owner=cast.lead, today=today
    )
    objective_services.key_result_create(
        objective=world.team, title="Checkout errors", start_value=10, target_value=5, owner=cast.member, today=today
    )
    objective_services.key_result_create(
        objective=world.globex, title="Globex KR two", start_value=0, target_value=1, owner=cast.outsider, today=today
    )
    cast.outsider_org.checkin_day = 0  # Monday: due today, whatever the day
    cast.outsider_org.save()
    with django_capture_on_commit_callbacks(execute=True):
        run = reminders.send_reminders(site_url="http://testserver")
    assert run.reminded == 3  # the lead, the member and Globex's admin
    assert "Initech churn" in mail_text(mails_to("lead@acme.test")[0])
    [member_mail] = mails_to("member@acme.test")
    assert "Checkout errors" in mail_text(member_mail) and leaked(mail_text(member_mail)) == []
    [outsider_mail] = mails_to("admin@globex.test")
    assert leaked(mail_text(outsider_mail), SECRET_MARKS + ACME_MARKS[:4]) == []
    for message in mail.outbox:
        if message.to != ["lead@acme.test"]:
            assert leaked(mail_text(message)) == [], message.to
    for name in (*OTHERS, "outsider"):
        notifications = seen_by(client_of, name, "/notifications/")
        assert leaked(notifications) == [], name


def test_weekly_digest(cast, world, monkeypatch, django_capture_on_commit_callbacks):
    """The digest of this week (sent next Monday morning): the lead's tells of the private KR's move and
    blocker; the admin's, leadership's and Globex's hold nothing of it."""
    this_monday = datetime.combine(week_of(org_today(cast.org)), time(8, 0), tzinfo=UTC)
    monkeypatch.setattr(digest.timezone, "now", lambda: this_monday + timedelta(weeks=1))
    with django_capture_on_commit_callbacks(execute=True):
        sent = digest.send_digests(site_url="http://testserver")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert sent == len(recipients) and "boss@acme.test" in recipients and "admin@globex.test" in recipients
    lead = mail_text(mails_to("lead@acme.test")[0])
    assert HIDDEN_KR in lead and "Initech lawyers" in lead
    for message in mail.outbox:
        if message.to == ["lead@acme.test"]:
            continue
        marks = SECRET_MARKS + (ACME_MARKS[:4] if message.to == ["admin@globex.test"] else GLOBEX_MARKS)
        assert leaked(mail_text(message), marks) == [], message.to
    boss = mail_text(mails_to("boss@acme.test")[0])
    assert "Checkout p95" in boss and "CDN contract" in boss  # what it does say


# --- Webhooks -------------------------------------------------------------------------------------------


def test_webhooks_send_nothing_private(cast, world, monkeypatch, django_capture_on_commit_callbacks):
    """Check-ins and pushed values on the private KR, its status changing, the sweep and closing the
    private objective record no delivery; a check-in on a public KR does (so a hook is listening)."""
    monkeypatch.setattr(webhooks, "deliveries_publish", lambda items: len(items))
    webhooks.webhook_create(
        organisation_id=cast.org.pk,
        url="https://hooks.example.com/okr",
        events=list(WebhookEvent.values),
        created_by_id=None,
    )
    w = world
    old_status = KeyResult.objects.get(pk=w.hidden.pk).status
    with django_capture_on_commit_callbacks(execute=True):
        check_in(cast.lead, w.hidden, value=10, confidence=0.1, blockers="Initech walked away")
        api_client(cast.lead).post(
            f"/api/v1/key-results/{w.hidden.pk}/values/",
            {"value": 20, "timestamp": timezone.now().isoformat()},
            format="json",
        )
        jobs.sweep(today=org_today(cast.org) + timedelta(days=30))
        objective_services.objective_update(
            objective=w.secret, title=SECRET, owner=cast.lead, visibility="private", state="closed", parent=w.company
        )
    assert KeyResult.objects.get(pk=w.hidden.pk).status != old_status  # its status did change
    assert w.hidden.checkins.filter(value=20).exists()  # and the pushed value landed
    sent = [d.payload["data"] for d in WebhookDelivery.objects.all()]
    assert leaked(json.dumps(sent)) == []
    assert w.secret.pk not in {data.get("objective", {}).get("id") for data in sent}
    assert w.hidden.pk not in {data.get("key_result", {}).get("id") for data in sent}
    with django_capture_on_commit_callbacks(execute=True):
        check_in(cast.member, w.latency, value=500, confidence=0.6)
    assert WebhookDelivery.objects.filter(event=WebhookEvent.CHECKIN_SAVED).count() == 1
