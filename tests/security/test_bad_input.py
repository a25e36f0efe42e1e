"""The inputs of issue 19's finding 4, one by one: each answered 500; each now answers 400 with its
message (a page for a plain request, the message alone for htmx). The parameter fuzz
(test_input_fuzz.py) holds every other route and parameter to the same."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backlog import services as backlog_services

pytestmark = pytest.mark.django_db

HUGE = "5" * 5000  # beyond int()'s digit limit


@pytest.fixture
def story(cast) -> Any:
    return backlog_services.story_save(organisation=cast.org, team=cast.team, title="Faster checkout")


@pytest.fixture
def theme(cast) -> Any:
    return backlog_services.theme_save(organisation=cast.org, title="Payments")


@pytest.mark.parametrize("value", ["²", HUGE])
@pytest.mark.parametrize("name", ["team", "kr", "assignee", "sprint", "page"])
def test_the_backlogs_filters(login, cast, name, value):
    answer = login(cast.member).get(
        reverse("backlog"), {name: value} | ({} if name == "team" else {"team": cast.team.pk})
    )
    assert answer.status_code == 400
    assert f"{name}: " in answer.content.decode()


@pytest.mark.parametrize("value", ["²", HUGE])
def test_the_heatmaps_objective(login, cast, value):
    answer = login(cast.member).get(reverse("heatmap_rows"), {"objective": value})
    assert answer.status_code == 400


@pytest.mark.parametrize("value", ["²", HUGE])
@pytest.mark.parametrize("name", ["team", "cycle"])
def test_the_okrs_scope(login, cast, name, value):
    assert login(cast.member).get(reverse("okrs"), {name: value}).status_code == 400


@pytest.mark.parametrize("value", ["²", HUGE])
def test_a_themes_move_before(login, cast, theme, value):
    answer = login(cast.lead).post(reverse("theme_move", args=[theme.pk]), {"lane": "next", "before": value})
    assert answer.status_code == 400
    assert ("before: No such id" if value == HUGE else "before: Not an id") in answer.content.decode()


@pytest.mark.parametrize("value", ["²", HUGE])
def test_the_story_kr_field_of_the_link_picker(login, cast, story, value):
    field = f"s{story.pk}-key_result"
    answer = login(cast.member).post(
        reverse("story_link", args=[story.pk]), {field: value, f"s{story.pk}-impact": "10 %"}
    )
    assert answer.status_code == 400


def test_a_nul_in_the_kr_pickers_search(login, cast, story):
    answer = login(cast.member).get(reverse("story_link", args=[story.pk]), {"q": "a\x00b"})
    assert answer.status_code == 400
    assert "q: Text cannot hold a NUL character." in answer.content.decode()


def test_an_htmx_request_gets_the_message_alone(login, cast, story):
    answer = login(cast.member).get(reverse("story_link", args=[story.pk]), {"q": "\x00"}, HTTP_HX_REQUEST="true")
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "q: Text cannot hold a NUL character." in page and "<html" not in page


def test_a_plain_request_gets_the_page_with_the_message(login, cast):
    answer = login(cast.member).get(reverse("backlog"), {"team": "²"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "<html" in page and "team: Not an id: send a whole number such as 42." in page


@pytest.mark.parametrize("resource", ["objectives", "key-results", "teams", "stories", "check-ins"])
def test_an_api_id_in_the_path_too_long_for_int_is_not_found(cast, resource):
    client = APIClient()
    client.force_authenticate(cast.member.user)
    answer = client.get(f"/api/v1/{resource}/{HUGE}/")
    assert answer.status_code == 404
    assert answer.json() == {"errors": [{"field": None, "message": "Not found, or not visible to you."}]}


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "2026-12-14"), ("2026-12-01", "9999-12-31")])
def test_a_sprint_lies_within_the_products_years(login, cast, start, end):
    answer = login(cast.lead).post(
        reverse("sprint_list", args=[cast.team.pk]), {"name": "Long", "start_date": start, "end_date": end}
    )
    assert answer.status_code == 422
    assert "Dates lie between 2000 and 2100." in answer.content.decode()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_reading_lies_within_the_products_years(login, cast, day):
    from objectives import services as objective_services

    metric = objective_services.health_metric_save(
        organisation=cast.org, team=cast.team, name="Margin", direction="higher", green_threshold=60, amber_threshold=50
    )
    answer = login(cast.lead).post(reverse("health_metric_detail", args=[metric.pk]), {"taken_on": day, "value": 55})
    assert answer.status_code == 422
    assert "Dates lie between 2000 and 2100." in answer.content.decode()
