from __future__ import annotations

from datetime import date

import pytest

from objectives import services
from objectives.models import Cycle
from tests.factories import CycleFactory

TODAY = date(2026, 11, 16)  # 46 of the quarter's 91 days: expected progress 46/91 ≈ 0.505


@pytest.fixture
def quarter(cast) -> Cycle:
    return CycleFactory(
        organisation=cast.org, name="Q4 2026", start_date=date(2026, 10, 1), end_date=date(2026, 12, 31)
    )


@pytest.fixture
def okrs(cast, quarter):
    """A company objective with a department and a team objective aligned under it."""
    company = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=None,
        title="Customers love paying us",
        owner=cast.leadership,
        state="active",
        today=TODAY,
    )
    dept = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.department,
        title="Engineering ships faster",
        owner=cast.lead,
        visibility="company",
        state="active",
        parent=company,
        today=TODAY,
    )
    team = services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Checkout is fast",
        owner=cast.lead,
        visibility="team",
        state="active",
        parent=dept,
        today=TODAY,
    )
    return company, dept, team
