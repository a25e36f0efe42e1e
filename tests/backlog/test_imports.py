"""Jira import and CSV export: the services (upload, parse, preview, apply, re-import, refusals) and the
pages (upload, the import's page in each state, permissions, export). Jobs are not run here: the
services are called as the jobs would call them, after checking what was published on commit."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connections
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from backlog import exports, imports, jira, services, sprints
from backlog.models import Epic, EpicStatus, ImportState, JiraImport, Sprint, SprintState, Story, StoryStatus
from backlog.tasks import STOPPED, apply_jira_import, parse_jira_import
from objectives import services as objective_services
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday 16 November in London too

HEADER = "Issue key,Summary,Issue Type,Status,Story Points,Epic Link,Parent,Sprint,Sprint,Resolved,Description,Labels,Labels,Reporter"
SAMPLE = [
    HEADER,
    "CHK-1,Faster checkout,Epic,In Progress,,,,,,,Checkout takes too long,,,ann",
    'CHK-2,Cache the basket,Story,Done,5,CHK-1,,CHK Sprint 1,CHK Sprint 2,2026-11-10 14:30,"Keep it\nwarm",perf,backend,ann',
    "CHK-3,Show totals early,Story,In Review,3,CHK-1,,CHK Sprint 2,,,,,,bob",
    "CHK-4,Write the cache test,Sub-task,To Do,1,,CHK-2,,,,,,,bob",
    "CHK-5,Spike: payment provider,Task,Blocked,,,,,,,,,,bob",
]


def csv_bytes(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the nudge's rate limit lives in the cache
    yield
    cache.clear()


@pytest.fixture
def published(monkeypatch):
    """What the jobs would receive: each publish's task name and kwargs (nothing reaches a broker)."""
    sent: list[tuple[str, dict]] = []
    for task in (parse_jira_import, apply_jira_import):
        monkeypatch.setattr(
            task, "apply_async", lambda kwargs, retry=True, _name=task.name, **_: sent.append((_name, kwargs))
        )
    return sent


def upload(cast, lines: list[str] = SAMPLE, *, by=None) -> JiraImport:
    return imports.import_upload(
        team=cast.team, uploaded_by=by or cast.lead, filename="jira.csv", content=csv_bytes(lines)
    )


def parsed(cast, lines: list[str] = SAMPLE) -> JiraImport:
    jira_import = upload(cast, lines)
    imports.import_parse(jira_import.pk)
    jira_import.refresh_from_db()
    return jira_import


def applied(cast, lines: list[str] = SAMPLE, status_map: dict[str, str] | None = None) -> JiraImport:
    jira_import = parsed(cast, lines)
    assert jira_import.state == ImportState.PREVIEW, jira_import.errors
    result = imports.import_apply(jira_import.pk, status_map or jira_import.status_map, now=NOW)
    assert result is not None
    return result


def story(key: str) -> Story:
    return Story.objects.select_related("epic", "sprint").get(external_key=key)


# --- Upload ----------------------------------------------------------------------------------------


def test_upload_stores_the_file_and_publishes_the_parse_only_after_commit(
    cast, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jira_import = upload(cast)
    assert published == []  # nothing before commit
    assert bytes(JiraImport.objects.get(pk=jira_import.pk).content) == csv_bytes(SAMPLE)
    assert jira_import.state == ImportState.PARSING and jira_import.size == len(csv_bytes(SAMPLE))
    assert jira_import.organisation_id == cast.org.pk and jira_import.uploaded_by == cast.lead
    callbacks[0]()
    assert published == [("backlog.tasks.parse_jira_import", {"import_id": jira_import.pk})]  # the id only


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Issue key,Summary,Issue Type\n" + b"x" * jira.MAX_BYTES, "the limit is 10 MB"),
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"Key,Title\nA-1,Hello\n", "missing: Issue key, Summary, Issue Type"),
    ],
)
def test_upload_refuses_a_bad_file_at_once(cast, content, message):
    with pytest.raises(ValidationError) as caught:
        imports.import_upload(team=cast.team, uploaded_by=cast.lead, filename="x.csv", content=content)
    assert message in caught.value.message_dict["file"][0]
    assert not JiraImport.objects.exists()


def test_the_filename_keeps_only_its_name(cast):
    jira_import = imports.import_upload(
        team=cast.team, uploaded_by=cast.lead, filename="C:\\Users\\ann\\Jira export.csv", content=csv_bytes(SAMPLE)
    )
    assert jira_import.filename == "Jira export.csv"


def test_a_broker_down_at_upload_leaves_the_import_waiting_and_its_page_publishes_it_again(
    cast, login, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(**_):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(parse_jira_import, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        jira_import = upload(cast)  # the upload itself goes through
    assert JiraImport.objects.get(pk=jira_import.pk).state == ImportState.PARSING

    sent: list[dict] = []
    monkeypatch.setattr(parse_jira_import, "apply_async", lambda kwargs, **_: sent.append(kwargs))
    client = login(cast.lead)
    url = reverse("backlog_import_detail", args=[jira_import.pk])
    client.get(url)
    assert sent == []  # younger than 30 s: its job may simply not have run yet
    JiraImport.objects.filter(pk=jira_import.pk).update(created_at=timezone.now() - timedelta(seconds=31))
    client.get(url, **HTMX)
    client.get(url, **HTMX)
    assert sent == [{"import_id": jira_import.pk}]  # once, not on every poll


# --- Parse and preview -----------------------------------------------------------------------------


def test_parse_fills_the_preview_and_suggests_a_status_mapping(cast):
    Epic.objects.create(organisation=cast.org, team=cast.team, title="Old", external_key="CHK-1")
    sprints.sprint_save(organisation=cast.org, team=cast.team, name="chk sprint 1", start_date=TODAY, end_date=TODAY)
    jira_import = parsed(cast)
    assert jira_import.state == ImportState.PREVIEW and jira_import.errors == []
    assert jira_import.progress == jira_import.total == 5
    preview = jira_import.preview
    assert (preview["epics"], preview["epics_new"], preview["epics_updated"]) == (1, 0, 1)
    assert (preview["stories"], preview["stories_new"], preview["stories_updated"]) == (4, 4, 0)
    assert preview["sprints_new"] == ["CHK Sprint 2"]  # "CHK Sprint 1" matches the team's sprint
    assert preview["statuses"] == [
        {"name": "In Progress", "count": 1},
        {"name": "Done", "count": 1},
        {"name": "In Review", "count": 1},
        {"name": "To Do", "count": 1},
        {"name": "Blocked", "count": 1},
    ]
    assert preview["ignored_columns"] == ["Labels", "Reporter"]
    assert jira_import.status_map == {
        "In Progress": "in_progress",
        "Done": "done",
        "In Review": "in_progress",
        "To Do": "todo",
        "Blocked": "in_progress",
    }
    assert not Story.objects.exists()  # the preview writes nothing


def test_parse_is_a_no_op_once_finished(cast):
    jira_import = parsed(cast)
    JiraImport.objects.filter(pk=jira_import.pk).update(preview={"touched": False})
    imports.import_parse(jira_import.pk)
    assert JiraImport.objects.get(pk=jira_import.pk).preview == {"touched": False}
    assert imports.import_parse(10**9) is None


# --- Apply -----------------------------------------------------------------------------------------


def test_apply_writes_epics_stories_and_sprints(cast):
    jira_import = applied(cast)
    assert jira_import.state == ImportState.DONE and jira_import.finished_at == NOW
    assert jira_import.result == {
        "epics_created": 1,
        "epics_updated": 0,
        "stories_created": 4,
        "stories_updated": 0,
        "sprints_created": 2,
        "sprint_kept": 0,
        "elsewhere": 0,
    }
    assert jira_import.progress == jira_import.total == 5
    epic = Epic.objects.get(external_key="CHK-1")
    assert (epic.team, epic.title, epic.status) == (cast.team, "Faster checkout", EpicStatus.OPEN)
    assert epic.context == "Checkout takes too long"
    cache_story = story("CHK-2")
    assert (cache_story.status, cache_story.points, cache_story.epic) == (StoryStatus.DONE, 5.0, epic)
    assert cache_story.done_at == datetime(2026, 11, 10, 14, 30, tzinfo=UTC)  # London is on GMT in November
    assert cache_story.sprint.name == "CHK Sprint 2" and cache_story.description == "Keep it\nwarm"
    assert story("CHK-3").status == StoryStatus.IN_PROGRESS and story("CHK-3").sprint == cache_story.sprint
    subtask = story("CHK-4")
    assert subtask.epic == epic and subtask.status == StoryStatus.TODO and subtask.done_at is None  # its story's epic
    spike = story("CHK-5")
    assert spike.epic is None and spike.sprint is None and spike.points is None
    assert spike.status == StoryStatus.IN_PROGRESS  # "Blocked", as suggested
    sprints = Sprint.objects.filter(team=cast.team).order_by("name")
    assert [(s.name, s.start_date, s.end_date, s.state) for s in sprints] == [
        ("CHK Sprint 1", date(2026, 11, 16), date(2026, 11, 16), SprintState.PLANNED),
        ("CHK Sprint 2", date(2026, 11, 16), date(2026, 11, 16), SprintState.PLANNED),
    ]
    assert [s.external_key for s in Story.objects.filter(team=cast.team).order_by("rank")] == [
        "CHK-2",
        "CHK-3",
        "CHK-4",
        "CHK-5",
    ]


def test_the_confirmed_mapping_decides_the_statuses(cast):
    mapping = {"In Progress": "done", "Done": "done", "In Review": "done", "To Do": "todo", "Blocked": "todo"}
    applied(cast, status_map=mapping)
    assert Epic.objects.get(external_key="CHK-1").status == EpicStatus.DONE
    assert story("CHK-3").status == StoryStatus.DONE and story("CHK-3").done_at == NOW  # no Resolved: the import time
    assert story("CHK-5").status == StoryStatus.TODO


def test_every_status_found_must_be_mapped(cast, published):
    jira_import = parsed(cast)
    with pytest.raises(ValidationError, match="not mapped: “Blocked”"):
        imports.import_confirm(jira_import=jira_import, status_map={**jira_import.status_map, "Blocked": "stuck"})
    with pytest.raises(ValidationError, match="not mapped: “Done”, “In Review”, “To Do”, “Blocked”"):
        imports.import_apply(jira_import.pk, {"In Progress": "todo"})
    assert JiraImport.objects.get(pk=jira_import.pk).state == ImportState.PREVIEW and published == []


def test_confirm_stores_the_mapping_and_publishes_the_apply_after_commit(
    cast, published, django_capture_on_commit_callbacks
):
    jira_import = parsed(cast)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_confirm(jira_import=jira_import, status_map={**jira_import.status_map, "Blocked": "todo"})
    jira_import.refresh_from_db()
    assert jira_import.state == ImportState.APPLYING and jira_import.status_map["Blocked"] == "todo"
    assert (jira_import.progress, jira_import.total) == (0, 5)
    assert published == [("backlog.tasks.apply_jira_import", {"import_id": jira_import.pk})]
    imports.import_apply(jira_import.pk)  # what the job does: the stored mapping
    assert story("CHK-5").status == StoryStatus.TODO
    with pytest.raises(ValidationError, match="not waiting for confirmation"):
        imports.import_confirm(jira_import=jira_import, status_map=jira_import.status_map)


def test_reimporting_the_same_keys_updates_rather_than_duplicates(cast):
    applied(cast)
    first_ids = {s.external_key: s.pk for s in Story.objects.all()}
    changed = [
        HEADER,
        "CHK-1,Faster checkout for everyone,Epic,Done,,,,,,,Another context,,,ann",
        "CHK-2,Cache the basket,Story,Done,8,CHK-1,,CHK Sprint 2,,2026-11-11 10:00,Keep it warm,,,ann",
        "CHK-3,Show totals early,Story,Done,3,,,,,,,,,bob",
        "CHK-6,A new one,Story,To Do,2,CHK-1,,CHK Sprint 3,,,,,,bob",
    ]
    second = applied(cast, changed, status_map={"Done": "done", "To Do": "todo"})
    assert second.result["epics_updated"] == 1 and second.result["stories_updated"] == 2
    assert second.result["stories_created"] == 1 and second.result["sprints_created"] == 1
    assert Epic.objects.count() == 1 and Story.objects.count() == 5
    assert {s.external_key: s.pk for s in Story.objects.exclude(external_key="CHK-6")} == first_ids
    epic = Epic.objects.get()
    assert (epic.title, epic.status) == ("Faster checkout for everyone", EpicStatus.DONE)
    assert epic.context == "Checkout takes too long"  # a briefing is never overwritten
    assert story("CHK-2").points == 8 and story("CHK-2").done_at == datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
    totals = story("CHK-3")
    assert totals.status == StoryStatus.DONE and totals.epic is None and totals.sprint is None  # the file says so
    assert story("CHK-4").epic == epic  # not in the second file: untouched


def test_columns_missing_from_the_file_leave_those_fields_alone(cast):
    applied(cast)
    applied(cast, ["Issue key,Summary,Issue Type", "CHK-2,Cache the basket (renamed),Story"])
    renamed = story("CHK-2")
    assert renamed.title == "Cache the basket (renamed)"
    assert (renamed.status, renamed.points, renamed.sprint.name, renamed.epic.external_key) == (
        StoryStatus.DONE,
        5.0,
        "CHK Sprint 2",
        "CHK-1",
    )
    assert renamed.description == "Keep it\nwarm"


def test_apply_is_a_no_op_once_done(cast):
    jira_import = applied(cast)
    stamps = list(Story.objects.order_by("pk").values_list("updated_at", flat=True))
    again = imports.import_apply(jira_import.pk, jira_import.status_map)
    assert again.state == ImportState.DONE and again.result == jira_import.result
    assert list(Story.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert imports.import_apply(10**9) is None


def test_a_bad_file_imports_nothing_and_lists_every_bad_row(cast):
    bad = [
        HEADER,
        "CHK-1,Faster checkout,Epic,In Progress,,,,,,,,,,",
        "CHK-2,,Story,Done,5,CHK-1,,,,,,,,",  # no summary
        "CHK-3,Totals,Story,To Do,three,CHK-1,,,,,,,,",  # points
        "CHK-4,Test,Sub-task,To Do,1,,CHK-99,,,,,,,",  # a parent nowhere
        "CHK-5,Big,Story,To Do,5000,,,,,,,,,",  # beyond any real estimate
        ",Keyless,Story,To Do,,,,,,,,,,",
        "CHK-7,Good one,Story,To Do,1,CHK-1,,New sprint,,,,,,",
    ]
    jira_import = parsed(cast, bad)
    assert jira_import.state == ImportState.FAILED and jira_import.finished_at is not None
    assert [(e["line"], e["key"]) for e in jira_import.errors] == [
        (3, "CHK-2"),
        (4, "CHK-3"),
        (5, "CHK-4"),
        (6, "CHK-5"),
        (7, ""),
    ]
    messages = [e["message"] for e in jira_import.errors]
    assert messages[0] == "Summary is empty."
    assert messages[1] == "Story Points “three” is not a number of zero or more."
    assert messages[2] == "Its parent CHK-99 is neither in the file nor already imported."
    assert "5000" in messages[3] and "typo" in messages[3]
    assert messages[4] == "Issue key is empty."
    assert imports.import_apply(jira_import.pk, {"In Progress": "todo", "Done": "done", "To Do": "todo"}) is not None
    assert not Epic.objects.exists() and not Story.objects.exists() and not Sprint.objects.exists()


def test_a_parent_already_imported_is_found(cast):
    epic = Epic.objects.create(organisation=cast.org, team=cast.team, title="Shared", external_key="PAY-1")
    applied(cast, ["Issue key,Summary,Issue Type,Parent", "CHK-9,Pay faster,Story,PAY-1"])
    assert story("CHK-9").epic == epic


def test_a_story_under_another_team_s_epic_is_a_row_error(cast):
    """Issue 19, finding 6: a story's epic belongs to its team, through the import too (an epic already
    imported by another team, one of the file that sits in another team's backlog, or a sub-task's
    story's epic)."""
    Epic.objects.create(organisation=cast.org, team=cast.other_team, title="Theirs", external_key="GRO-1")
    theirs = services.story_save(organisation=cast.org, team=cast.other_team, title="Their story")
    theirs.epic = Epic.objects.get(external_key="GRO-1")
    theirs.external_key = "GRO-2"
    theirs.save()
    lines = [
        "Issue key,Summary,Issue Type,Parent",
        "GRO-1,Theirs,Epic,",
        "CHK-1,Mine,Story,",
        "CHK-8,Under their epic,Story,GRO-1",
        "CHK-9,Under their story,Sub-task,GRO-2",
    ]
    jira_import = parsed(cast, lines)
    assert jira_import.state == ImportState.FAILED
    assert [(e["line"], e["key"]) for e in jira_import.errors] == [(4, "CHK-8"), (5, "CHK-9")]
    assert "epic of another team's backlog" in jira_import.errors[0]["message"]
    assert not Story.objects.filter(team=cast.team).exists()


def test_a_parent_gone_since_the_preview_fails_the_apply_and_writes_nothing(cast):
    Epic.objects.create(organisation=cast.org, team=cast.team, title="Shared", external_key="PAY-1")
    jira_import = parsed(cast, ["Issue key,Summary,Issue Type,Parent", "CHK-8,Other,Story,", "CHK-9,Pay,Story,PAY-1"])
    Epic.objects.filter(external_key="PAY-1").delete()
    result = imports.import_apply(jira_import.pk, {})
    assert result.state == ImportState.FAILED
    assert result.errors == [
        {"line": 3, "key": "CHK-9", "message": "Its parent PAY-1 is neither in the file nor already imported."}
    ]
    assert not Story.objects.exists()


def test_items_of_another_team_are_left_as_they_are(cast):
    theirs = services.story_save(organisation=cast.org, team=cast.other_team, title="Their story")
    Story.objects.filter(pk=theirs.pk).update(external_key="GRO-1")
    jira_import = parsed(cast, ["Issue key,Summary,Issue Type", "GRO-1,Stolen,Story", "CHK-1,Mine,Story"])
    assert jira_import.preview["elsewhere"] == [{"key": "GRO-1", "team": "Growth"}]
    done = imports.import_apply(jira_import.pk, {})
    assert done.result["elsewhere"] == 1 and done.result["stories_created"] == 1
    theirs.refresh_from_db()
    assert (theirs.title, theirs.team) == ("Their story", cast.other_team)


def test_an_issue_type_change_between_epic_and_story_is_refused(cast):
    applied(cast)
    jira_import = parsed(cast, ["Issue key,Summary,Issue Type", "CHK-2,Now an epic,Epic", "CHK-1,Now a story,Story"])
    assert jira_import.state == ImportState.FAILED
    assert [e["line"] for e in jira_import.errors] == [2, 3]
    assert "was imported as a story and Jira now calls it an epic" in jira_import.errors[0]["message"]


def test_a_story_never_moves_into_or_out_of_a_closed_sprint(cast):
    applied(cast)
    sprint_2 = Sprint.objects.get(name="CHK Sprint 2")
    sprints.sprint_start(sprint=sprint_2, now=NOW)
    sprints.sprint_complete(sprint=sprint_2, now=NOW)  # CHK-2 is done in it; CHK-3 goes back to the backlog
    sprints.sprint_save(organisation=cast.org, team=cast.team, name="CHK Sprint 3", start_date=TODAY, end_date=TODAY)
    result = applied(
        cast,
        [
            "Issue key,Summary,Issue Type,Sprint",
            "CHK-2,Cache the basket,Story,CHK Sprint 3",
            "CHK-3,Show totals early,Story,CHK Sprint 2",
        ],
    )
    assert result.result["sprint_kept"] == 2
    assert story("CHK-2").sprint == sprint_2 and story("CHK-3").sprint is None


@pytest.mark.django_db(transaction=True)
def test_progress_writes_are_seen_by_others_while_the_apply_transaction_is_open(cast, monkeypatch, published):
    """The apply's rows stay uncommitted until the end; its progress must not."""
    lines = [HEADER] + [f"CHK-{n},Story {n},Story,To Do,1,,,,,,,,," for n in range(1, 251)]
    jira_import = parsed(cast, lines)
    JiraImport.objects.filter(pk=jira_import.pk).update(state=ImportState.APPLYING, status_map={"To Do": "todo"})
    seen: list[int] = []
    writer = imports._ProgressWriter.__call__

    def read_elsewhere() -> None:
        # Another connection (this thread's own), as the polling page has: it sees only committed rows.
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT progress FROM backlog_jiraimport WHERE id = %s", [jira_import.pk])
            row = cursor.fetchone()
        seen.append(row[0] if row else -1)
        connections.close_all()

    def spy(self, done: int, total: int) -> None:
        writer(self, done, total)
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join()

    monkeypatch.setattr(imports._ProgressWriter, "__call__", spy)
    imports.import_apply(jira_import.pk)
    assert seen == [100, 200, 250]  # committed while the stories were not yet
    assert Story.objects.count() == 250 and JiraImport.objects.get(pk=jira_import.pk).state == ImportState.DONE


def test_a_job_that_breaks_fails_the_import_but_a_database_error_is_left_to_retry(cast, monkeypatch):
    jira_import = upload(cast)

    def database_down(import_id):
        raise OperationalError("server closed the connection unexpectedly")

    def bug(import_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(imports, "import_parse", database_down)
    with pytest.raises(OperationalError):
        parse_jira_import.run(jira_import.pk)  # the function itself, as the worker runs it (no eager mode)
    assert JiraImport.objects.get(pk=jira_import.pk).state == ImportState.PARSING  # retried, and nudged
    monkeypatch.setattr(imports, "import_parse", bug)
    with pytest.raises(RuntimeError):
        parse_jira_import.run(jira_import.pk)
    failed = JiraImport.objects.get(pk=jira_import.pk)
    assert failed.state == ImportState.FAILED and failed.errors == [{"line": None, "key": "", "message": STOPPED}]
    monkeypatch.undo()
    assert parse_jira_import.run(jira_import.pk) == ImportState.FAILED  # finished: a no-op
    assert apply_jira_import.run(jira_import.pk) == ImportState.FAILED


# --- Pages: upload ---------------------------------------------------------------------------------


def csv_upload(lines: list[str] = SAMPLE, name: str = "jira.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(lines), content_type="text/csv")


def test_import_form_page(login, cast):
    upload(cast)
    client = login(cast.lead)
    page = client.get(reverse("backlog_import", args=[cast.team.pk])).content.decode()
    assert "<title>Import from Jira · Checkout" in page
    assert 'enctype="multipart/form-data"' in page and '<label for="id_file">Jira CSV export</label>' in page
    assert "jira.csv" in page and "Reading the file" in page  # the recent imports


def test_upload_through_the_page(login, cast, published, django_capture_on_commit_callbacks):
    client = login(cast.lead)
    url = reverse("backlog_import", args=[cast.team.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": csv_upload()})
    jira_import = JiraImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "backlog_import_detail", args=[jira_import.pk]
    )
    assert published == [("backlog.tasks.parse_jira_import", {"import_id": jira_import.pk})]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"file": SimpleUploadedFile("empty.csv", b"")}, "The submitted file is empty."),
        ({"file": SimpleUploadedFile("pic.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")}, "binary data"),
        ({"file": SimpleUploadedFile("big.csv", b"x" * (jira.MAX_BYTES + 1))}, "the limit is 10 MB"),
        ({"file": SimpleUploadedFile("a.csv", b"Issue key,Title\nA-1,x\n")}, "missing: Summary, Issue Type"),
    ],
)
def test_a_bad_upload_is_422_with_the_error_next_to_the_field(login, cast, data, message):
    response = login(cast.lead).post(reverse("backlog_import", args=[cast.team.pk]), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="field field-error"' in page and message in page
    assert not JiraImport.objects.exists()


def test_only_the_teams_planners_import(login, cast):
    url = reverse("backlog_import", args=[cast.team.pk])
    assert login(cast.member).get(url).status_code == 403
    assert login(cast.member).post(url, {"file": csv_upload()}).status_code == 403
    assert login(cast.employee_elsewhere).get(url).status_code == 403
    assert login(cast.admin).get(url).status_code == 200
    assert login(cast.outsider).get(url).status_code == 404
    assert login(cast.outsider).get(reverse("backlog_import", args=[cast.other_team.pk])).status_code == 404
    assert not JiraImport.objects.exists()


# --- Pages: the import -----------------------------------------------------------------------------


def test_the_import_page_polls_while_reading_and_htmx_gets_only_the_partial(login, cast, django_assert_max_num_queries):
    jira_import = upload(cast)
    client = login(cast.lead)
    url = reverse("backlog_import_detail", args=[jira_import.pk])
    page = client.get(url).content.decode()
    assert "<title>Jira import “jira.csv” · Checkout" in page
    assert f'hx-get="{url}" hx-trigger="every 1s"' in page and "<progress" in page
    JiraImport.objects.filter(pk=jira_import.pk).update(progress=100, total=250)
    # Polled every second, so kept cheap: the import and the team tree (for who leads it), besides the
    # session, the user, the viewer (2) and the session's save (3).
    with django_assert_max_num_queries(9):
        partial = client.get(url, **HTMX).content.decode()
    assert "<html" not in partial and partial.strip().startswith('<div id="import-status"')
    assert '<progress class="import-progress" value="100" max="250"' in partial and "100 of 250 rows" in partial


def test_the_preview_page_and_its_confirmation(login, cast, published, django_capture_on_commit_callbacks):
    jira_import = parsed(cast)
    client = login(cast.lead)
    url = reverse("backlog_import_detail", args=[jira_import.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every' not in page  # nothing to follow any more (the frame's search box has its own)
    assert "1 new, 0 already imported" in page and "4 new, 0 already imported" in page
    assert '<li class="chip">Labels</li><li class="chip">Reporter</li>' in page
    assert page.count("<select") == 5 and '<label for="id_status_4">Blocked</label>' in page
    assert '<option value="in_progress" selected>In progress</option>' in page
    assert "Import 1 epic and 4 stories" in page

    bad = client.post(url, {"status_0": "in_progress", "status_1": "done", "status_2": "nonsense"})
    assert bad.status_code == 422 and "Select a valid choice" in bad.content.decode()
    assert JiraImport.objects.get(pk=jira_import.pk).state == ImportState.PREVIEW

    choices = {"status_0": "in_progress", "status_1": "done", "status_2": "in_progress", "status_3": "todo"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**choices, "status_4": "todo"})
    assert response.status_code == 302 and response["Location"] == url
    jira_import.refresh_from_db()
    assert jira_import.state == ImportState.APPLYING and jira_import.status_map["Blocked"] == "todo"
    assert published == [("backlog.tasks.apply_jira_import", {"import_id": jira_import.pk})]
    assert client.post(url, {**choices, "status_4": "done"}).status_code == 302  # a second click: no-op
    assert JiraImport.objects.get(pk=jira_import.pk).status_map["Blocked"] == "todo"
    assert "Importing" in client.get(url).content.decode()

    imports.import_apply(jira_import.pk)
    done = client.get(url).content.decode()
    assert "Imported" in done and "1 created, 0 updated" in done and "4 created, 0 updated" in done
    assert 'hx-trigger="every' not in done


def test_the_failed_page_lists_every_bad_row(login, cast):
    jira_import = parsed(cast, ["Issue key,Summary,Issue Type,Story Points", "A-1,,Story,", "A-2,Two,Story,-1"])
    page = login(cast.lead).get(reverse("backlog_import_detail", args=[jira_import.pk])).content.decode()
    assert "Refused: nothing was imported" in page and "2 problems found" in page
    assert '<td class="num">2</td><td>A-1</td><td>Summary is empty.</td>' in page
    assert '<td class="num">3</td><td>A-2</td><td>Story Points “-1” is not a number of zero or more.</td>' in page


def test_the_import_page_is_for_the_teams_planners_only(login, cast):
    jira_import = upload(cast)
    url = reverse("backlog_import_detail", args=[jira_import.pk])
    assert login(cast.lead).get(url).status_code == 200
    assert login(cast.admin).get(url).status_code == 200
    assert login(cast.member).get(url).status_code == 403
    assert login(cast.member).post(url, {"status_0": "todo"}).status_code == 403
    assert login(cast.outsider).get(url).status_code == 404
    theirs = imports.import_upload(
        team=cast.outsider_team, uploaded_by=cast.outsider, filename="x.csv", content=csv_bytes(SAMPLE)
    )
    assert login(cast.lead).get(reverse("backlog_import_detail", args=[theirs.pk])).status_code == 404
    assert login(cast.admin).get(reverse("backlog_import_detail", args=[theirs.pk])).status_code == 404


# --- Export ----------------------------------------------------------------------------------------


@pytest.fixture
def linked_backlog(cast, okrs, quarter):
    """The sample imported, plus a story made here, a KR everyone sees and a private one only its owner
    (the lead) sees, both linked to the cache story."""
    applied(cast)
    public = objective_services.key_result_create(
        objective=okrs[2], title="Checkout p95 under 1 s", start_value=3, target_value=1, today=TODAY
    )
    secret = objective_services.objective_create(
        organisation=cast.org, cycle=quarter, team=cast.team, title="Secret", owner=cast.lead, visibility="private"
    )
    hidden = objective_services.key_result_create(
        objective=secret, title="Hidden KR", start_value=0, target_value=1, today=TODAY
    )
    cache_story = story("CHK-2")
    services.link_story(story=cache_story, key_result=public, share=0.5)
    services.link_story(story=cache_story, key_result=hidden, share=0.5)
    services.link_epic(epic=cache_story.epic, key_result=public, share=0.2)
    made_here = services.story_save(
        organisation=cast.org, team=cast.team, title="=HYPERLINK(evil)", points=2, epic=cache_story.epic
    )
    return made_here


def exported(client, team) -> list[dict[str, str]]:
    response = client.get(reverse("backlog_export", args=[team.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{team.name.lower()}-backlog.csv"'
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_writes_jira_columns_and_only_visible_key_results(
    login, cast, linked_backlog, django_assert_max_num_queries
):
    client = login(cast.member)
    # Session, user, viewer (2) and the session's save; the team, its tree for the visibility rule,
    # epics and their links, stories and their links: whatever the backlog's size (below 1,000 stories).
    with django_assert_max_num_queries(13):
        rows = exported(client, cast.team)
    assert list(rows[0]) == list(exports.EXPORT_COLUMNS)
    by_key = {row["Issue key"]: row for row in rows}
    assert [row["Issue key"] for row in rows] == [
        "CHK-1",
        "CHK-2",
        "CHK-3",
        "CHK-4",
        "CHK-5",
        f"OKR-{linked_backlog.pk}",
    ]
    assert by_key["CHK-1"]["Issue Type"] == "Epic" and by_key["CHK-1"]["Status"] == "To Do"
    assert by_key["CHK-1"]["Key results"] == "Checkout p95 under 1 s"
    cache_row = by_key["CHK-2"]
    assert (cache_row["Issue Type"], cache_row["Status"], cache_row["Story Points"]) == ("Story", "Done", "5")
    assert (cache_row["Parent"], cache_row["Sprint"], cache_row["Resolved"]) == (
        "CHK-1",
        "CHK Sprint 2",
        "2026-11-10 14:30:00",
    )
    assert cache_row["Key results"] == "Checkout p95 under 1 s"  # not the private "Hidden KR"
    assert by_key["CHK-3"]["Status"] == "In Progress" and by_key["CHK-5"]["Story Points"] == ""
    assert by_key[f"OKR-{linked_backlog.pk}"]["Summary"] == "'=HYPERLINK(evil)"  # no formula for spreadsheets
    lead_rows = {row["Issue key"]: row for row in exported(login(cast.lead), cast.team)}
    assert lead_rows["CHK-2"]["Key results"] == "Checkout p95 under 1 s; Hidden KR"


def test_anyone_who_sees_the_team_exports_and_outsiders_get_404(login, cast):
    url = reverse("backlog_export", args=[cast.team.pk])
    assert login(cast.employee_elsewhere).get(url).status_code == 200
    assert login(cast.guest).get(url).status_code == 200
    assert login(cast.outsider).get(url).status_code == 404
    assert login(cast.guest).get(reverse("backlog_export", args=[cast.other_team.pk])).status_code == 404


def test_an_export_imports_again_without_a_single_copy(login, cast, linked_backlog):
    before = {
        s.pk: (s.title, s.status, s.points, s.epic_id, s.sprint_id, s.done_at, s.description)
        for s in Story.objects.all()
    }
    content = login(cast.member).get(reverse("backlog_export", args=[cast.team.pk])).content
    jira_import = imports.import_upload(team=cast.team, uploaded_by=cast.lead, filename="export.csv", content=content)
    imports.import_parse(jira_import.pk)
    jira_import.refresh_from_db()
    assert jira_import.state == ImportState.PREVIEW, jira_import.errors
    assert jira_import.preview["ignored_columns"] == ["Key results"]
    assert (jira_import.preview["stories_new"], jira_import.preview["epics_new"]) == (0, 0)
    done = imports.import_apply(jira_import.pk, jira_import.status_map, now=NOW)
    assert done.result["stories_updated"] == done.result["epics_updated"] == 0  # nothing differs
    assert done.result["stories_created"] == done.result["epics_created"] == done.result["sprints_created"] == 0
    after = {
        s.pk: (s.title, s.status, s.points, s.epic_id, s.sprint_id, s.done_at, s.description)
        for s in Story.objects.all()
    }
    assert after == before
    assert Story.objects.get(pk=linked_backlog.pk).external_key == ""  # still the app's own item
