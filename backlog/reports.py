"""The sprint-close "KR delta" report: which stories shipped, and how the KRs they and the sprint's focus
served moved (progress and confidence from the daily snapshots at the sprint's start and end)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from backlog.models import Sprint, SprintReport, StoryLink, StoryStatus
from objectives.models import KeyResult, KeyResultSnapshot

logger = logging.getLogger(__name__)


def sprint_report_write(*, sprint_id: int) -> SprintReport | None:
    """Write (or rewrite: idempotent) the report of a closed sprint; None if it is not closed."""
    sprint = Sprint.objects.filter(pk=sprint_id).first()
    if sprint is None or sprint.closed_at is None:
        return None
    shipped = list(
        sprint.stories.filter(status=StoryStatus.DONE).order_by("done_at").values("pk", "title", "points", "epic_id")
    )
    story_ids = [s["pk"] for s in shipped]
    epic_ids = {s["epic_id"] for s in shipped if s["epic_id"]}
    focus_ids = set(sprint.focus_key_results.values_list("pk", flat=True))
    kr_ids = set(focus_ids)
    kr_ids |= set(StoryLink.objects.filter(story_id__in=story_ids).values_list("key_result_id", flat=True))
    kr_ids |= set(KeyResult.objects.filter(epics__in=epic_ids).values_list("pk", flat=True))
    snapshots: dict[tuple[int, str], tuple[float, float | None]] = {}
    edges = {"start": sprint.start_date, "end": sprint.end_date}
    rows = KeyResultSnapshot.objects.filter(key_result_id__in=kr_ids, day__in=list(edges.values())).values_list(
        "key_result_id", "day", "progress", "confidence"
    )
    for kr_id, day, progress, confidence in rows:
        for edge, edge_day in edges.items():
            if day == edge_day:
                snapshots[(kr_id, edge)] = (progress, confidence)
    key_results = []
    for kr in KeyResult.objects.filter(pk__in=kr_ids).order_by("pk"):
        start = snapshots.get((kr.pk, "start"))
        end = snapshots.get((kr.pk, "end"), (kr.progress, kr.confidence))
        key_results.append(
            {
                "id": kr.pk,
                "focus": kr.pk in focus_ids,
                "progress_start": start[0] if start else None,
                "progress_end": end[0],
                "confidence_start": start[1] if start else None,
                "confidence_end": end[1],
            }
        )
    report, _ = SprintReport.objects.update_or_create(
        sprint=sprint,
        defaults={
            "shipped": [{"id": s["pk"], "title": s["title"], "points": s["points"]} for s in shipped],
            "key_results": key_results,
        },
    )
    return report


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def write_sprint_report(*, sprint_id: int) -> bool:
    """After a sprint closes: write its KR delta report (idempotent)."""
    with transaction.atomic():
        return sprint_report_write(sprint_id=sprint_id) is not None


def enqueue_sprint_report(sprint_id: int) -> None:
    try:
        write_sprint_report.apply_async(kwargs={"sprint_id": sprint_id}, retry=False)
    except (BrokerError, OSError) as exc:
        # The sprint page writes a missing report when it is first opened, so nothing is lost.
        logger.warning("sprint report %s not queued (%s)", sprint_id, exc)
