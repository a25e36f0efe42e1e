"""Closing a sprint: a real worker writes its "KR delta" report after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backlog import services, sprints
from backlog.models import SprintReport
from objectives import services as objective_services
from okrapp.timeutil import org_today
from tests.conftest import TODAY, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_closing_a_sprint_has_the_worker_write_its_kr_delta(cast, okrs, worker):
    latency = objective_services.key_result_create(
        objective=okrs[2], title="API p95 latency", start_value=800, target_value=300, current_value=550, today=TODAY
    )
    today = org_today(cast.org)
    sprint = sprints.sprint_save(
        organisation=cast.org,
        team=cast.team,
        name="S1",
        start_date=today - timedelta(days=13),
        end_date=today,
        focus_key_results=[latency],
    )
    sprints.sprint_start(sprint=sprint)
    shipped = services.story_save(
        organisation=cast.org, team=cast.team, title="Cache the basket", points=5, sprint=sprint
    )
    services.story_save(organisation=cast.org, team=cast.team, title="Not finished", points=3, sprint=sprint)
    services.story_set_status(story=shipped, status="done")
    services.link_story(story=shipped, key_result=latency, share=0.3)
    sprints.sprint_complete(sprint=sprint)
    report = wait_for(lambda: SprintReport.objects.filter(sprint=sprint).first(), timeout=30)
    if report is None:
        worker.kill()
        pytest.fail("no report; worker output:\n" + (worker.stdout.read() if worker.stdout else ""))
    assert [s["title"] for s in report.shipped] == ["Cache the basket"]
    [kr] = report.key_results
    assert kr["id"] == latency.pk and kr["focus"] and kr["progress_end"] == pytest.approx(0.5)
    sprint.refresh_from_db()
    assert sprint.completed_points == 5
