"""The benchmark's data generator: the sizes it promises, a believable spread, and numbers that agree
with the pure modules (the engine computed them, reconcile finds nothing to fix)."""

from __future__ import annotations

from datetime import date

import pytest

from bench.generate import SIZES, WEEKS, generate
from checkins.models import CheckIn
from objectives.models import KeyResult, Objective
from objectives.services.reconcile import reconcile

pytestmark = pytest.mark.django_db


def test_sizes_are_the_issues():
    assert (SIZES["S"].teams, SIZES["S"].objectives, SIZES["S"].key_results, SIZES["S"].stories) == (5, 60, 200, 2000)
    assert SIZES["S"].checkins == 10_400 and SIZES["M"].checkins == 104_000
    assert SIZES["L"].key_results == 4 * SIZES["M"].key_results


def test_an_extra_small_company_is_built_and_computed():
    today = date(2026, 11, 23)
    counts = generate(SIZES["XS"], slug="xs", today=today)
    assert counts["objectives"] == Objective.objects.count() == 12
    assert counts["key_results"] == KeyResult.objects.count() == 30
    checked = KeyResult.objects.filter(progress_from_aligned=False).count()
    # Every KR people check in on has a year of weeks, but a few stopped three weeks ago.
    assert checked * (WEEKS - 3) <= CheckIn.objects.count() <= checked * WEEKS
    assert Objective.objects.filter(team__isnull=False, parent__isnull=True).count() == 0  # all aligned
    statuses = set(KeyResult.objects.values_list("status", flat=True))
    assert len(statuses & {"on_track", "at_risk", "off_track"}) >= 2  # a spread, not one colour
    assert reconcile(dry_run=True, today=today) == []
    with pytest.raises(ValueError, match="exists already"):
        generate(SIZES["XS"], slug="xs", today=today)
