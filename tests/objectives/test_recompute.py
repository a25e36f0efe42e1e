"""The recompute engine, the outbox, the sweep, snapshots and reconcile (services, no worker).

Hand computations sit next to the figures. The cycle of these tests runs 1 Oct → 30 Dec 2026
(90 days), so expected progress on a day d is (d − 1 Oct) ÷ 90.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkins import services as checkin_services
from objectives import services
from objectives.models import (
    HealthMetric,
    KeyResult,
    KeyResultSnapshot,
    Objective,
    ObjectiveSnapshot,
    RecomputeRequest,
)
from objectives.services import jobs, outbox
from objectives.services.reconcile import reconcile
from objectives.services.snapshots import snapshots_take
from okrapp.http import Viewer
from okrapp.models import JobRun
from okrapp.timeutil import org_today
from tests.conftest import settle
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db

START, END = date(2026, 10, 1), date(2026, 12, 30)


@pytest.fixture
def cycle(cast):
    return CycleFactory(organisation=cast.org, name="Q4 hand", start_date=START, end_date=END, state="active")


@pytest.fixture
def cascade(cast, cycle):
    """company ← department ← team, each level above taking its KR's progress from the level below."""
    company = services.objective_create(
        organisation=cast.org, cycle=cycle, team=None, title="Win", owner=cast.leadership, state="active"
    )
    dept = services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.department,
        title="Ship",
        owner=cast.lead,
        state="active",
        parent=company,
    )
    team = services.objective_create(
        organisation=cast.org,
        cycle=cycle,
        team=cast.team,
        title="Fast checkout",
        owner=cast.lead,
        state="active",
        parent=dept,
    )
    company_kr = services.key_result_create(
        objective=company,
        title="From departments",
        start_value=0,
        target_value=1,
        progress_from_aligned=True,
        today=date(2026, 10, 28),
    )
    dept_kr = services.key_result_create(
        objective=dept,
        title="From teams",
        start_value=0,
        target_value=1,
        progress_from_aligned=True,
        today=date(2026, 10, 28),
    )
    team_kr = services.key_result_create(
        objective=team,
        title="Conversion",
        start_value=0,
        target_value=10,
        owner=cast.member,
        today=date(2026, 10, 28),
    )
    settle(today=date(2026, 10, 28))
    return company, dept, team, company_kr, dept_kr, team_kr


def check_in(membership, kr, *, value, confidence, today):
    return checkin_services.checkin_save(
        viewer=Viewer.load(membership.user), key_result=kr, value=value, confidence=confidence, today=today
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_a_checkin_moves_its_kr_at_once_and_the_cascade_through_the_outbox(cast, cascade):
    company, dept, team, company_kr, dept_kr, team_kr = cascade
    day = date(2026, 10, 28)  # expected 27/90 = 0.3
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=day)
    assert fresh(team_kr).progress == pytest.approx(0.4)  # (4 − 0) ÷ (10 − 0), in the request
    assert fresh(team).progress == 0.0  # the roll-ups wait for the recompute
    assert RecomputeRequest.objects.filter(key_result_id=team_kr.pk).exists()
    settle(today=day)
    assert not RecomputeRequest.objects.exists()  # deleted with the recompute's commit
    # team 0.4 → the department's aligned KR 0.4 → department 0.4 → the company's aligned KR → company 0.4
    for row in (team, dept_kr, dept, company_kr, company):
        assert fresh(row).progress == pytest.approx(0.4), row
    # r = 0.4 ÷ 0.3 ≥ 0.9 and confidence 0.8: on track all the way up
    assert (fresh(team).status, fresh(dept).status, fresh(company).status) == ("on_track",) * 3
    assert fresh(team).confidence == pytest.approx(0.8)


def test_recompute_is_idempotent(cast, cascade):
    *_, team_kr = cascade
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=date(2026, 10, 28))
    settle(today=date(2026, 10, 28))
    objective_ids = list(Objective.objects.values_list("pk", flat=True))
    assert services.recompute_objectives(objective_ids=objective_ids, today=date(2026, 10, 28)) == []


def _many(cast, cycle, count):
    objective = services.objective_create(
        organisation=cast.org, cycle=cycle, team=cast.team, title=f"Many {count}", owner=cast.lead, state="active"
    )
    metric = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name=f"Margin {count}",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
    )
    for i in range(count):
        services.key_result_create(
            objective=objective,
            title=f"KR {i}",
            start_value=0,
            target_value=10,
            current_value=i % 10,
            kfis=[metric] if i % 3 == 0 else [],
            today=date(2026, 10, 28),
        )
    settle(today=date(2026, 10, 28))


def test_the_sweep_takes_a_fixed_number_of_queries(cast, cycle, cascade):
    _many(cast, cycle, 3)
    with CaptureQueriesContext(connection) as small:
        jobs.sweep(today=date(2026, 11, 20))
    _many(cast, cycle, 40)
    KeyResult.objects.update(progress=0.5)  # every row now needs writing back, too
    with CaptureQueriesContext(connection) as large:
        jobs.sweep(today=date(2026, 11, 21))
    assert KeyResult.objects.count() > 45
    assert len(large) == len(small) + 1  # + the one bulk UPDATE of the KRs; nothing per row
    assert len(large) <= 12


def test_running_the_sweep_twice_is_a_no_op(cast, cascade):
    *_, team_kr = cascade
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=date(2026, 10, 28))
    settle(today=date(2026, 10, 28))
    first, _ = jobs.sweep(today=date(2026, 11, 20))
    assert first > 0  # time moved: expected progress, statuses
    stamps = list(KeyResult.objects.order_by("pk").values_list("computed_at", flat=True))
    second, summary = jobs.sweep(today=date(2026, 11, 20))
    assert (second, summary) == (0, "0 rows changed")
    assert list(KeyResult.objects.order_by("pk").values_list("computed_at", flat=True)) == stamps


def test_the_sweep_moves_statuses_with_time_and_marks_stale(cast, cascade):
    _company, _dept, team, _ckr, _dkr, team_kr = cascade
    check_in(cast.member, team_kr, value=3, confidence=0.8, today=date(2026, 10, 28))  # week of Mon 26 Oct
    settle(today=date(2026, 10, 28))
    # 28 Oct: expected 27/90 = 0.30, progress 0.30, r = 1.0 → on track
    assert fresh(team_kr).status == "on_track"
    # 10 Nov: expected 40/90 ≈ 0.444, r = 0.3 ÷ 0.444 ≈ 0.68 < 0.7 → off track
    jobs.sweep(today=date(2026, 11, 10))
    assert (fresh(team_kr).status, fresh(team).status) == ("off_track", "off_track")
    # The check-in counts as made by Sun 1 Nov; 16 Nov is 15 days later (> 14) → stale
    jobs.sweep(today=date(2026, 11, 16))
    assert (fresh(team_kr).status, fresh(team).status) == ("stale", "stale")


def test_the_sweep_lights_metrics_from_their_latest_value(cast, cascade):
    *_, team_kr = cascade
    metric = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
    )
    services.key_result_update(
        key_result=team_kr,
        title=team_kr.title,
        kind="metric",
        start_value=0,
        target_value=10,
        owner=cast.member,
        kfis=[metric],
        today=date(2026, 10, 28),
    )
    check_in(cast.member, team_kr, value=3, confidence=0.9, today=date(2026, 10, 28))
    settle(today=date(2026, 10, 28))
    assert fresh(team_kr).status == "on_track"
    HealthMetric.objects.filter(pk=metric.pk).update(latest_value=42)  # a value whose light was never set
    jobs.sweep(today=date(2026, 10, 28))
    assert fresh(metric).light == "red"  # 42 < amber 50
    assert fresh(team_kr).status == "at_risk"  # a red KFI caps on track


def test_a_failed_recompute_keeps_its_outbox_row(cast, cascade, monkeypatch):
    *_, team_kr = cascade
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=date(2026, 10, 28))
    row = RecomputeRequest.objects.get()

    def boom(**_):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(outbox, "recompute_objectives", boom)
    with pytest.raises(RuntimeError):
        outbox.recompute_process(request_ids=[row.pk])
    row.refresh_from_db()
    assert row.attempts == 1 and "database fell over" in row.last_error
    assert outbox.outbox_drain(older_than=timedelta(0)) == 0  # the drain logs it and keeps it
    monkeypatch.undo()
    assert settle(today=date(2026, 10, 28)) == 1
    assert not RecomputeRequest.objects.exists() and fresh(cascade[2]).progress == pytest.approx(0.4)


def test_the_drain_leaves_young_rows_to_their_own_task(cast, cascade):
    *_, team_kr = cascade
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=date(2026, 10, 28))
    assert outbox.outbox_drain(older_than=timedelta(seconds=30)) == 0
    assert RecomputeRequest.objects.count() == 1
    RecomputeRequest.objects.update(created_at=RecomputeRequest.objects.get().created_at - timedelta(minutes=1))
    assert jobs.drain_job() == 1
    assert JobRun.objects.get(name=jobs.DRAIN).summary == "1 waiting request recomputed"


def test_reconcile_finds_and_fixes_every_disagreeing_value(cast, cascade):
    company, _dept, _team, _ckr, _dkr, team_kr = cascade
    check_in(cast.member, team_kr, value=4, confidence=0.8, today=date(2026, 10, 28))
    settle(today=org_today(cast.org))  # the command computes as of the organisation's real today
    assert reconcile() == []
    KeyResult.objects.filter(pk=team_kr.pk).update(current_value=9, progress=0.9)  # as if a write was lost
    Objective.objects.filter(pk=company.pk).update(status="on_track")
    found = {(f.change.model, f.change.pk, f.change.field) for f in reconcile(dry_run=True)}
    assert {
        ("key result", team_kr.pk, "current_value"),
        ("key result", team_kr.pk, "progress"),
        ("objective", company.pk, "status"),
    } <= found
    assert fresh(team_kr).current_value == 9  # dry run: nothing written
    call_command("reconcile")
    assert fresh(team_kr).current_value == 4 and fresh(team_kr).progress == pytest.approx(0.4)
    # By the real today (late November) 0.4 trails expected progress: r < 0.7, off track
    assert fresh(company).status == "off_track"
    assert reconcile() == []


def test_reconcile_command_reports_in_words(cast, cascade, capsys):
    company = cascade[0]
    Objective.objects.filter(pk=company.pk).update(progress=0.77)
    call_command("reconcile", "--dry-run")
    out = capsys.readouterr().out
    assert f"objective {company.pk} «Win»: progress 0.77 → 0" in out
    assert "would change them" in out
    assert fresh(company).progress == 0.77


def test_snapshots_back_fill_each_day_as_it_was(cast, cascade):
    _company, _dept, team, _ckr, _dkr, team_kr = cascade
    check_in(cast.member, team_kr, value=2, confidence=0.5, today=date(2026, 10, 7))  # week of Mon 5 Oct
    check_in(cast.member, team_kr, value=5, confidence=0.8, today=date(2026, 10, 21))  # week of Mon 19 Oct
    settle(today=date(2026, 10, 21))
    result = snapshots_take(today=date(2026, 10, 21), organisation=cast.org)
    days = (date(2026, 10, 21) - START).days + 1  # 1 → 21 Oct
    assert result.rows == days * (3 + 3)  # three KRs and three objectives a day
    snap = {s.day: s for s in KeyResultSnapshot.objects.filter(key_result=team_kr)}
    assert snap[date(2026, 10, 4)].status == "not_started" and snap[date(2026, 10, 4)].value == 0
    # 14 Oct counts the check-in of week 5 Oct: value 2 → 0.2; expected 13/90 ≈ 0.144 → r > 0.9;
    # confidence 0.5 → at risk
    assert (snap[date(2026, 10, 14)].value, snap[date(2026, 10, 14)].progress) == (2, pytest.approx(0.2))
    assert (snap[date(2026, 10, 14)].confidence, snap[date(2026, 10, 14)].status) == (0.5, "at_risk")
    # Today's snapshot is the live state
    live = fresh(team_kr)
    assert (snap[date(2026, 10, 21)].progress, snap[date(2026, 10, 21)].status) == (live.progress, live.status)
    team_snap = ObjectiveSnapshot.objects.get(objective=team, day=date(2026, 10, 21))
    assert (team_snap.progress, team_snap.status) == (fresh(team).progress, fresh(team).status)
    # Two days missed: the next run writes them, and rewriting is idempotent
    again = snapshots_take(today=date(2026, 10, 23), organisation=cast.org)
    assert again.first_day == date(2026, 10, 21) and again.last_day == date(2026, 10, 23)
    assert KeyResultSnapshot.objects.filter(key_result=team_kr).count() == days + 2
    before = list(KeyResultSnapshot.objects.order_by("pk").values_list("day", "value", "progress", "status"))
    snapshots_take(today=date(2026, 10, 23), organisation=cast.org)
    assert list(KeyResultSnapshot.objects.order_by("pk").values_list("day", "value", "progress", "status")) == before
