"""The API's rules: tokens, one error shape for every failure, versions (ETag / If-Match), visibility,
import/export, pushes, and a query count that does not grow with the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from checkins.models import CheckIn, MetricReading
from objectives import services
from objectives.models import KeyResult, Objective
from okrapp.models import ApiToken
from okrapp.tokens import api_token_create
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def client_for(membership) -> APIClient:
    api = APIClient()
    _token, secret = api_token_create(membership=membership, name="test")
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return api


@pytest.fixture
def kr(cast, okrs):
    return services.key_result_create(
        objective=okrs[2], title="API p95", start_value=800, target_value=300, unit="ms", owner=cast.member, today=TODAY
    )


def errors(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return body["errors"]


def test_token_page_shows_the_secret_once_and_revokes(login, cast):
    client = login(cast.member)
    page = client.post(reverse("api_tokens"), {"name": "CI push"})
    secret = page.context["secret"]
    assert page.status_code == 200 and secret in page.content.decode()
    token = ApiToken.objects.get(membership=cast.member)
    assert token.key_hash != secret and secret not in client.get(reverse("api_tokens")).content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/objectives/").status_code == 200
    assert login(cast.teammate).post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    client = login(cast.member)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    refused = api.get("/api/v1/objectives/")
    assert refused.status_code == 401 and "revoked" in errors(refused)[0]["message"]
    assert client.post(reverse("api_tokens"), {"name": ""}).status_code == 422


def test_every_failure_has_the_same_shape(cast, okrs, kr):
    member = client_for(cast.member)
    assert APIClient().get("/api/v1/objectives/").status_code == 401
    bad = member.post(
        "/api/v1/check-ins/",
        {"key_result": kr.pk, "confidence": 1.0000001, "value": "NaN", "what_changed": "x" * 5000},
        format="json",
    )
    assert bad.status_code == 400
    fields = {e["field"] for e in errors(bad)}
    assert fields == {"confidence", "value", "what_changed"}
    assert not CheckIn.objects.exists()
    long_ago = member.post(
        "/api/v1/check-ins/", {"key_result": kr.pk, "confidence": 0.5, "value": 1, "week": "1900-01-01"}, format="json"
    )
    assert long_ago.status_code == 400 and errors(long_ago)[0]["field"] == "week"
    malformed = member.generic("POST", "/api/v1/check-ins/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and errors(malformed)[0]["field"] is None
    wrong_type = member.post("/api/v1/check-ins/", {"key_result": kr.pk, "confidence": 0.5})  # form-encoded
    assert wrong_type.status_code == 415
    assert member.delete(f"/api/v1/objectives/{okrs[2].pk}/").status_code == 405
    huge = member.post("/api/v1/check-ins/", {"key_result": kr.pk, "blockers": "x" * 3_000_000}, format="json")
    assert huge.status_code == 413 and errors(huge)[0]["message"].startswith("The request body is too large")
    long_text = member.patch(f"/api/v1/key-results/{kr.pk}/", {"description": "x" * 10_001}, format="json")
    assert long_text.status_code == 400 and errors(long_text)[0]["field"] == "description"
    forbidden = member.patch(f"/api/v1/objectives/{okrs[2].pk}/", {"title": "Mine now"}, format="json")
    assert forbidden.status_code == 403 and errors(forbidden)
    outsider = client_for(cast.outsider)
    assert outsider.get(f"/api/v1/objectives/{okrs[2].pk}/").status_code == 404
    assert outsider.get(f"/api/v1/key-results/{kr.pk}/").status_code == 404
    assert outsider.get("/api/v1/objectives/99999999999999999999/").status_code == 404
    foreign = outsider.post("/api/v1/check-ins/", {"key_result": kr.pk, "confidence": 0.5, "value": 1}, format="json")
    assert foreign.status_code == 400 and errors(foreign)[0]["field"] == "key_result"


def test_a_check_in_through_the_api_then_the_same_week_again_updates_it(cast, kr):
    member = client_for(cast.member)
    first = member.post("/api/v1/check-ins/", {"key_result": kr.pk, "value": 550, "confidence": 0.6}, format="json")
    assert first.status_code == 201, first.json()
    again = member.post("/api/v1/check-ins/", {"key_result": kr.pk, "value": 500, "confidence": 0.7}, format="json")
    assert again.json()["id"] == first.json()["id"] and CheckIn.objects.count() == 1
    body = member.get(f"/api/v1/key-results/{kr.pk}/").json()
    assert body["current_value"] == 500 and body["confidence"] == 0.7
    assert body["progress"] == pytest.approx(0.6)  # (800 − 500) / (800 − 300)


def test_a_stale_if_match_changes_nothing(cast, okrs):
    lead = client_for(cast.lead)
    url = f"/api/v1/objectives/{okrs[2].pk}/"
    etag = lead.get(url)["ETag"]
    assert etag
    first = lead.patch(url, {"title": "Checkout is instant"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    stale = lead.patch(url, {"title": "Something else"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and errors(stale)[0]["message"]
    assert Objective.objects.get(pk=okrs[2].pk).title == "Checkout is instant"
    no_header = lead.patch(url, {"description": "Faster."}, format="json")
    assert no_header.status_code == 200 and no_header.json()["title"] == "Checkout is instant"


def test_private_objectives_are_invisible_through_the_api(cast, quarter):
    secret = services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Secret", owner=cast.lead, visibility="private"
    )
    hidden = services.key_result_create(objective=secret, title="Hidden", start_value=0, target_value=1)
    member = client_for(cast.member)
    assert "Secret" not in str(member.get("/api/v1/objectives/").json())
    assert member.get(f"/api/v1/objectives/{secret.pk}/").status_code == 404
    assert member.get(f"/api/v1/key-results/{hidden.pk}/").status_code == 404
    assert "Hidden" not in str(member.get("/api/v1/key-results/").json())
    assert client_for(cast.lead).get(f"/api/v1/objectives/{secret.pk}/").status_code == 200


def test_export_then_import_round_trips(cast, quarter, okrs, kr):
    services.key_result_create(
        objective=okrs[0], title="Uptime", kind="guardrail", bound=99.9, bound_keep="above", today=TODAY
    )
    services.key_result_create(objective=okrs[1], title="Ship the SDK", kind="milestone", owner=cast.lead, today=TODAY)
    admin = client_for(cast.admin)
    exported = admin.get(f"/api/v1/cycles/{quarter.pk}/export/")
    assert exported.status_code == 200
    rows = exported.json()
    assert {r["objective"] for r in rows} == {o.title for o in okrs}
    target = admin.post(
        "/api/v1/cycles/",
        {"name": "Q1 2027", "kind": "quarter", "start_date": "2027-01-01", "end_date": "2027-03-31"},
        format="json",
    ).json()
    imported = admin.post(f"/api/v1/cycles/{target['id']}/import/", rows, format="json")
    assert imported.status_code == 201, imported.json()
    assert imported.json()["created"] == 3
    assert admin.get(f"/api/v1/cycles/{target['id']}/export/").json() == rows


def test_import_is_all_or_nothing_with_row_errors(cast, quarter):
    admin = client_for(cast.admin)
    rows = [
        {"objective": "Good one", "key_results": [{"metric": "Revenue", "target": 10, "current": 2}]},
        {"objective": "", "team": "Nowhere", "key_results": [{"metric": "Bad", "target": 5, "start": 5}, "x"]},
    ]
    answer = admin.post(f"/api/v1/cycles/{quarter.pk}/import/", rows, format="json")
    assert answer.status_code == 400
    fields = {e["field"] for e in errors(answer)}
    assert {"1.objective", "1.team", "1.key_results.0.target", "1.key_results.1.metric"} <= fields
    assert not Objective.objects.filter(title="Good one").exists()
    assert admin.post(f"/api/v1/cycles/{quarter.pk}/import/", {"a": 1}, format="json").status_code == 400


def test_reading_push_is_idempotent_per_timestamp(cast):
    metric = services.health_metric_save(
        organisation=cast.org, team=cast.team, name="Margin", direction="higher", green_threshold=60, amber_threshold=50
    )
    lead = client_for(cast.lead)
    at = timezone.now() - timedelta(hours=1)
    url = f"/api/v1/health-metrics/{metric.pk}/readings/"
    assert lead.post(url, {"value": 55, "timestamp": at.isoformat()}, format="json").status_code == 201
    assert lead.post(url, {"value": 55, "timestamp": at.isoformat()}, format="json").json()["changed"] is False
    later = lead.post(url, {"value": 65, "timestamp": (at + timedelta(minutes=30)).isoformat()}, format="json")
    assert later.json()["changed"] is True and MetricReading.objects.count() == 1
    body = lead.get(f"/api/v1/health-metrics/{metric.pk}/").json()
    assert body["latest_value"] == 65 and body["light"] == "green"
    assert (
        client_for(cast.member).post(url, {"value": 1, "timestamp": at.isoformat()}, format="json").status_code == 403
    )


def test_key_result_list_queries_do_not_grow(cast, okrs, kr):
    member = client_for(cast.member)
    member.get("/api/v1/key-results/")
    with CaptureQueriesContext(connection) as small:
        assert member.get("/api/v1/key-results/").status_code == 200
    for i in range(8):
        services.key_result_create(
            objective=okrs[i % 3], title=f"KR {i}", start_value=0, target_value=10, owner=cast.member, today=TODAY
        )
    with CaptureQueriesContext(connection) as large:
        body = member.get("/api/v1/key-results/").json()
    assert body["count"] == KeyResult.objects.count() == 9
    assert len(large) == len(small)


def test_throttled_per_token(cast, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min", "api_login": "3/min"},
    }
    from django.core.cache import cache
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        one, two = client_for(cast.member), client_for(cast.member)
        answers = [one.get("/api/v1/teams/").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        assert two.get("/api/v1/teams/").status_code == 200  # another token, another budget
    finally:
        SimpleRateThrottle.THROTTLE_RATES = {"api": "1200/min", "api_login": "10/min"}
        cache.clear()
