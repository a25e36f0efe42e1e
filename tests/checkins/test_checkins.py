"""Check-ins: one per KR per week, the KR follows its latest, validation per field, permissions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins import services
from checkins.models import CheckIn
from checkins.weeks import week_of, weeks_between
from objectives import services as objective_services
from okrapp.http import Viewer
from tests.conftest import TODAY, settle

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
THIS_WEEK = week_of(TODAY)  # Mon 16 Nov 2026


@pytest.fixture
def latency(cast, okrs):
    return objective_services.key_result_create(
        objective=okrs[2],
        title="API p95 latency",
        start_value=800,
        target_value=300,
        current_value=800,
        unit="ms",
        owner=cast.member,
        today=TODAY,
    )


def viewer(membership):
    return Viewer.load(membership.user)


def test_weeks():
    assert week_of(date(2026, 11, 22)) == date(2026, 11, 16)  # Sunday → its Monday
    assert week_of(date(2026, 11, 16)) == date(2026, 11, 16)
    assert weeks_between(date(2026, 10, 1), date(2026, 10, 20)) == [
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 19),
    ]


def test_checkin_moves_the_kr_and_saving_again_updates(cast, latency):
    services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=500, confidence=0.6, today=TODAY)
    services.checkin_save(
        viewer=viewer(cast.member), key_result=latency, value=350, confidence=0.8, blockers="Cache warm-up", today=TODAY
    )
    assert CheckIn.objects.count() == 1
    latency.refresh_from_db()
    assert (latency.current_value, latency.confidence, latency.progress) == (350, 0.8, pytest.approx(0.9))
    assert latency.status == "on_track"  # 0.9 ÷ expected (46/91 ≈ 0.505) ≥ 0.9 and confidence 0.8


def test_the_latest_week_wins_even_when_an_earlier_week_is_filled_late(cast, latency):
    services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=400, confidence=0.7, today=TODAY)
    services.checkin_save(
        viewer=viewer(cast.member),
        key_result=latency,
        week=THIS_WEEK - timedelta(weeks=2),
        value=700,
        confidence=0.3,
        today=TODAY,
    )
    latency.refresh_from_db()
    assert (latency.current_value, latency.confidence) == (400, 0.7)
    assert CheckIn.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"value": 400, "confidence": 1.5}, "confidence", "between 0.0 and 1.0"),
        ({"value": 400, "confidence": -0.1}, "confidence", "between 0.0 and 1.0"),
        ({"value": 400, "confidence": None}, "confidence", "Give your confidence"),
        ({"value": None, "confidence": 0.5}, "value", "as a number"),
        ({"value": float("nan"), "confidence": 0.5}, "value", "as a number"),
        ({"value": 400, "confidence": 0.5, "week": THIS_WEEK + timedelta(weeks=1)}, "week", "not started yet"),
        ({"value": 400, "confidence": 0.5, "week": date(2026, 9, 7)}, "week", "outside Q4 2026"),
        ({"value": 400, "confidence": 0.5, "week": date(2026, 11, 18)}, "week", "its Monday"),
    ],
)
def test_bad_checkins_are_refused_and_the_previous_stays(cast, latency, kwargs, field, message):
    services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=600, confidence=0.5, today=TODAY)
    with pytest.raises(ValidationError) as excinfo:
        services.checkin_save(viewer=viewer(cast.member), key_result=latency, today=TODAY, **kwargs)
    assert message in " ".join(excinfo.value.message_dict[field])
    latency.refresh_from_db()
    assert (latency.current_value, latency.confidence) == (600, 0.5)
    assert CheckIn.objects.get().value == 600


def test_who_may_check_in(cast, latency):
    latency.contributors.add(cast.teammate)
    for who in (cast.member, cast.teammate, cast.lead):
        services.checkin_save(viewer=viewer(who), key_result=latency, value=500, confidence=0.5, today=TODAY)
    for who in (cast.guest, cast.admin, cast.employee_elsewhere):
        with pytest.raises(PermissionDenied):
            services.checkin_save(viewer=viewer(who), key_result=latency, value=1, confidence=0.5, today=TODAY)
    assert CheckIn.objects.get().author == cast.lead


def test_guardrail_share_and_milestone(cast, okrs):
    guard = objective_services.key_result_create(
        objective=okrs[2],
        title="Uptime",
        kind="guardrail",
        bound=99.95,
        bound_keep="above",
        owner=cast.member,
        today=TODAY,
    )
    for weeks_ago, value in ((3, 99.97), (2, 99.90), (1, 99.96), (0, 99.99)):
        services.checkin_save(
            viewer=viewer(cast.member),
            key_result=guard,
            week=THIS_WEEK - timedelta(weeks=weeks_ago),
            value=value,
            confidence=0.8,
            today=TODAY,
        )
    guard.refresh_from_db()
    assert (guard.guardrail_kept, guard.guardrail_total, guard.progress, guard.status) == (3, 4, 0.75, "on_track")
    milestone = objective_services.key_result_create(
        objective=okrs[2], title="Audit", kind="milestone", owner=cast.member, today=TODAY
    )
    services.checkin_save(viewer=viewer(cast.member), key_result=milestone, done=True, confidence=1.0, today=TODAY)
    milestone.refresh_from_db()
    assert (milestone.done, milestone.progress, milestone.status) == (True, 1.0, "done")


def test_my_week_page_and_inline_save(login, cast, latency, django_assert_max_num_queries):
    client = login(cast.member)
    with django_assert_max_num_queries(16):  # 11 or 12, and 5 for "My stories" (backlog.assignees.my_open_stories)
        page = client.get(reverse("my_week")).content.decode()
    assert "API p95 latency" in page and f'name="kr{latency.pk}-confidence"' in page
    prefix = f"kr{latency.pk}"
    refused = client.post(
        reverse("checkin_row", args=[latency.pk]), {f"{prefix}-value": "350", f"{prefix}-confidence": "abc"}, **HTMX
    )
    assert refused.status_code == 422
    assert "Enter a number." in refused.content.decode() and "<html" not in refused.content.decode()
    assert not CheckIn.objects.exists()
    saved = client.post(
        reverse("checkin_row", args=[latency.pk]), {f"{prefix}-value": "350", f"{prefix}-confidence": "0.8"}, **HTMX
    )
    body = saved.content.decode()
    assert saved.status_code == 200 and "✓ Saved" in body and "On track" in body and "90 %" in body


def test_my_week_lists_only_my_key_results(login, cast, latency, okrs):
    objective_services.key_result_create(
        objective=okrs[2], title="Someone else's", kind="milestone", owner=cast.teammate, today=TODAY
    )
    body = login(cast.member).get(reverse("my_week")).content.decode()
    assert "API p95 latency" in body and "Someone else&#x27;s" not in body


def test_checkin_on_an_invisible_kr_is_404(login, cast, latency):
    prefix = f"kr{latency.pk}"
    response = login(cast.outsider).post(
        reverse("checkin_row", args=[latency.pk]), {f"{prefix}-value": "1", f"{prefix}-confidence": "0.5"}, **HTMX
    )
    assert response.status_code == 404
    assert (
        login(cast.guest)
        .post(reverse("checkin_row", args=[latency.pk]), {f"{prefix}-value": "1", f"{prefix}-confidence": "0.5"})
        .status_code
        == 403
    )


def test_past_week_from_the_kr_page(login, cast, latency):
    client = login(cast.member)
    week = THIS_WEEK - timedelta(weeks=3)
    response = client.post(
        reverse("checkin_week", args=[latency.pk]),
        {"week": week.isoformat(), "past-value": "650", "past-confidence": "0.4"},
    )
    assert response.status_code == 302
    assert CheckIn.objects.get().week == week


def test_readings_on_the_health_metric_page_light_it_and_cap_its_krs(login, cast, okrs, latency):
    from objectives.models import HealthMetric

    metric = objective_services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name="Gross margin",
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
        unit="%",
    )
    objective_services.key_result_update(key_result=latency, kfis=[metric], today=TODAY)
    services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=350, confidence=0.9, today=TODAY)
    url = reverse("health_metric_detail", args=[metric.pk])
    client = login(cast.lead)
    assert "Save reading" in client.get(url).content.decode()
    bad = client.post(url, {"taken_on": "2999-01-01", "value": "abc"})
    assert bad.status_code == 422 and "Enter a number." in bad.content.decode()
    assert client.post(url, {"taken_on": "2026-11-20", "value": "42", "note": "Discounts"}).status_code == 302
    metric = HealthMetric.objects.get(pk=metric.pk)
    settle(today=date(2026, 11, 20))
    latency.refresh_from_db()
    assert (metric.latest_value, metric.light) == (42, "red")
    assert latency.status == "at_risk"  # a red KFI caps on track
    assert login(cast.member).post(url, {"taken_on": "2026-11-20", "value": "70"}).status_code == 403
    assert login(cast.outsider).get(url).status_code == 404


def test_team_meeting_and_compliance(login, cast, okrs, latency, django_assert_max_num_queries):
    other = objective_services.key_result_create(
        objective=okrs[2], title="Conversion", start_value=1, target_value=2, owner=cast.teammate, today=TODAY
    )
    week = week_of(date.today())
    services.checkin_save(
        viewer=viewer(cast.member), key_result=latency, week=week - timedelta(weeks=1), value=500, confidence=0.5
    )
    services.checkin_save(
        viewer=viewer(cast.member),
        key_result=latency,
        value=400,
        confidence=0.7,
        blockers="Waiting on the CDN contract",
    )
    client = login(cast.member)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("team_meeting", args=[cast.team.pk])).content.decode()
    assert "1 of 2 key results checked in (50 %)" in body
    assert "Waiting on the CDN contract" in body and "▲" in body  # confidence up from 0.5 to 0.7
    assert "Conversion" in body.split("Not updated this week")[1]
    assert login(cast.outsider).get(reverse("team_meeting", args=[cast.team.pk])).status_code == 404
    page = login(cast.member).get(reverse("compliance")).content.decode()
    assert "<dd>1 of 2</dd>" in page and "<dd>50 %</dd>" in page
    assert "<dd>0 of 0</dd>" in login(cast.outsider).get(reverse("compliance")).content.decode()
    del other


def test_demo_kr_page_chart_shows_value_target_expected_and_forecast(client, db, settings):
    import io

    from django.core.management import call_command

    from objectives.models import KeyResult

    settings.DEBUG = True  # load_demo refuses otherwise (its logins share one password)
    call_command("load_demo", stdout=io.StringIO())
    kr = KeyResult.objects.get(title="API p95 latency")
    client.force_login(kr.owner.user)
    body = client.get(reverse("key_result_detail", args=[kr.pk])).content.decode()
    for part in (
        'class="trend-values"',
        'class="trend-target"',
        'class="trend-expected"',
        'class="trend-forecast"',
        'class="trend-confidence"',
        "Forecast: ",
        "<desc id=",
    ):
        assert part in body, part


def test_a_late_correction_does_not_make_a_kr_fresh(cast, latency):
    from datetime import datetime

    from checkins.services import series_summary

    old_week = THIS_WEEK - timedelta(weeks=3)
    services.checkin_save(
        viewer=viewer(cast.member), key_result=latency, week=old_week, value=600, confidence=0.5, today=TODAY
    )
    summary = series_summary(latency)
    assert summary.last_checkin_at is not None
    assert summary.last_checkin_at <= datetime.combine(old_week + timedelta(days=7), datetime.min.time()).astimezone()


def test_correcting_a_past_value_keeps_its_notes(login, cast, latency):
    week = THIS_WEEK - timedelta(weeks=2)
    services.checkin_save(
        viewer=viewer(cast.member),
        key_result=latency,
        week=week,
        value=650,
        confidence=0.4,
        what_changed="Cache rollout",
        blockers="CDN",
        today=TODAY,
    )
    login(cast.member).post(
        reverse("checkin_week", args=[latency.pk]),
        {"week": week.isoformat(), "past-value": "640", "past-confidence": "0.4"},
    )
    checkin = CheckIn.objects.get(week=week)
    assert (checkin.value, checkin.what_changed, checkin.blockers) == (640, "Cache rollout", "CDN")


def test_huge_values_are_refused(cast, latency):
    with pytest.raises(ValidationError):
        services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=1e300, confidence=0.5, today=TODAY)


def test_changing_a_guardrail_bound_recounts_its_checkins(cast, okrs):
    guard = objective_services.key_result_create(
        objective=okrs[2],
        title="Uptime",
        kind="guardrail",
        bound=99.95,
        bound_keep="above",
        owner=cast.member,
        today=TODAY,
    )
    for weeks_ago, value in ((2, 99.97), (1, 99.93), (0, 99.96)):
        services.checkin_save(
            viewer=viewer(cast.member),
            key_result=guard,
            week=THIS_WEEK - timedelta(weeks=weeks_ago),
            value=value,
            confidence=0.8,
            today=TODAY,
        )
    guard.refresh_from_db()
    assert (guard.guardrail_kept, guard.guardrail_total) == (2, 3)
    objective_services.key_result_update(key_result=guard, bound=99.9, today=TODAY)
    guard.refresh_from_db()
    assert (guard.guardrail_kept, guard.guardrail_total, guard.progress) == (3, 3, 1.0)


def test_my_week_query_count_is_the_same_at_two_sizes(login, cast, okrs, latency):
    """One KR with one check-in, then eight KRs over two objectives, each with check-ins of two weeks."""
    services.checkin_save(viewer=viewer(cast.member), key_result=latency, value=500, confidence=0.6, today=TODAY)
    client = login(cast.member)
    client.get(reverse("my_week"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("my_week")).status_code == 200
    for i in range(7):
        kr = objective_services.key_result_create(
            objective=okrs[i % 2 + 1], title=f"KR {i}", start_value=0, target_value=10, owner=cast.member, today=TODAY
        )
        for week in (THIS_WEEK - timedelta(weeks=1), THIS_WEEK):
            services.checkin_save(
                viewer=viewer(cast.member), key_result=kr, value=i, confidence=0.5, week=week, today=TODAY
            )
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("my_week")).content.decode()
    assert "KR 6" in page
    assert len(large) == len(small)


def test_a_guardrail_page_says_it_has_no_forecast(login, cast, okrs):
    uptime = objective_services.key_result_create(
        objective=okrs[2],
        title="Uptime",
        kind="guardrail",
        bound=99.9,
        bound_keep="above",
        owner=cast.member,
        today=TODAY,
    )
    for weeks_ago in (2, 1, 0):
        services.checkin_save(
            viewer=viewer(cast.member),
            key_result=uptime,
            value=99.95,
            confidence=0.8,
            week=THIS_WEEK - timedelta(weeks=weeks_ago),
            today=TODAY,
        )
    page = login(cast.member).get(reverse("key_result_detail", args=[uptime.pk])).content.decode()
    assert "it has no forecast" in page and "A forecast needs three check-ins" not in page
