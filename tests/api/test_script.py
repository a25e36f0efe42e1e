"""What an integration does with only a token: create a cycle, an objective and key results, push
values, and read the computed progress back after the worker has run (a real worker, on PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from okrapp.timeutil import org_today
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_script_with_a_token_builds_okrs_pushes_values_and_reads_progress(cast, worker):
    anonymous = APIClient()
    answer = anonymous.post("/api/v1/auth/token/", {"email": "admin@acme.test", "password": "wrong"}, format="json")
    assert answer.status_code == 401 and answer.json()["errors"][0]["message"]
    cast.admin.user.set_password("s3cret-pass")
    cast.admin.user.save()
    answer = anonymous.post(
        "/api/v1/auth/token/", {"email": "admin@acme.test", "password": "s3cret-pass"}, format="json"
    )
    assert answer.status_code == 201
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")

    today = org_today(cast.org)
    start, end = today - timedelta(days=30), today + timedelta(days=60)
    cycle = api.post(
        "/api/v1/cycles/",
        {"name": "Script quarter", "kind": "quarter", "start_date": str(start), "end_date": str(end)},
        format="json",
    )
    assert cycle.status_code == 201, cycle.json()
    objective = api.post(
        "/api/v1/objectives/",
        {
            "cycle": cycle.json()["id"],
            "title": "Customers pay in one click",
            "owner": cast.admin.pk,
            "state": "active",
        },
        format="json",
    )
    assert objective.status_code == 201, objective.json()
    objective_id = objective.json()["id"]
    krs = []
    for title, start_value, target in (("Conversion", 2, 6), ("Checkout p95", 800, 300)):
        created = api.post(
            "/api/v1/key-results/",
            {
                "objective": objective_id,
                "title": title,
                "kind": "metric",
                "start_value": start_value,
                "target_value": target,
                "owner": cast.admin.pk,
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        assert created.json()["progress"] == 0 and created.json()["status"] == "not_started"
        krs.append(created.json()["id"])

    at = timezone.now() - timedelta(minutes=5)
    pushed = api.post(f"/api/v1/key-results/{krs[0]}/values/", {"value": 5, "timestamp": at.isoformat()}, format="json")
    assert pushed.status_code == 201 and pushed.json()["changed"] is True
    again = api.post(f"/api/v1/key-results/{krs[0]}/values/", {"value": 5, "timestamp": at.isoformat()}, format="json")
    assert again.status_code == 200 and again.json()["changed"] is False  # a retry changes nothing
    older = api.post(
        f"/api/v1/key-results/{krs[0]}/values/",
        {"value": 3, "timestamp": (at - timedelta(minutes=1)).isoformat()},
        format="json",
    )
    assert older.json()["changed"] is False  # within a week the latest timestamp wins
    api.post(f"/api/v1/key-results/{krs[1]}/values/", {"value": 550, "timestamp": at.isoformat()}, format="json")

    # By hand: (5 − 2) / (6 − 2) = 0.75 and (800 − 550) / (800 − 300) = 0.5; the objective's mean 0.625.
    def rolled_up():
        body = api.get(f"/api/v1/objectives/{objective_id}/").json()
        return body if body["progress"] is not None and abs(body["progress"] - 0.625) < 1e-9 else None

    assert wait_for(rolled_up), api.get(f"/api/v1/objectives/{objective_id}/").json()
    first = api.get(f"/api/v1/key-results/{krs[0]}/").json()
    assert first["progress"] == pytest.approx(0.75) and first["current_value"] == 5
    assert first["expected_progress"] == pytest.approx(30 / 90)
    listed = api.get("/api/v1/key-results/", {"objective": objective_id}).json()
    assert [row["id"] for row in listed["results"]] == krs and listed["count"] == 2


def test_values_push_lands_in_the_timestamps_week(cast, quarter, okrs):
    from objectives import services

    kr = services.key_result_create(objective=okrs[2], title="Speed", start_value=0, target_value=10, owner=cast.member)
    api = APIClient()
    api.force_authenticate(cast.member.user)
    monday = date.fromisoformat("2026-11-02")
    stamp = datetime(2026, 11, 4, 10, 0, tzinfo=timezone.get_current_timezone())
    body = api.post(f"/api/v1/key-results/{kr.pk}/values/", {"value": 4, "timestamp": stamp.isoformat()}, format="json")
    assert body.status_code == 201, body.json()
    assert body.json()["check_in"]["week"] == str(monday)
