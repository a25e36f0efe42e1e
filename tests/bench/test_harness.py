"""The benchmark's own parts, so `make bench` keeps working: the weekly snapshots agree with the pure
modules, every floor endpoint answers with its figures behind the query-count header, the load run
counts what it sends, and the report writes every section (targets included) from stored runs."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import clear_url_caches

from bench import load, report
from bench.generate import SIZES, generate
from bench.http import Call, percentile
from bench.middleware import HEADER
from checkins.weeks import week_of
from objectives import progress as numbers
from objectives.models import KeyResult, KeyResultSnapshot, ObjectiveSnapshot
from okrapp.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def xs():
    today = date.today()
    generate(SIZES["XS"], slug="xs", today=today)
    return today


def test_weekly_snapshots_follow_the_series_and_the_pure_modules(xs):
    metric = KeyResult.objects.filter(kind="metric", progress_from_aligned=False).order_by("pk").first()
    snapshots = list(KeyResultSnapshot.objects.filter(key_result=metric).order_by("day"))
    assert snapshots and all(s.day.isoweekday() == 7 for s in snapshots)  # each past week's last day
    last = snapshots[-1]
    checkin = metric.checkins.get(week=week_of(last.day))
    assert last.value == checkin.value
    assert last.progress == pytest.approx(
        numbers.metric_progress(start=metric.start_value, target=metric.target_value, current=checkin.value)
    )
    assert ObjectiveSnapshot.objects.filter(objective=metric.objective, day=last.day).exists()
    assert not KeyResultSnapshot.objects.filter(day__gte=xs).exists()  # the live week is the engine's


def test_every_floor_endpoint_answers_with_its_figures(xs, client, settings):
    settings.ROOT_URLCONF = "bench.urls"  # as bench/settings.py sets them
    settings.MIDDLEWARE = ["bench.middleware.count_queries", *settings.MIDDLEWARE]
    clear_url_caches()
    person = Membership.objects.filter(organisation__slug="xs", role="employee").order_by("pk").first()
    kr = KeyResult.objects.filter(owner=person, kind="metric").first() or KeyResult.objects.first()
    client.force_login(person.user)
    team = person.team_memberships.first().team_id
    for path in (
        "/bench-floor/cascade/",
        "/bench-floor/heatmap/",
        f"/bench-floor/teams/{team}/",
        "/bench-floor/my-week/",
        f"/bench-floor/key-results/{kr.pk}/",
        f"/bench-floor/backlog/{team}/",
        "/bench-floor/coverage/",
        "/bench-floor/api/key-results/",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert int(answer[HEADER]) >= 2, path  # the session and the figures at least
        assert b"<td>" in answer.content or b'"results"' in answer.content, path
    saved = client.post(f"/bench-floor/check-ins/{kr.pk}/", {"value": "42", "confidence": "0.6"})
    assert saved.status_code == 200
    kr.refresh_from_db()
    assert (kr.current_value, kr.confidence) == (42.0, 0.6)
    assert kr.checkins.get(week=date.today() - timedelta(days=date.today().weekday())).value == 42.0
    clear_url_caches()


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 41)]  # 1 … 40
    assert percentile(values, 0.95) == 38.0 and percentile(values, 0.5) == 20.0


def test_the_load_run_counts_what_it_sends(monkeypatch):
    sent = []

    def fake_send(port, call, **kwargs):
        sent.append(call.name)
        return type("Answer", (), {"status": 500 if call.name == "bad" else 200, "ms": 5.0})()

    monkeypatch.setattr(load, "send", fake_send)
    people = [lambda rng: Call("good", "/"), lambda rng: Call("bad", "/")]
    result = load.run(1, people, seconds=0.2, think=None)
    figures = result.figures()
    assert figures["requests"] + figures["errors"] == len(sent) > 0
    assert figures["errors"] == sent.count("bad") and figures["p50_ms"] == 5.0


def _run(size: str, p50: float) -> dict:
    page = {"p50": p50, "p95": p50 * 2, "n": 40.0, "queries": [12], "statuses": [200]}
    floor = {"p50": p50 / 2, "p95": p50, "n": 40.0, "queries": [3], "statuses": [200]}
    names = [*report.PAGE_TARGETS_MS, "Heatmap"]
    return {
        "size": size,
        "date": "2026-11-23",
        "machine": {"system": "Linux", "cpu": "cpu", "cores": 2, "memory": "24 GiB", "python": "3.11"},
        "postgres": "PostgreSQL 15",
        "rows": {"teams": 5},
        "generate_seconds": 10.0,
        "sweep": [{"seconds": 0.5, "queries": 10, "changes": 3}, {"seconds": 0.4, "queries": 10, "changes": 1}],
        "pages": {name: {"page": page, "floor": floor} for name in names},
        "load": {"offered_rps": 25.0, "achieved_rps": 24.0, "requests": 1440, "errors": 0, "p50_ms": 20, "p95_ms": 90},
        "saturation": {
            "offered_rps": None,
            "achieved_rps": 80.0,
            "requests": 1600,
            "errors": 0,
            "p50_ms": 50,
            "p95_ms": 300,
        },
        "rss_mb": {"web_workers": [110.0, 120.0], "web_master": 25.0, "celery_main": 100.0, "celery_children": [90.0]},
    }


def test_the_report_has_every_section_and_judges_the_targets(tmp_path):
    (tmp_path / "S.json").write_text(json.dumps(_run("S", 10.0)))
    (tmp_path / "M.json").write_text(json.dumps(_run("M", 30.0)))
    out = tmp_path / "RESULTS.md"
    report.write(tmp_path, out)
    text = out.read_text()
    for heading in ("## Runs", "## Pages", "## Full recompute sweep", "## Load", "## Memory", "## Targets at M"):
        assert heading in text
    assert "| Team page | 10.0 / 20.0 | 30.0 / 60.0 | 5.0 | 2.0× | 15.0 | 2.0× | 12 / 12 |" in text
    assert "| Team page median ≤ 25 ms | 30.0 ms | **no** |" in text  # 30 ms misses the 25 ms target
    assert "| Company cascade median ≤ 35 ms | 30.0 ms | yes |" in text
    assert "| Web worker ≤ 150 MB RSS | 120 MB (largest worker) | yes |" in text
