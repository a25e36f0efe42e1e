"""The figures a person reads, as one JSON-able dict: read in the test's database before a backup and, by
``manage.py shell`` in a subprocess, in the database it was restored into (tests/okrapp/test_backup.py)."""

from __future__ import annotations

from typing import Any

from backlog.selectors import coverage_of, open_stories
from checkins.models import CheckIn
from objectives.models import KeyResult, Objective
from okrapp.models import Team


def figures() -> dict[str, Any]:
    objectives = {
        o.title: [o.progress, o.status, o.confidence]
        for o in Objective.objects.order_by("title").only("title", "progress", "status", "confidence")
    }
    key_results = {
        kr.title: [kr.progress, kr.status, kr.confidence, kr.current_value, kr.guardrail_kept, kr.guardrail_total]
        for kr in KeyResult.objects.order_by("title")
    }
    coverage = {}
    for team in Team.objects.order_by("name"):
        c = coverage_of(open_stories(team=team))
        coverage[team.name] = [c.linked, c.total, c.linked_points, c.total_points, c.share]
    checkins = [
        [title, str(week), value, done, confidence]
        for title, week, value, done, confidence in CheckIn.objects.order_by("key_result__title", "week").values_list(
            "key_result__title", "week", "value", "done", "confidence"
        )
    ]
    return {"objectives": objectives, "key_results": key_results, "coverage": coverage, "checkins": checkins}
