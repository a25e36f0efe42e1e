"""Services of goals: validation per field, stored numbers from progress.py, the cascade."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from objectives import services
from objectives.models import KeyResult, Objective
from tests.conftest import settle
from tests.factories import CycleFactory, ObjectiveFactory
from tests.objectives.conftest import TODAY

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_metric_kr_progress_is_stored_from_progress_py(okrs):
    _, _, team = okrs
    kr = services.key_result_create(
        objective=team,
        title="API p95 latency",
        kind="metric",
        start_value=800,
        target_value=300,
        current_value=350,
        unit="ms",
        today=TODAY,
    )
    kr.refresh_from_db()
    settle()
    team.refresh_from_db()
    assert kr.progress == pytest.approx(0.9)
    assert kr.status == "not_started"  # no check-in yet
    assert team.progress == pytest.approx(0.9)
    assert team.status == "not_started"


def test_objective_progress_is_weighted(okrs):
    _, _, team = okrs
    services.key_result_create(
        objective=team, title="A", start_value=0, target_value=100, current_value=50, today=TODAY
    )
    services.key_result_create(
        objective=team, title="B", start_value=0, target_value=10, current_value=10, weight=3, today=TODAY
    )
    settle()
    team.refresh_from_db()
    assert team.progress == pytest.approx((0.5 * 1 + 1.0 * 3) / 4)


def test_metric_without_current_starts_at_start(okrs):
    kr = services.key_result_create(objective=okrs[2], title="NPS", start_value=20, target_value=45, today=TODAY)
    assert kr.current_value == 20 and kr.progress == 0.0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "metric", "start_value": 5, "target_value": 5}, "target_value", "differ from the start"),
        ({"kind": "metric", "start_value": None, "target_value": 5}, "start_value", "needs a start value"),
        ({"kind": "metric", "start_value": 1, "target_value": float("nan")}, "target_value", "needs a target"),
        ({"kind": "guardrail", "bound": None, "bound_keep": "above"}, "bound", "needs the bound"),
        ({"kind": "guardrail", "bound": 99.95, "bound_keep": ""}, "bound_keep", "above or below"),
        ({"kind": "milestone", "weight": 0}, "weight", "above 0"),
        ({"kind": "milestone", "title": "  "}, "title", "Give the key result a title"),
    ],
)
def test_bad_kr_definitions_are_refused_per_field(okrs, fields, field, message):
    values = {"title": "Something measurable", **fields}
    with pytest.raises(ValidationError) as excinfo:
        services.key_result_create(objective=okrs[2], today=TODAY, **values)
    assert message in " ".join(errors_of(excinfo)[field])
    assert not KeyResult.objects.exists()


def test_update_refused_changes_nothing(okrs):
    kr = services.key_result_create(objective=okrs[2], title="NPS", start_value=20, target_value=45, today=TODAY)
    with pytest.raises(ValidationError):
        services.key_result_update(key_result=kr, title="NPS", start_value=45, target_value=45, today=TODAY)
    kr.refresh_from_db()
    assert (kr.start_value, kr.target_value) == (20, 45)


def test_guardrail_and_milestone_progress(okrs):
    guard = services.key_result_create(
        objective=okrs[2], title="Uptime", kind="guardrail", bound=99.95, bound_keep="above", unit="%", today=TODAY
    )
    KeyResult.objects.filter(pk=guard.pk).update(guardrail_kept=3, guardrail_total=4)
    guard = services.recompute_key_result(key_result_id=guard.pk, today=TODAY)
    assert guard.progress == 0.75
    milestone = services.key_result_create(objective=okrs[2], title="PCI audit passed", kind="milestone", today=TODAY)
    assert milestone.progress == 0.0
    milestone = services.key_result_update(key_result=milestone, done=True, today=TODAY)
    assert milestone.progress == 1.0


def test_status_after_a_checkin_summary(okrs):
    """Once check-ins hand over a summary, the status follows the bands (progress 0.9 vs expected ~0.505)."""
    from django.utils import timezone

    kr = services.key_result_create(
        objective=okrs[2], title="Latency", start_value=800, target_value=300, current_value=350, today=TODAY
    )
    KeyResult.objects.filter(pk=kr.pk).update(confidence=0.5, last_checkin_at=timezone.now())
    services.recompute_objectives(objective_ids=[kr.objective_id], today=timezone.localdate())
    kr.refresh_from_db()
    assert kr.status == "at_risk"  # the confidence band (0.5) is worse than the progress band
    okrs[2].refresh_from_db()
    assert okrs[2].status == "at_risk" and okrs[2].confidence == 0.5


def test_aligned_kr_takes_progress_from_contributing_objectives(cast, okrs):
    company, dept, team = okrs
    aligned = services.key_result_create(
        objective=company,
        title="Checkout conversion",
        kind="metric",
        start_value=1,
        target_value=2,
        progress_from_aligned=True,
        today=TODAY,
    )
    services.objective_update(
        objective=team,
        title=team.title,
        owner=team.owner,
        visibility="team",
        state="active",
        parent=dept,
        contributes_to=[aligned],
    )
    from django.utils import timezone

    kr = services.key_result_create(
        objective=team, title="Conv", start_value=0, target_value=10, current_value=4, today=TODAY
    )
    KeyResult.objects.filter(pk=kr.pk).update(confidence=0.8, last_checkin_at=timezone.now())
    services.recompute_objectives(objective_ids=[kr.objective_id], today=TODAY)
    aligned.refresh_from_db()
    company.refresh_from_db()
    assert aligned.progress == pytest.approx(0.4)
    assert company.progress == pytest.approx(0.4)


def test_private_objectives_stay_out_of_aligned_rollups(cast, okrs, quarter):
    company = okrs[0]
    aligned = services.key_result_create(
        objective=company, title="Aligned", start_value=0, target_value=1, progress_from_aligned=True, today=TODAY
    )
    secret = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Secret plan",
        owner=cast.lead,
        visibility="private",
        state="active",
        contributes_to=[aligned],
    )
    from django.utils import timezone

    kr = services.key_result_create(
        objective=secret, title="x", start_value=0, target_value=10, current_value=9, today=TODAY
    )
    KeyResult.objects.filter(pk=kr.pk).update(confidence=0.9, last_checkin_at=timezone.now())
    services.recompute_objectives(objective_ids=[kr.objective_id], today=TODAY)
    aligned.refresh_from_db()
    assert aligned.progress == 0.0 and aligned.status == "not_started"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ("loop", "parent", "loop"),
        ("self", "parent", "loop"),
        ("foreign_parent", "parent", "another organisation"),
        ("closed_parent", "parent", "closed"),
        ("team_visible_company", "visibility", "not to a team"),
    ],
)
def test_bad_objective_changes(cast, okrs, quarter, change, field, message):
    company, _dept, team = okrs
    kwargs = {
        "objective": company,
        "title": company.title,
        "owner": company.owner,
        "visibility": "company",
        "state": "active",
        "parent": None,
    }
    if change == "loop":
        kwargs["parent"] = team  # company → dept → team → company
    elif change == "self":
        kwargs["parent"] = company
    elif change == "foreign_parent":
        kwargs["parent"] = ObjectiveFactory(organisation=cast.outsider_org)
    elif change == "closed_parent":
        old = CycleFactory(
            organisation=cast.org,
            name="Q3 2026",
            state="closed",
            start_date=date(2026, 7, 1),
            end_date=date(2026, 9, 30),
        )
        kwargs["parent"] = ObjectiveFactory(organisation=cast.org, cycle=old)
    elif change == "team_visible_company":
        kwargs["visibility"] = "team"
    with pytest.raises(ValidationError) as excinfo:
        services.objective_update(**kwargs)
    assert message in " ".join(errors_of(excinfo)[field])
    company.refresh_from_db()
    assert company.parent is None and company.visibility == "company"


def test_quarter_objective_may_align_to_the_year(cast):
    year = CycleFactory(
        organisation=cast.org, name="2026", kind="year", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    q4 = services.cycle_create(
        organisation=cast.org,
        name="Q4",
        kind="quarter",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 12, 31),
        parent=year,
    )
    yearly = ObjectiveFactory(organisation=cast.org, cycle=year)
    child = services.objective_create(
        organisation=cast.org, cycle=q4, team=cast.team, title="Q4 step", owner=cast.lead, parent=yearly
    )
    assert child.parent == yearly


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(date(2026, 3, 31), date(2026, 1, 1), "end_date"), (date(2026, 1, 1), date(2026, 1, 1), "end_date")],
)
def test_cycle_dates(cast, start, end, field):
    with pytest.raises(ValidationError) as excinfo:
        services.cycle_create(organisation=cast.org, name="Bad", kind="custom", start_date=start, end_date=end)
    assert field in errors_of(excinfo)


def test_quarter_must_sit_inside_its_year(cast):
    year = CycleFactory(
        organisation=cast.org, name="2026", kind="year", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    with pytest.raises(ValidationError) as excinfo:
        services.cycle_create(
            organisation=cast.org,
            name="Q1 2027",
            kind="quarter",
            start_date=date(2027, 1, 1),
            end_date=date(2027, 3, 31),
            parent=year,
        )
    assert "inside 2026" in errors_of(excinfo)["parent"][0]


def test_cycle_close_grades_every_kr(okrs, quarter):
    a = services.key_result_create(
        objective=okrs[2], title="A", start_value=0, target_value=3, current_value=2, today=TODAY
    )
    b = services.key_result_create(
        objective=okrs[2], title="B", start_value=0, target_value=4, current_value=1, today=TODAY
    )
    with pytest.raises(ValidationError) as excinfo:
        services.cycle_close(cycle=quarter, grades={b.pk: (0.5, "")})
    assert "Say why" in errors_of(excinfo)["grade_reason"][0]
    services.cycle_close(cycle=quarter, grades={b.pk: (0.5, "Scope cut by half in November")})
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.grade == 0.67 and b.grade == 0.5 and b.grade_reason.startswith("Scope")
    assert set(Objective.objects.filter(cycle=quarter).values_list("state", flat=True)) == {"closed"}
    with pytest.raises(ValidationError):
        services.cycle_close(cycle=quarter)


def test_move_and_promote(okrs):
    _company, dept, team = okrs
    kr = services.key_result_create(
        objective=team, title="Move me", start_value=0, target_value=10, current_value=5, today=TODAY
    )
    services.key_result_move(key_result=kr, objective=dept)
    settle()
    team.refresh_from_db()
    dept.refresh_from_db()
    assert team.progress is None and dept.progress == 0.5
    promoted = services.key_result_promote(key_result=kr)
    assert promoted.parent == dept and promoted.title == "Move me" and promoted.state == "draft"
    assert KeyResult.objects.get(pk=kr.pk).objective == promoted  # kept, in the new objective


def test_carry_over_copies_definitions_as_draft(cast, okrs):
    team = okrs[2]
    services.key_result_create(
        objective=team, title="Latency", start_value=800, target_value=300, current_value=500, today=TODAY
    )
    nxt = CycleFactory(
        organisation=cast.org, name="Q1 2027", state="planning", start_date=date(2027, 1, 1), end_date=date(2027, 3, 31)
    )
    copy = services.objective_carry_over(objective=team, to_cycle=nxt)
    kr = copy.key_results.get()
    assert copy.state == "draft" and copy.cycle == nxt and copy.carried_over_from == team
    assert (kr.start_value, kr.target_value, kr.current_value, kr.progress) == (500, 300, 500, 0.0)


def test_health_metric_light_and_kfi_caps_status(cast, okrs):
    from django.utils import timezone

    metric = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
        unit="%",
    )
    assert metric.light == ""
    kr = services.key_result_create(
        objective=okrs[2], title="Revenue", start_value=0, target_value=10, current_value=9, kfis=[metric], today=TODAY
    )
    KeyResult.objects.filter(pk=kr.pk).update(confidence=0.9, last_checkin_at=timezone.now())
    services.recompute_key_result(key_result_id=kr.pk, today=timezone.localdate())
    kr.refresh_from_db()
    assert kr.status == "on_track"
    metric.latest_value = 42
    metric = services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
        metric=metric,
    )
    assert metric.light == "red"
    settle(today=timezone.localdate())
    kr.refresh_from_db()
    assert kr.status == "at_risk"


def test_health_thresholds_must_follow_direction(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.health_metric_save(
            organisation=cast.org, name="Tickets", direction="lower", green_threshold=50, amber_threshold=20
        )
    assert "lower is better" in errors_of(excinfo)["green_threshold"][0]


def test_metric_with_a_zero_target(okrs):
    kr = services.key_result_create(
        objective=okrs[2], title="Open incidents", start_value=5, target_value=0, current_value=1, today=TODAY
    )
    assert kr.progress == pytest.approx(0.8)


def test_carry_over_keeps_the_start_when_the_target_was_passed(cast, okrs):
    services.key_result_create(
        objective=okrs[2], title="Latency", start_value=800, target_value=300, current_value=250, today=TODAY
    )
    nxt = CycleFactory(
        organisation=cast.org, name="Q1 2027", state="planning", start_date=date(2027, 1, 1), end_date=date(2027, 3, 31)
    )
    kr = services.objective_carry_over(objective=okrs[2], to_cycle=nxt).key_results.get()
    assert (kr.start_value, kr.target_value) == (800, 300)


def test_aligned_kr_counts_children_too(cast, okrs):
    _company, dept, _team = okrs
    aligned = services.key_result_create(
        objective=dept, title="From the teams", start_value=0, target_value=1, progress_from_aligned=True, today=TODAY
    )
    team_kr = services.key_result_create(
        objective=okrs[2], title="x", start_value=0, target_value=10, current_value=6, today=TODAY
    )
    services.recompute_objectives(objective_ids=[team_kr.objective_id], today=TODAY)
    aligned.refresh_from_db()
    assert aligned.progress == pytest.approx(0.6)  # the team objective is the department objective's child
