from __future__ import annotations

from datetime import timedelta

import pytest

from backlog import services as backlog_services
from checkins import services as checkin_services
from checkins.weeks import week_of
from objectives import services as objective_services
from okrapp.http import Viewer
from tests.conftest import TODAY


@pytest.fixture
def kr(cast, okrs):
    """A key result of Checkout's team-visible objective (Growth's member may not see it)."""
    return objective_services.key_result_create(
        objective=okrs[2], title="Checkout p95 under 400 ms", start_value=900, target_value=400, owner=cast.member,
        today=TODAY,
    )  # fmt: skip


@pytest.fixture
def private_kr(cast, quarter):
    secret = objective_services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Secret", owner=cast.lead, visibility="private"
    )
    return objective_services.key_result_create(
        objective=secret, title="Hidden KR", start_value=0, target_value=1, owner=cast.lead, today=TODAY
    )


@pytest.fixture
def checkin(cast, kr):
    viewer = Viewer.load(cast.member.user)
    return checkin_services.checkin_save(
        viewer=viewer, key_result=kr, week=week_of(TODAY) - timedelta(weeks=1), value=700, confidence=0.6, today=TODAY
    )


@pytest.fixture
def epic(cast):
    return backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Faster checkout")
