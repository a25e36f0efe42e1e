"""The health board: lights, sparklines of the readings, thresholds, the KRs each metric guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins import services as checkin_services
from objectives import services as objective_services
from okrapp.timeutil import org_today
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def _metric(cast, name, values):
    metric = objective_services.health_metric_save(
        organisation=cast.org,
        team=cast.team,
        name=name,
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
        unit="%",
    )
    today = org_today(cast.org)
    for days_ago, value in enumerate(reversed(values)):
        checkin_services.reading_save(
            metric=metric, taken_on=today - timedelta(days=days_ago), value=value, author_id=None, today=today
        )
    return metric


def test_board_shows_light_sparkline_and_guarded_krs(login, cast, okrs):
    metric = _metric(cast, "Gross margin", [70, 64, 42])
    objective_services.key_result_create(
        objective=okrs[2], title="Revenue", start_value=0, target_value=10, kfis=[metric], today=TODAY
    )
    page = login(cast.member).get(reverse("health_board")).content.decode()
    assert "Gross margin" in page and "Red" in page  # 42 is below amber 50
    assert 'aria-label="3 readings from 70 % to 42 %"' in page and "spark-line" in page
    assert "Guards: " in page and "Revenue" in page
    assert "Green at" in page  # thresholds in words


def test_board_query_count_does_not_grow(login, cast):
    _metric(cast, "Gross margin", [70, 64])
    client = login(cast.member)
    client.get(reverse("health_board"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("health_board"))
    for i in range(4):
        _metric(cast, f"Metric {i}", [55, 61, 58])
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("health_board")).status_code == 200
    assert len(many) == len(few)


def test_board_of_another_organisation_shows_nothing_of_ours(login, cast):
    _metric(cast, "Gross margin", [70])
    assert "Gross margin" not in login(cast.outsider).get(reverse("health_board")).content.decode()
