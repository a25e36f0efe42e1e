"""The cast: one organisation with a department and two teams, a person of every role, and an
outsider from another organisation who must get 404 on everything of theirs."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from objectives import services as objective_services
from objectives.models import Cycle
from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamRole
from tests.factories import CycleFactory, MembershipFactory, OrganisationFactory, TeamFactory, TeamMembershipFactory

BASE_DIR = Path(__file__).resolve().parents[1]


@dataclass
class Cast:
    org: Organisation
    department: Team
    team: Team
    other_team: Team
    admin: Membership
    leadership: Membership
    lead: Membership
    member: Membership
    teammate: Membership
    guest: Membership
    employee_elsewhere: Membership
    outsider_org: Organisation
    outsider_team: Team
    outsider: Membership


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects stored passwords, not test fixtures."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# What the example names tests register webhooks with resolve to (RFC 2606 names; a public address).
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example")
PUBLIC_TEST_ADDRESS = "93.184.215.14"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@pytest.fixture(autouse=True)
def webhook_network(monkeypatch) -> dict[str, list[str]]:
    """Webhook hosts are resolved and connected to; in tests neither leaves 127.0.0.0/8. Names resolve from
    the table returned (a test may add to it): localhost, and every name under an example domain to a
    public address; any other is not found. A connection to an address outside 127.0.0.0/8 fails the
    test (``pytest.fail`` is no OSError: the sender cannot swallow it)."""
    from okrapp import webhook_targets, webhook_transport

    names: dict[str, list[str]] = {"localhost": ["127.0.0.1"]}

    def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return names[host]
        if any(host == domain or host.endswith(f".{domain}") for domain in EXAMPLE_DOMAINS):
            return [PUBLIC_TEST_ADDRESS]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    real_open_socket = webhook_transport.open_socket

    def loopback_only(addresses, port, timeout):
        for address in addresses:
            if ipaddress.ip_address(address) not in LOOPBACK:
                pytest.fail(f"a test tried to send a webhook to {address}, outside 127.0.0.0/8")
        return real_open_socket(addresses, port, timeout)

    monkeypatch.setattr(webhook_targets, "resolve_host", resolve)
    monkeypatch.setattr(webhook_transport, "open_socket", loopback_only)
    return names


@pytest.fixture
def cast(db) -> Cast:
    org = OrganisationFactory(name="Acme", slug="acme")
    department = TeamFactory(organisation=org, name="Engineering")
    team = TeamFactory(organisation=org, name="Checkout", parent=department)
    other_team = TeamFactory(organisation=org, name="Growth")

    def person(email: str, role: str = CompanyRole.EMPLOYEE) -> Membership:
        name = email.split("@")[0].title()
        return MembershipFactory(organisation=org, role=role, user__email=email, user__full_name=name)

    admin = person("admin@acme.test", CompanyRole.ADMIN)
    leadership = person("boss@acme.test", CompanyRole.LEADERSHIP)
    lead = person("lead@acme.test")
    member = person("member@acme.test")
    teammate = person("mate@acme.test")
    guest = person("guest@acme.test")
    employee_elsewhere = person("growth@acme.test")
    TeamMembershipFactory(team=team, membership=lead, role=TeamRole.LEAD)
    TeamMembershipFactory(team=team, membership=member, role=TeamRole.MEMBER)
    TeamMembershipFactory(team=team, membership=teammate, role=TeamRole.MEMBER)
    TeamMembershipFactory(team=team, membership=guest, role=TeamRole.GUEST)
    TeamMembershipFactory(team=other_team, membership=employee_elsewhere, role=TeamRole.MEMBER)

    outsider_org = OrganisationFactory(name="Globex", slug="globex")
    outsider_team = TeamFactory(organisation=outsider_org, name="Globex Checkout")
    outsider = MembershipFactory(organisation=outsider_org, role=CompanyRole.ADMIN, user__email="admin@globex.test")
    TeamMembershipFactory(team=outsider_team, membership=outsider, role=TeamRole.LEAD)
    return Cast(
        org,
        department,
        team,
        other_team,
        admin,
        leadership,
        lead,
        member,
        teammate,
        guest,
        employee_elsewhere,
        outsider_org,
        outsider_team,
        outsider,
    )


@pytest.fixture
def login(client):
    """Sign the test client in as a membership's user."""

    def _login(membership: Membership):
        client.force_login(membership.user)
        return client

    return _login


TODAY = date(2026, 11, 16)  # 46 of the quarter's 91 days: expected progress 46/91 ≈ 0.505


@pytest.fixture
def quarter(cast) -> Cycle:
    # Ends no earlier than two months from the real today, so pages that use the clock stay inside it.
    end = max(date(2026, 12, 31), date.today() + timedelta(days=60))
    return CycleFactory(organisation=cast.org, name="Q4 2026", start_date=date(2026, 10, 1), end_date=end)


@pytest.fixture
def okrs(cast, quarter):
    """A company objective with a department and a team objective aligned under it."""
    company = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=None,
        title="Customers love paying us",
        owner=cast.leadership,
        state="active",
    )
    dept = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.department,
        title="Engineering ships faster",
        owner=cast.lead,
        visibility="company",
        state="active",
        parent=company,
    )
    team = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Checkout is fast",
        owner=cast.lead,
        visibility="team",
        state="active",
        parent=dept,
    )
    return company, dept, team


def worker_database_url() -> str:
    """The URL of the test database, for a process this test starts (a worker reads committed rows)."""
    settings_dict = connection.settings_dict
    host = settings_dict["HOST"]
    netloc = (
        f"{settings_dict['USER']}@{host}:{settings_dict['PORT']}"
        if not host.startswith("/")
        else f"{settings_dict['USER']}@"
    )
    query = f"?host={host}" if host.startswith("/") else ""
    return f"postgres://{netloc}/{settings_dict['NAME']}{query}"


def start_worker(*, broker_url: str | None = None) -> subprocess.Popen:
    """A `celery worker` process on the test database and this run's Redis queue (or ``broker_url``)."""
    env = dict(os.environ)
    env["DATABASE_URL"] = worker_database_url()
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    assert env["CELERY_BROKER_URL"].startswith("redis://"), "the worker test runs against Redis"
    from okrapp.celery import app

    # Messages earlier tests published and no worker took (their rows are gone) would only delay this one.
    app.control.purge()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "okrapp",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def worker():
    """A real worker for the test (needs a transactional database: it reads committed rows)."""
    process = start_worker()
    yield process
    stop_worker(process)


def settle(today: date = TODAY) -> int:
    """Run every recompute the outbox holds, as the task would after commit (no worker, no eager mode):
    for tests of services whose roll-ups above the KR follow through the outbox."""
    from objectives.services.outbox import outbox_drain

    return outbox_drain(older_than=timedelta(0), today=today)


def wait_for(predicate, timeout: float = 30.0):
    """Poll until ``predicate()`` is truthy (returns it) or the time runs out (returns None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return None
