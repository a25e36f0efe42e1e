"""Property-based API tests generated from the live OpenAPI schema (schemathesis): every operation, as
an admin with a token, on a small organisation. Zero server errors and zero answers that break the
schema; the counts are printed (and at least 2,000 requests are required)."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from objectives import services
from okrapp.tokens import api_token_create
from okrapp.wsgi import application
from tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]

EXAMPLES_PER_OPERATION = 5
MINIMUM_REQUESTS = 2000
SEEN: Counter[str] = Counter()
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def same_connection():
    """The app is called in-process (WSGI) inside the test's transaction: Django must not close the
    connection at the end of each request, as its test client also arranges."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast, okrs, same_connection):
    """Some data to find: objectives, a KR, a health metric."""
    services.key_result_create(
        objective=okrs[2], title="Latency", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )
    services.health_metric_save(
        organisation=cast.org, team=cast.team, name="Margin", direction="higher", green_threshold=60, amber_threshold=50
    )


@pytest.fixture
def token(cast):
    return api_token_create(membership=cast.admin, name="schemathesis")[1]


# The schema as the app serves it (loading it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same requests on every run: a failure reproduces
)
def test_api_answers_within_its_schema(case, token, world):
    response = case.call(headers={"Authorization": f"Token {token}"})
    SEEN[case.operation.label] += 1
    SEEN[f"status {response.status_code // 100}xx"] += 1
    case.validate_response(response, checks=CHECKS)


def test_the_run_made_enough_requests(capsys):
    """Runs after the generated tests (pytest keeps the file's order) and prints what they did."""
    operations = {key: n for key, n in SEEN.items() if not key.startswith("status ")}
    total = sum(operations.values())
    with capsys.disabled():
        statuses = ", ".join(f"{key.split()[1]}: {n}" for key, n in sorted(SEEN.items()) if key.startswith("status "))
        print(f"\nschemathesis: {total} requests over {len(operations)} operations ({statuses})")
    if not operations:
        pytest.skip("the generated tests did not run in this session (run the whole file)")
    assert SEEN["status 5xx"] == 0
    assert total >= MINIMUM_REQUESTS, f"only {total} requests"
