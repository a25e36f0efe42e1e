"""Filters by id resolve within what the viewer may see (issue 19, finding 7): an id of something the
viewer may not see answers exactly as an id that does not exist, on every id filter of every API list
and of the backlog page. Otherwise a list is an existence oracle: ``/api/v1/objectives/?parent=16``
listed the visible children of private objective 16 (1 row), and none for an id that does not exist.

And an id filter takes ids only: anything else is a 400 in the API's one error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backlog import services as backlog_services
from objectives.models import Cycle
from okrapp.models import Membership
from tests.factories import CycleFactory
from tests.security.sweep import World, build_world

pytestmark = pytest.mark.django_db

NOWHERE = 2**62  # an id no row has

Hidden = Callable[[World], Any]  # the object of the world that the persona may not see


def _people(world: World, persona: str) -> Membership:
    return world.people[persona]


# (API list, filter, who asks, what they may not see: an object whose id the filter names)
API_FILTERS: list[tuple[str, str, str, Hidden]] = [
    # Admins do not see a team's private objective; its company-visible child would tell it exists.
    ("objective-list", "parent", "admin", lambda w: w.objective["private"]),
    ("objective-list", "cycle", "admin", lambda w: _other_cycle(w)),
    ("objective-list", "team", "guest", lambda w: w.team["growth"]),
    ("key-result-list", "objective", "admin", lambda w: w.objective["private"]),
    ("key-result-list", "cycle", "admin", lambda w: _other_cycle(w)),
    ("key-result-list", "team", "guest", lambda w: w.team["growth"]),
    ("key-result-list", "owner", "guest", lambda w: w.people["elsewhere"]),
    ("health-metric-list", "team", "guest", lambda w: w.team["growth"]),
    # A guest sees their own team, not the department above it: its children would tell it exists.
    ("team-list", "parent", "guest", lambda w: w.cast.department),
    ("epic-list", "team", "guest", lambda w: w.team["growth"]),
    ("epic-list", "theme", "admin", lambda w: _other_theme(w)),
    ("story-list", "team", "guest", lambda w: w.team["growth"]),
    ("story-list", "epic", "guest", lambda w: w.epic["growth"]),
    ("story-list", "sprint", "guest", lambda w: w.sprint["growth"]),
    ("story-list", "assignee", "guest", lambda w: w.people["elsewhere"]),
    ("story-list", "key_result", "admin", lambda w: w.kr["private"]),
    ("sprint-list", "team", "guest", lambda w: w.team["growth"]),
    ("check-in-list", "key_result", "admin", lambda w: w.kr["private"]),
    ("metric-reading-list", "metric", "guest", lambda w: w.metric["growth"]),
    ("link-list", "key_result", "admin", lambda w: w.kr["private"]),
    ("link-list", "story", "guest", lambda w: w.story["growth"]),
    ("link-list", "epic", "guest", lambda w: w.epic["growth"]),
]


def _other_cycle(world: World) -> Cycle:
    return CycleFactory(organisation=world.cast.outsider_org, name="Globex Q4")


def _other_theme(world: World) -> Any:
    return backlog_services.theme_save(organisation=world.cast.outsider_org, title="Globex theme")


@pytest.fixture
def world(cast) -> World:
    world = build_world(cast)
    # Rows a hidden id would find: a Checkout story assigned to Growth's member (a guest may not see
    # them), in Growth's sprint, under Growth's epic (as the API let them be written before).
    story = world.story["company"]
    story.assignee = cast.employee_elsewhere
    story.save(update_fields=["assignee"])
    return world


def api_as(membership: Membership) -> APIClient:
    client = APIClient()
    client.force_authenticate(membership.user)
    return client


@pytest.mark.parametrize(
    ("route", "name", "persona", "hidden"), API_FILTERS, ids=[f"{r}?{n}" for r, n, *_ in API_FILTERS]
)
def test_an_api_id_filter_answers_a_hidden_id_as_one_that_does_not_exist(world, route, name, persona, hidden):
    client = api_as(_people(world, persona))
    url = reverse(route)
    secret = client.get(url, {name: hidden(world).pk})
    nothing = client.get(url, {name: NOWHERE})
    assert (secret.status_code, secret.json()) == (nothing.status_code, nothing.json())
    assert nothing.status_code == 200 and nothing.json()["count"] == 0


def test_the_oracle_of_the_report_is_closed(world):
    """The finding as reported: a company-visible objective aligned to a private one it may not see."""
    client = api_as(world.cast.admin)
    child = world.child["private"]
    listed = client.get(reverse("objective-list"), {"parent": world.objective["private"].pk}).json()
    assert listed["count"] == 0
    everything = client.get(reverse("objective-list")).json()["results"]
    assert child.pk in {row["id"] for row in everything}  # the child itself stays visible, its parent unnamed


@pytest.mark.parametrize("value", ["²", "١", "5" * 5000, "9" * 20, "-1", "0", "1e9", "1.5", "\x00", "x"])
@pytest.mark.parametrize(
    ("route", "name"), sorted({(route, name) for route, name, *_ in API_FILTERS}), ids=lambda item: str(item)
)
def test_an_api_id_filter_refuses_what_is_not_an_id(cast, route, name, value):
    answer = api_as(cast.admin).get(reverse(route), {name: value})
    assert answer.status_code == 400
    message = (
        "No such id: ids are whole numbers from 1 to 9223372036854775807."
        if value.isascii() and value.isdigit()  # digits, but 0 or beyond PostgreSQL's bigint
        else "Not an id: send a whole number such as 42."
    )
    assert answer.json() == {"errors": [{"field": name, "message": message}]}


@pytest.mark.parametrize(
    ("name", "value"),
    [("page", "0"), ("page", "²"), ("page", "5" * 5000), ("page_size", "0"), ("page_size", "201"), ("page_size", "x")],
)
def test_api_pages_are_whole_numbers_in_range(cast, name, value):
    answer = api_as(cast.member).get(reverse("objective-list"), {name: value})
    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == [name]


@pytest.mark.parametrize(
    ("route", "name"),
    [("check-in-list", "week"), ("check-in-list", "week_from"), ("metric-reading-list", "taken_from")],
)
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2026-13-01", "\x00"])
def test_api_date_filters_take_dates_within_the_products_years(cast, route, name, value):
    answer = api_as(cast.member).get(reverse(route), {name: value})
    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == [name]


# --- The backlog page's filters ----------------------------------------------------------------------

PAGE_FILTERS: list[tuple[str, str, Hidden]] = [
    ("kr", "admin", lambda w: w.kr["private"]),
    ("sprint", "guest", lambda w: w.sprint["growth"]),
    ("assignee", "guest", lambda w: w.people["elsewhere"]),
]


@pytest.mark.parametrize(("name", "persona", "hidden"), PAGE_FILTERS, ids=[name for name, *_ in PAGE_FILTERS])
def test_a_backlog_filter_answers_a_hidden_id_as_one_that_does_not_exist(client, world, name, persona, hidden):
    client.force_login(world.people[persona].user)
    team = world.team["checkout"].pk
    secret = client.get(reverse("backlog"), {"team": team, "status": "all", name: hidden(world).pk})
    nothing = client.get(reverse("backlog"), {"team": team, "status": "all", name: NOWHERE})
    assert secret.status_code == nothing.status_code == 200
    assert [row.story.pk for row in secret.context["rows"]] == [row.story.pk for row in nothing.context["rows"]]


@pytest.mark.parametrize("name", ["team", "kr", "sprint", "assignee", "page"])
@pytest.mark.parametrize("value", ["²", "5" * 5000, "9" * 20, "\x00"])
def test_a_backlog_filter_that_is_no_id_answers_400_with_its_message(client, cast, name, value):
    client.force_login(cast.member.user)
    answer = client.get(reverse("backlog"), {"team": cast.team.pk, name: value} if name != "team" else {name: value})
    assert answer.status_code == 400
    assert f"{name}: " in answer.content.decode()
