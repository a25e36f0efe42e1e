"""The Jira import with a real worker on Redis: a realistic 2,000-row export uploaded through the page is
read by the worker (the progress reaches the total), confirmed, and applied by the worker; a bad file
imports nothing and lists every bad row."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backlog.models import Epic, ImportState, JiraImport, Sprint, Story, StoryStatus
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HTMX = {"HTTP_HX_REQUEST": "true"}

# A Jira Cloud "all fields" export: repeated columns, many that the import ignores.
COLUMNS = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Project key",
    "Project name",
    "Priority",
    "Resolution",
    "Assignee",
    "Reporter",
    "Created",
    "Updated",
    "Resolved",
    "Labels",
    "Labels",
    "Labels",
    "Sprint",
    "Sprint",
    "Sprint",
    "Description",
    "Custom field (Story Points)",
    "Custom field (Epic Link)",
    "Parent",
    "Parent summary",
    "Watchers",
    "Watchers",
    "Comment",
]
STATUSES = ["To Do", "In Progress", "In Review", "Done", "Closed", "QA Ready"]
EPICS = 100
ROWS = 2000


def jira_export(rows: int = ROWS, epics: int = EPICS, seed: int = 6) -> bytes:
    """A realistic export: epics first-class, stories, tasks and bugs under them (some under none),
    sub-tasks under stories, carried-over stories in two or three sprints, quotes, commas and line
    breaks in descriptions, accents; UTF-8 with a byte-order mark, as Jira Cloud writes it."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    stories: list[tuple[str, str]] = []  # (key, issue id) of stories, for sub-tasks' parents
    for n in range(1, rows + 1):
        key, issue_id = f"SHOP-{n}", str(10000 + n)
        status = rng.choice(STATUSES)
        done = status in ("Done", "Closed")
        resolved = f"{rng.randint(1, 28)}/Oct/26 {rng.randint(1, 12)}:{rng.randint(0, 59):02d} PM" if done else ""
        if n <= epics:
            issue_type, points, epic_link, parent, sprints = "Epic", "", "", "", ["", "", ""]
            summary = f"Épopée {n}: the shop's “journey” #{n}"
        else:
            issue_type = rng.choice(["Story", "Story", "Task", "Bug", "Sub-task"])
            if issue_type == "Sub-task" and stories:
                epic_link, parent = "", rng.choice(stories)[1]  # "Parent" holds the parent's issue id
            else:
                issue_type = "Story" if issue_type == "Sub-task" else issue_type
                epic_link, parent = (f"SHOP-{rng.randint(1, epics)}" if rng.random() < 0.9 else ""), ""
                stories.append((key, issue_id))
            points = rng.choice(["", "1", "2", "3", "5", "8", "13", "0.5"])
            count = rng.choice([0, 1, 1, 2, 3])
            first = rng.randint(1, 20)
            sprints = [f"SHOP Sprint {first + i}" for i in range(count)] + [""] * (3 - count)
            summary = f'As a shopper, I want thing {n}, so that "life" is easier'
        writer.writerow(
            [
                summary,
                key,
                issue_id,
                issue_type,
                status,
                "SHOP",
                "Web shop",
                rng.choice(["Low", "Medium", "High"]),
                "Done" if done else "",
                rng.choice(["ann@shop.test", "bob@shop.test", ""]),
                "pm@shop.test",
                "01/Sep/26 9:00 AM",
                "02/Oct/26 10:30 AM",
                resolved,
                rng.choice(["frontend", "backend", ""]),
                rng.choice(["ux", ""]),
                "",
                *sprints,
                f'Line one, with a comma\nLine two with "quotes" and ünïcödé {n}',
                points,
                epic_link,
                parent,
                "",
                "ann@shop.test",
                "",
                "26/Oct/26 4:00 PM;pm@shop.test;Looks good",
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def output_of(process) -> str:
    process.kill()
    return process.stdout.read() if process.stdout else ""


def state_of(pk: int) -> str:
    return JiraImport.objects.filter(pk=pk).values_list("state", flat=True).get()


def settled(pk: int, *states: str):
    return lambda: state_of(pk) in states


def upload(client, team, content: bytes) -> tuple[int, str]:
    response = client.post(
        reverse("backlog_import", args=[team.pk]),
        {"file": SimpleUploadedFile("Jira Export.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/backlog/imports/(\d+)/", response["Location"]).group(1))
    return pk, response["Location"]


def test_a_2000_row_export_is_read_confirmed_and_applied_by_the_worker(login, cast, worker):
    client = login(cast.lead)
    pk, url = upload(client, cast.team, jira_export())

    if not wait_for(settled(pk, ImportState.PREVIEW, ImportState.FAILED), timeout=30):
        pytest.fail("the worker did not read the file; its output:\n" + output_of(worker))
    jira_import = JiraImport.objects.get(pk=pk)
    assert jira_import.state == ImportState.PREVIEW, jira_import.errors[:5]
    assert jira_import.progress == jira_import.total == ROWS
    preview = jira_import.preview
    assert (preview["epics"], preview["stories"]) == (EPICS, ROWS - EPICS)
    assert (preview["epics_new"], preview["stories_new"], preview["stories_updated"]) == (EPICS, ROWS - EPICS, 0)
    assert preview["ignored_columns"] == [
        "Project key",
        "Project name",
        "Priority",
        "Resolution",
        "Assignee",
        "Reporter",
        "Created",
        "Updated",
        "Labels",
        "Parent summary",
        "Watchers",
        "Comment",
    ]
    assert {s["name"] for s in preview["statuses"]} == set(STATUSES)
    assert jira_import.status_map["QA Ready"] == "todo"  # unknown: suggested as to do

    page = client.get(url).content.decode()
    assert 'hx-trigger="every' not in page and page.count("<select") == len(STATUSES)
    names = [s["name"] for s in preview["statuses"]]
    choices = {f"status_{i}": jira_import.status_map[name] for i, name in enumerate(names)}
    choices[f"status_{names.index('QA Ready')}"] = "in_progress"  # the product owner corrects one
    assert client.post(url, choices).status_code == 302
    polled = client.get(url, **HTMX).content.decode()
    assert "<html" not in polled and ("<progress" in polled or "Imported" in polled)

    if not wait_for(settled(pk, ImportState.DONE, ImportState.FAILED), timeout=40):
        pytest.fail("the worker did not apply the import; its output:\n" + output_of(worker))
    jira_import = JiraImport.objects.get(pk=pk)
    assert jira_import.state == ImportState.DONE, jira_import.errors[:5]
    assert jira_import.progress == jira_import.total == ROWS
    assert jira_import.result["epics_created"] == EPICS and jira_import.result["stories_created"] == ROWS - EPICS
    assert Epic.objects.filter(team=cast.team).count() == EPICS
    assert Story.objects.filter(team=cast.team).count() == ROWS - EPICS
    assert not Story.objects.filter(status=StoryStatus.DONE, done_at__isnull=True).exists()
    rows = list(csv.reader(io.StringIO(jira_export().decode("utf-8-sig"))))[1:]
    key, issue_id, kind, epic_link, parent = (
        COLUMNS.index(c) for c in ("Issue key", "Issue id", "Issue Type", "Custom field (Epic Link)", "Parent")
    )
    sprints = [i for i, c in enumerate(COLUMNS) if c == "Sprint"]
    by_id = {row[issue_id]: row for row in rows}
    subtask = next(row for row in rows if row[kind] == "Sub-task" and by_id[row[parent]][epic_link])
    its_story = by_id[subtask[parent]]  # the file names a sub-task's parent by its issue id
    imported = Story.objects.select_related("epic").get(external_key=subtask[key])
    assert imported.epic.external_key == its_story[epic_link]  # under its story's epic
    carried = next(row for row in rows if all(row[i] for i in sprints))
    assert Story.objects.get(external_key=carried[key]).sprint.name == carried[sprints[-1]]  # the last of three
    assert Sprint.objects.filter(team=cast.team).count() == jira_import.result["sprints_created"] > 0
    assert "ünïcödé" in Story.objects.order_by("pk").first().description
    done = client.get(url).content.decode()
    assert "Imported" in done and f"{ROWS - EPICS} created, 0 updated" in done

    # The same file again: every issue is found again, none would be copied.
    again, _ = upload(client, cast.team, jira_export())
    if not wait_for(settled(again, ImportState.PREVIEW, ImportState.FAILED), timeout=30):
        pytest.fail("the worker did not read the file again; its output:\n" + output_of(worker))
    preview = JiraImport.objects.get(pk=again).preview
    assert (preview["epics_updated"], preview["stories_updated"], preview["stories_new"]) == (EPICS, ROWS - EPICS, 0)


def test_a_bad_file_imports_nothing_and_lists_every_bad_row(login, cast, worker):
    records = list(csv.reader(io.StringIO(jira_export(rows=300, epics=10).decode("utf-8-sig"))))
    for index, column, value in (
        (20, "Custom field (Story Points)", "lots"),
        (40, "Summary", ""),
        (60, "Custom field (Epic Link)", "NOPE-1"),
    ):
        records[index][COLUMNS.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    content = buffer.getvalue().encode("utf-8")

    pk, url = upload(login(cast.lead), cast.team, content)
    if not wait_for(settled(pk, ImportState.PREVIEW, ImportState.FAILED), timeout=30):
        pytest.fail("the worker did not read the file; its output:\n" + output_of(worker))
    jira_import = JiraImport.objects.get(pk=pk)
    assert jira_import.state == ImportState.FAILED
    # Each record takes two lines (its description has a line break): record n starts on line 2n.
    assert [(e["line"], e["key"]) for e in jira_import.errors] == [
        (40, "SHOP-20"),
        (80, "SHOP-40"),
        (120, "SHOP-60"),
    ]
    assert "Story Points “lots”" in jira_import.errors[0]["message"]
    assert jira_import.errors[1]["message"] == "Summary is empty."
    assert "NOPE-1 is neither in the file nor already imported" in jira_import.errors[2]["message"]
    assert not Epic.objects.exists() and not Story.objects.exists() and not Sprint.objects.exists()
    page = login(cast.lead).get(url).content.decode()
    assert "Refused: nothing was imported" in page and "3 problems found" in page
