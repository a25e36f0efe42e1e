"""Dates within the years 2000–2100 wherever a body or a form carries one, cycles at most two years
long, and week-by-week pages bounded even by a cycle stored before that rule (issue 19, findings 4 and 5).

Before: a value or reading pushed at ``0001-01-01T00:00:00Z`` answered 500; a cycle from 0001-01-01 was
accepted, and its heatmap answered 23.5 MB in 15 s."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

import pytest
from django.urls import reverse
from rest_framework import serializers

from backlog import jira
from objectives import services
from objectives.models import Cycle
from okrapp.parsing import MAX_CYCLE_DAYS, BadInput
from tests.api.test_resources import client_for, errors
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "Dates lie between 2000 and 2100."
MAX_WEEKS = MAX_CYCLE_DAYS // 7 + 2  # the weeks two years can touch


@pytest.fixture
def kr(cast, okrs):
    return services.key_result_create(
        objective=okrs[2], title="API p95", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )


@pytest.fixture
def metric(cast):
    return services.health_metric_save(
        organisation=cast.org, team=cast.team, name="Margin", direction="higher", green_threshold=60, amber_threshold=50
    )


def field_errors(response) -> dict[str | None, str]:
    return {e["field"]: e["message"] for e in errors(response)}


# --- Pushed timestamps (a 500 before) --------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "1999-12-31T12:00:00Z"])
def test_a_value_pushed_far_outside_the_years_is_a_400_naming_the_timestamp(cast, kr, timestamp):
    answer = client_for(cast.member).post(
        f"/api/v1/key-results/{kr.pk}/values/", {"value": 500, "timestamp": timestamp}, format="json"
    )
    assert answer.status_code == 400
    assert field_errors(answer) == {"timestamp": OUT_OF_RANGE}
    assert not kr.checkins.exists()


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00Z", "2101-01-01T00:00:00Z"])
def test_a_reading_pushed_far_outside_the_years_is_a_400_naming_the_timestamp(cast, metric, timestamp):
    answer = client_for(cast.lead).post(
        f"/api/v1/health-metrics/{metric.pk}/readings/", {"value": 55, "timestamp": timestamp}, format="json"
    )
    assert answer.status_code == 400
    assert field_errors(answer) == {"timestamp": OUT_OF_RANGE}
    assert not metric.readings.exists()


def test_a_timestamp_that_is_no_timestamp_keeps_drf_s_own_message(cast, metric):
    answer = client_for(cast.lead).post(
        f"/api/v1/health-metrics/{metric.pk}/readings/", {"value": 55, "timestamp": "yesterday"}, format="json"
    )
    assert answer.status_code == 400 and "format" in field_errors(answer)["timestamp"]


# --- Dates in bodies -----------------------------------------------------------------------------------


def test_dates_of_every_body_are_bounded(cast, kr, metric):
    admin, lead, member = client_for(cast.admin), client_for(cast.lead), client_for(cast.member)
    cycle = admin.post(
        "/api/v1/cycles/", {"name": "Ancient", "start_date": "0001-01-01", "end_date": "0001-03-31"}, format="json"
    )
    assert cycle.status_code == 400
    assert field_errors(cycle) == {"start_date": OUT_OF_RANGE, "end_date": OUT_OF_RANGE}
    sprint = lead.post(
        "/api/v1/sprints/",
        {"team": cast.team.pk, "name": "S1", "start_date": "1999-12-31", "end_date": "2101-01-01"},
        format="json",
    )
    assert field_errors(sprint) == {"start_date": OUT_OF_RANGE, "end_date": OUT_OF_RANGE}
    checkin = member.post(
        "/api/v1/check-ins/", {"key_result": kr.pk, "value": 1, "confidence": 0.5, "week": "0001-01-01"}, format="json"
    )
    assert field_errors(checkin) == {"week": OUT_OF_RANGE}
    reading = lead.post(
        "/api/v1/metric-readings/", {"metric": metric.pk, "taken_on": "2101-01-01", "value": 1}, format="json"
    )
    assert field_errors(reading) == {"taken_on": OUT_OF_RANGE}
    assert not Cycle.objects.filter(name="Ancient").exists()


def test_every_api_input_bounds_its_dates():
    """Every input serializer (the classes not named ``…Serializer``, which only answer) reads its dates
    and timestamps through the one bounded field, so a new input cannot forget the rule."""
    import backlog.api
    import checkins.api
    import objectives.api
    import objectives.api_key_results
    import okrapp.api.views
    from okrapp.api.base import BoundedDateField, BoundedDateTimeField, full_input

    inputs = set()
    for module in (objectives.api, objectives.api_key_results, checkins.api, backlog.api, okrapp.api.views):
        for _name, value in inspect.getmembers(module, inspect.isclass):
            ours = issubclass(value, serializers.Serializer) and value.__module__ == module.__name__
            if ours and not value.__name__.endswith("Serializer"):
                inputs |= {value, full_input(value)}
    dated = 0
    for input_class in inputs:
        for name, field in input_class().fields.items():
            if isinstance(field, serializers.DateTimeField):
                assert isinstance(field, BoundedDateTimeField), f"{input_class.__name__}.{name}"
                dated += 1
            elif isinstance(field, serializers.DateField):
                assert isinstance(field, BoundedDateField), f"{input_class.__name__}.{name}"
                dated += 1
    assert dated >= 8  # cycles' and sprints' two dates (POST and PUT), a check-in's week, readings, pushes


# --- Cycles: at most two years, in the service --------------------------------------------------------


def test_a_cycle_lasts_at_most_two_years_whatever_the_door(cast, login):
    two_years = {"name": "FY27-28", "kind": "year", "start_date": "2027-01-01", "end_date": "2028-12-31"}
    admin = client_for(cast.admin)
    assert admin.post("/api/v1/cycles/", two_years, format="json").status_code == 201
    longer = admin.post("/api/v1/cycles/", {**two_years, "name": "FY27-29", "end_date": "2029-01-02"}, format="json")
    assert longer.status_code == 400
    assert field_errors(longer) == {
        "end_date": "A cycle lasts at most two years: split a longer period into several cycles."
    }
    backwards = admin.post("/api/v1/cycles/", {**two_years, "name": "Back", "end_date": "2026-12-31"}, format="json")
    assert field_errors(backwards) == {"end_date": "The cycle must end after it starts."}
    with pytest.raises(Exception, match="at most two years"):
        services.cycle_create(
            organisation=cast.org, name="Long", kind="year", start_date=date(2030, 1, 1), end_date=date(2033, 1, 1)
        )
    page = login(cast.admin).post(
        reverse("cycle_list"), {"name": "FY30-33", "kind": "year", "start_date": "2030-01-01", "end_date": "2033-01-01"}
    )
    assert page.status_code == 422
    assert "at most two years" in str(page.context["form"].errors["end_date"])
    assert not Cycle.objects.filter(name__in=["FY27-29", "Long", "FY30-33"]).exists()


def test_a_cycle_put_cannot_stretch_it_beyond_two_years(cast, quarter):
    answer = client_for(cast.admin).patch(f"/api/v1/cycles/{quarter.pk}/", {"start_date": "2020-01-01"}, format="json")
    assert answer.status_code == 400 and "end_date" in field_errors(answer)
    quarter.refresh_from_db()
    assert quarter.start_date == date(2026, 10, 1)


# --- Page forms: a message by the field ---------------------------------------------------------------


def test_page_forms_refuse_dates_outside_the_years_by_the_field(cast, login, metric):
    admin = login(cast.admin)
    cycle = admin.post(
        reverse("cycle_list"), {"name": "Old", "kind": "quarter", "start_date": "0001-01-01", "end_date": "0001-03-31"}
    )
    assert cycle.status_code == 422
    assert cycle.context["form"].errors["start_date"] == [OUT_OF_RANGE]
    lead = login(cast.lead)
    sprint = lead.post(
        reverse("sprint_list", args=[cast.team.pk]),
        {"name": "S1", "start_date": "1999-01-04", "end_date": "2026-11-20"},
    )
    assert sprint.status_code == 422 and sprint.context["form"].errors["start_date"] == [OUT_OF_RANGE]
    reading = lead.post(reverse("health_metric_detail", args=[metric.pk]), {"taken_on": "2101-01-01", "value": 3})
    assert reading.status_code == 422 and reading.context["reading_form"].errors["taken_on"] == [OUT_OF_RANGE]
    assert OUT_OF_RANGE in reading.content.decode()


def test_a_jira_resolved_date_outside_the_years_is_a_row_problem():
    with pytest.raises(BadInput):
        jira.parse_resolved("0001-01-01 00:00")
    with pytest.raises(BadInput):
        jira.parse_resolved("2101-01-01T00:00:00")
    assert jira.parse_resolved("2024-11-12 15:45").year == 2024


# --- Pages that draw a cycle week by week --------------------------------------------------------------


def _stored_without_the_rule(cast, *, start: date, end: date) -> Cycle:
    """A cycle as one created before cycles had a maximum length (the service would refuse it now)."""
    return Cycle.objects.create(
        organisation=cast.org, name=f"Legacy {start:%Y}", kind="year", start_date=start, end_date=end
    )


def test_a_two_year_cycle_gives_a_bounded_heatmap_and_so_does_an_older_longer_one(cast, login):
    two_years = services.cycle_create(
        organisation=cast.org,
        name="Two years",
        kind="year",
        start_date=date.today() - timedelta(days=MAX_CYCLE_DAYS - 1),
        end_date=date.today(),
    )
    legacy = _stored_without_the_rule(cast, start=date(2000, 1, 1), end=date(2100, 12, 31))
    for cycle in (two_years, legacy):
        services.objective_create(
            organisation=cast.org, cycle=cycle, team=cast.team, title=f"Goal {cycle.pk}", owner=cast.lead
        )
    client = login(cast.member)
    sizes = {}
    for cycle in (two_years, legacy):
        page = client.get(reverse("heatmap"), {"cycle": cycle.pk, "expand": "all"})
        assert page.status_code == 200
        weeks = page.context["heatmap"].weeks
        assert 100 <= len(weeks) <= MAX_WEEKS
        assert weeks[-1] == date.today() - timedelta(days=date.today().weekday())  # the latest weeks are drawn
        sizes[cycle.pk] = len(page.content)
    assert sizes[legacy.pk] < 2 * sizes[two_years.pk] < 1_000_000


def test_the_key_result_page_of_an_older_longer_cycle_stays_bounded(cast, login):
    legacy = _stored_without_the_rule(cast, start=date(2000, 1, 1), end=date(2100, 12, 31))
    objective = services.objective_create(
        organisation=cast.org, cycle=legacy, team=cast.team, title="Old goal", owner=cast.lead, state="active"
    )
    kr = services.key_result_create(
        objective=objective, title="Latency", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )
    page = login(cast.member).get(reverse("key_result_detail", args=[kr.pk]))
    assert page.status_code == 200
    assert len(page.context["past_weeks"]) <= MAX_WEEKS
    assert len(page.context["chart"].x_labels) <= 26
    assert len(page.content) < 1_000_000


@pytest.mark.parametrize("week", ["0001-01-01", "2101-01-03", "²"])
def test_a_past_week_outside_the_years_is_bad_input(cast, kr, login, week):
    answer = login(cast.member).post(
        reverse("checkin_week", args=[kr.pk]), {"week": week, "past-value": "650", "past-confidence": "0.4"}
    )
    assert answer.status_code == 400
    assert not kr.checkins.exists()
