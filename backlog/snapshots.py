"""Daily snapshots of every team's backlog coverage, taken by the daily snapshot job (registered in
``BacklogConfig.ready``), so the cascade can say how coverage moved since last week.

A snapshot of day D is the coverage at the end of D in the organisation's time zone, by the same
definition as the live figure (``backlog.figures.coverage`` over open stories, their own links and
their epic's, to KRs of active cycles, private objectives left out). Today's row is rewritten on each
run. A day of the last four weeks without a snapshot (the job was not running) is rebuilt from the
stories' creation and completion times and the links' creation times; a story or link deleted since
is not known to that rebuild, which is why the job keeps today's row from the live rows instead.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from backlog import figures
from backlog.models import CoverageSnapshot, EpicLink, Story, StoryLink
from backlog.selectors import counted_links
from okrapp.models import Organisation
from okrapp.timeutil import org_date

BACKFILL_DAYS = 28


def coverage_snapshots_take(organisation: Organisation, today: date) -> int:
    """Write today's coverage of each team with stories, and rebuild the missing days of the last four
    weeks. Returns the rows written. Five queries whatever the size."""
    stories = list(
        Story.objects.filter(organisation=organisation).values_list(
            "pk", "team_id", "points", "epic_id", "created_at", "done_at"
        )
    )
    if not stories:
        return 0
    known_days = set(
        CoverageSnapshot.objects.filter(organisation=organisation, day__gte=today - timedelta(days=BACKFILL_DAYS))
        .values_list("day", flat=True)
        .distinct()
    )
    days = [today] + [d for n in range(1, BACKFILL_DAYS + 1) if (d := today - timedelta(days=n)) not in known_days]

    def local(moment: datetime | None) -> date | None:
        return None if moment is None else org_date(organisation, moment)

    story_links: dict[int, list[date]] = defaultdict(list)
    for story_id, created in (
        counted_links(StoryLink).filter(story__organisation=organisation).values_list("story_id", "created_at")
    ):
        story_links[story_id].append(org_date(organisation, created))
    epic_links: dict[int, list[date]] = defaultdict(list)
    for epic_id, created in (
        counted_links(EpicLink).filter(epic__organisation=organisation).values_list("epic_id", "created_at")
    ):
        epic_links[epic_id].append(org_date(organisation, created))

    rows = []
    for day in days:
        by_team: dict[int, list[figures.CoverageItem]] = defaultdict(list)
        for pk, team_id, points, epic_id, created, done in stories:
            done_on = local(done)
            if local(created) > day or (done_on is not None and done_on <= day):  # type: ignore[operator]
                continue  # not yet written, or already done by the end of that day
            links = story_links.get(pk, []) + (epic_links.get(epic_id, []) if epic_id else [])
            by_team[team_id].append(
                figures.CoverageItem(id=pk, points=points, serves=any(linked <= day for linked in links))
            )
        for team_id, items in by_team.items():
            coverage = figures.coverage(items)
            rows.append(
                CoverageSnapshot(
                    organisation=organisation,
                    team_id=team_id,
                    day=day,
                    stories=coverage.total,
                    linked=coverage.linked,
                    points=coverage.total_points,
                    linked_points=coverage.linked_points,
                )
            )
    CoverageSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["team", "day"],
        update_fields=["stories", "linked", "points", "linked_points"],
        batch_size=2000,
    )
    return len(rows)
