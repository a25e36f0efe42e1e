"""CSV export of a team's backlog with Jira's column names, so the file imports again (here or into Jira)."""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterator

from django.db.models import Prefetch

from backlog import jira
from backlog.models import Epic, EpicLink, EpicStatus, Story, StoryLink, StoryStatus
from objectives.visibility import visible_key_results
from okrapp.http import Viewer
from okrapp.models import Team

# --- Export ----------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "Issue key",
    "Summary",
    "Issue Type",
    "Status",
    "Story Points",
    "Parent",
    "Sprint",
    "Resolved",
    "Description",
    "Key results",
)
EXPORT_STATUS: dict[str, str] = {
    StoryStatus.TODO: "To Do",
    StoryStatus.IN_PROGRESS: "In Progress",
    StoryStatus.DONE: "Done",
}


def export_key(item: Epic | Story) -> str:
    """The item's Jira key, or "OKR-<id>" for one made in the app (an import finds it again by it)."""
    return item.external_key or jira.okr_key(item.pk)


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def backlog_export_lines(*, team: Team, viewer: Viewer) -> Iterator[str]:
    """The team's epics, then its stories, as CSV lines with Jira's column names, so the file imports
    again (here, or into Jira). "Key results" names the linked KRs the viewer may see. Cells a
    spreadsheet would run as formulas are escaped (``jira.escape_cell``). Begins with a byte-order mark,
    for spreadsheets."""
    zone = zoneinfo.ZoneInfo(viewer.organisation.time_zone)
    visible = visible_key_results(viewer).values("pk")
    writer = csv.writer(_Echo())
    text = jira.escape_cell
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    epics = (
        Epic.objects.filter(team=team)
        .prefetch_related(
            Prefetch(
                "links",
                queryset=EpicLink.objects.filter(key_result__in=visible)
                .select_related("key_result")
                .order_by("key_result__title"),
            )
        )
        .order_by("rank", "pk")
    )
    for epic in epics:
        yield writer.writerow(
            [
                text(export_key(epic)),
                text(epic.title),
                "Epic",
                "Done" if epic.status == EpicStatus.DONE else "To Do",
                "",
                "",
                "",
                "",
                text(epic.context),
                text("; ".join(link.key_result.title for link in epic.links.all())),
            ]
        )
    stories = (
        Story.objects.filter(team=team)
        .select_related("epic", "sprint")
        .prefetch_related(
            Prefetch(
                "links",
                queryset=StoryLink.objects.filter(key_result__in=visible)
                .select_related("key_result")
                .order_by("key_result__title"),
            )
        )
        .order_by("rank", "pk")
    )
    for story in stories.iterator(chunk_size=1000):
        yield writer.writerow(
            [
                text(export_key(story)),
                text(story.title),
                "Story",
                EXPORT_STATUS.get(story.status, "To Do"),
                f"{story.points:g}" if story.points is not None else "",
                text(export_key(story.epic)) if story.epic else "",
                text(story.sprint.name) if story.sprint else "",
                story.done_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if story.done_at else "",
                text(story.description),
                text("; ".join(link.key_result.title for link in story.links.all())),
            ]
        )
