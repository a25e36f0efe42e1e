"""PUT means the whole resource (issue 19, finding 4): a PUT that leaves out a writable field answers 400
naming each missing field and changes nothing (it used to reach the service without it: a 500, or the
field quietly reset to its default); a PUT of the whole resource goes through; PATCH stays partial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from objectives import services
from okrapp.api.base import PUT_REQUIRED
from tests.api.test_resources import client_for, errors
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    url: str
    writer: str  # the cast member who may write it
    body: Callable[[Any, Any], dict[str, Any]]  # (cast, world) → the fields a POST requires
    missing: frozenset[str]  # what a PUT of only those fields leaves out


@pytest.fixture
def world(cast, okrs):
    kr = services.key_result_create(
        objective=okrs[2], title="API p95", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )
    metric = services.health_metric_save(
        organisation=cast.org, team=cast.team, name="Margin", direction="higher", green_threshold=60, amber_threshold=50
    )
    return {"quarter": okrs[0].cycle, "objective": okrs[2], "kr": kr, "metric": metric}


CASES = {
    "teams": Case("/api/v1/teams/", "admin", lambda c, w: {"name": "Payments"}, frozenset({"parent", "mission"})),
    "cycles": Case(
        "/api/v1/cycles/",
        "admin",
        lambda c, w: {"name": "Q1 2027", "start_date": "2027-01-01", "end_date": "2027-03-31"},
        frozenset({"kind", "parent"}),
    ),
    "value-dimensions": Case(
        "/api/v1/value-dimensions/", "admin", lambda c, w: {"name": "Trust"}, frozenset({"description"})
    ),
    "objectives": Case(
        "/api/v1/objectives/",
        "lead",
        lambda c, w: {"cycle": w["quarter"].pk, "team": c.team.pk, "title": "Pay in one tap", "owner": c.lead.pk},
        frozenset(
            {"description", "visibility", "state", "parent", "value_dimension", "contributes_to", "stretch"}
        ),  # team is sent: a POST without it makes a company objective, which a lead may not
    ),
    "key-results": Case(
        "/api/v1/key-results/",
        "lead",
        lambda c, w: {"objective": w["objective"].pk, "title": "Errors below 1 %", "start_value": 3, "target_value": 1},
        frozenset(
            {
                "description",
                "kind",
                "owner",
                "contributors",
                "weight",
                "measure",
                "stretch",
                "unit",
                "current_value",
                "bound",
                "bound_keep",
                "done",
                "progress_from_aligned",
                "kfis",
            }
        ),
    ),
    "health-metrics": Case(
        "/api/v1/health-metrics/",
        "admin",
        lambda c, w: {"name": "Retention", "green_threshold": 90, "amber_threshold": 80},
        frozenset({"team", "description", "unit", "direction", "owner"}),
    ),
    "check-ins": Case(
        "/api/v1/check-ins/",
        "member",
        lambda c, w: {"key_result": w["kr"].pk, "confidence": 0.6, "value": 700},
        frozenset({"week", "done", "what_changed", "next_steps", "blockers"}),
    ),
    "metric-readings": Case(
        "/api/v1/metric-readings/",
        "lead",
        lambda c, w: {"metric": w["metric"].pk, "taken_on": TODAY.isoformat(), "value": 55},
        frozenset({"note"}),
    ),
    "themes": Case(
        "/api/v1/themes/", "admin", lambda c, w: {"title": "Payments"}, frozenset({"description", "lane", "objectives"})
    ),
    "epics": Case(
        "/api/v1/epics/",
        "lead",
        lambda c, w: {"team": c.team.pk, "title": "One-tap pay"},
        frozenset(
            {"theme", "parent", "status", "owner", "context", "higher_intent", "my_intent", "key_implied_tasks"}
            | {"boundaries"}
        ),
    ),
    "stories": Case(
        "/api/v1/stories/",
        "member",
        lambda c, w: {"team": c.team.pk, "title": "Remember the card"},
        frozenset({"epic", "sprint", "description", "points", "status", "assignee"}),
    ),
    "sprints": Case(
        "/api/v1/sprints/",
        "lead",
        lambda c, w: {"team": c.team.pk, "name": "Sprint 9", "start_date": "2026-11-16", "end_date": "2026-11-27"},
        frozenset({"goal", "focus_key_results"}),
    ),
}


def test_every_resource_with_a_put_is_in_the_table():
    """A new resource with a PUT must join the table (and so get the tests below)."""
    from okrapp.api_urls import v1

    routed = set()
    for entry in v1:
        patterns = getattr(entry, "url_patterns", [entry])
        for pattern in patterns:
            view = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", {})
            if view is not None and "put" in actions and "put" in view.http_method_names:
                routed.add(str(pattern.pattern).lstrip("^").split("/")[0])
    assert routed == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_put_of_only_the_required_fields_names_each_missing_one_and_changes_nothing(name, cast, world):
    case = CASES[name]
    api = client_for(getattr(cast, case.writer))
    sent = case.body(cast, world)
    created = api.post(case.url, sent, format="json")
    assert created.status_code == 201, created.json()
    url = f"{case.url}{created.json()['id']}/"
    before = api.get(url)

    answer = api.put(url, sent, format="json")

    assert answer.status_code == 400, answer.json()
    found = errors(answer)
    assert {e["field"] for e in found} == case.missing
    assert {e["message"] for e in found} == {PUT_REQUIRED}
    after = api.get(url)
    assert after.json() == before.json() and after["ETag"] == before["ETag"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_put_of_the_whole_resource_goes_through_and_a_patch_stays_partial(name, cast, world):
    case = CASES[name]
    api = client_for(getattr(cast, case.writer))
    sent = case.body(cast, world)
    created = api.post(case.url, sent, format="json").json()
    url = f"{case.url}{created['id']}/"
    whole = {field: created[field] for field in {*sent, *case.missing}}

    answer = api.put(url, whole, format="json")

    assert answer.status_code == 200, answer.json()
    assert {k: answer.json()[k] for k in whole} == whole
    patched = api.patch(url, {}, format="json")
    assert patched.status_code == 200 and {k: patched.json()[k] for k in whole} == whole


def test_a_put_without_a_team_parent_keeps_the_parent(cast):
    """The finding's own case: ``team_update() missing 'parent'`` (a 500) becomes a 400, and the
    department stays the team's parent."""
    admin = client_for(cast.admin)
    answer = admin.put(f"/api/v1/teams/{cast.team.pk}/", {"name": "Checkout"}, format="json")
    assert answer.status_code == 400
    assert {e["field"] for e in errors(answer)} == {"parent", "mission"}
    cast.team.refresh_from_db()
    assert cast.team.parent_id == cast.department.pk


def test_the_schema_says_put_takes_the_whole_resource():
    """drf-spectacular documents what the server asks: PUT's body requires every writable field,
    PATCH's none, POST's only those a new object needs."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = schema["paths"]["/api/v1/teams/{id}/"]

    def body(operation: dict[str, Any]) -> dict[str, Any]:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert set(body(path["put"])["required"]) == {"name", "parent", "mission"}
    assert "required" not in body(path["patch"])
    assert body(schema["paths"]["/api/v1/teams/"]["post"])["required"] == ["name"]
