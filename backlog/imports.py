"""Jira CSV import (the export lives in ``backlog.exports``).

The import runs in steps, each a service (the jobs in ``backlog.tasks`` call the two long ones):

1. ``import_upload``: quick checks (size, encoding, header), the bytes stored in PostgreSQL so any
   worker reads them; the parse job is published after commit, with the import's id only.
2. ``import_parse`` (job): reads every row (``backlog.jira``), checks it against what the organisation
   already holds, and leaves a preview (counts, statuses, ignored columns, a suggested status mapping),
   or every bad row with its line number. Nothing is written to the backlog.
3. ``import_confirm``: the product owner's status mapping is stored; the apply job is published.
4. ``import_apply`` (job): the file is read and checked again, then written in one transaction, all or
   nothing. Items are matched by ``external_key`` within the organisation, so a re-import updates
   rather than duplicates; the export's "OKR-<id>" keys match the app's own items that have no Jira key.

Rules kept honest rather than clever:
- An item already in another team's backlog is left as it is (a team's lead plans only their team);
  the preview lists it. A story sits under an epic of its own team (``services.story_epic_refusal``):
  a row whose parent is another team's epic is a row error.
- Columns missing from the file leave the matching fields of updated items unchanged.
- Jira's CSV carries no sprint dates: a sprint the team does not have yet is created planned, starting
  and ending on the import day, for the team to date on the Sprints page. A story is never moved into,
  or out of, a closed sprint.
- A done story's ``done_at`` is its "Resolved" date (in the organisation's time zone), else the time it
  was already done here, else the import time.
- Epics take Jira's epic statuses through the same mapping (done → done, anything else → open); an
  epic's Jira parent (an initiative) is not imported. A sub-task goes under its parent story's epic.

Progress: ``progress``/``total`` count rows and move every ~100 rows. During the apply they are written
through a connection of their own, so the page sees them while the import's transaction is still open.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from backlog import jira, ordering
from backlog.models import (
    Epic,
    EpicStatus,
    ImportState,
    JiraImport,
    Sprint,
    SprintState,
    Story,
    StoryStatus,
)
from backlog.services import check_points, story_epic_refusal
from backlog.sprints import sprint_entered_at
from okrapp.models import Membership, Team
from okrapp.timeutil import org_today

logger = logging.getLogger(__name__)

NUDGE_AFTER = timedelta(seconds=30)  # an import still waiting this long gets its job published again
BATCH = jira.PROGRESS_EVERY  # rows written per query, and between two progress reports
LOCK_NAMESPACE = 0x4A495241  # "JIRA": the first key of the apply's advisory lock (the import id is the second)
ELSEWHERE_LISTED = 50  # items of other teams named in the preview (the rest are counted)
FINISHED = (ImportState.DONE, ImportState.FAILED)


# --- Publishing the jobs ---------------------------------------------------------------------------


def _nudge_key(import_id: int) -> str:
    return f"backlog:jira-import:{import_id}:published"


def publish_parse(import_id: int) -> bool:
    """Publish the parse job; when the broker is unreachable, log it: the import's page publishes it
    again (``import_nudge``)."""
    from backlog.tasks import parse_jira_import

    return _publish(parse_jira_import, import_id)


def publish_apply(import_id: int) -> bool:
    from backlog.tasks import apply_jira_import

    return _publish(apply_jira_import, import_id)


def _publish(task: Any, import_id: int) -> bool:
    try:
        task.apply_async(kwargs={"import_id": import_id}, retry=False)
    except (BrokerError, OSError) as exc:
        logger.warning("Jira import %s: %s not queued (%s); its page will queue it again", import_id, task.name, exc)
        return False
    cache.set(_nudge_key(import_id), True, timeout=NUDGE_AFTER.total_seconds())
    return True


def import_nudge(jira_import: JiraImport, *, now: datetime | None = None) -> bool:
    """Publish the job of an import that has waited longer than ``NUDGE_AFTER`` again (the broker was
    down at upload, or a worker died): at most once per ``NUDGE_AFTER`` per web process. The jobs are
    idempotent, so a second copy of a job that was only slow costs a no-op. Returns whether it published."""
    if jira_import.state not in (ImportState.PARSING, ImportState.APPLYING):
        return False
    if (now or timezone.now()) - jira_import.created_at < NUDGE_AFTER:
        return False
    if not cache.add(_nudge_key(jira_import.pk), True, timeout=NUDGE_AFTER.total_seconds()):
        return False
    if jira_import.state == ImportState.PARSING:
        return publish_parse(jira_import.pk)
    return publish_apply(jira_import.pk)


# --- Upload ----------------------------------------------------------------------------------------


def import_upload(*, team: Team, uploaded_by: Membership, filename: str, content: bytes) -> JiraImport:
    """Store an uploaded Jira CSV export for ``team`` and publish its parse job after commit. The caller
    has checked that ``uploaded_by`` plans the team. A file that fails the quick checks (over 10 MB,
    empty, binary, mixed encodings, no header with the needed columns) is refused at once:
    ``ValidationError`` on "file"."""
    if len(content) > jira.MAX_BYTES:
        raise ValidationError({"file": f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is 10 MB."})
    if uploaded_by.organisation_id != team.organisation_id:
        raise ValidationError({"file": "That person belongs to another organisation."})
    try:
        jira.check_file(content)
    except jira.FileRefused as refused:
        raise ValidationError({"file": refused.message}) from None
    name = PurePath(filename.replace("\\", "/")).name or "jira.csv"
    with transaction.atomic():
        jira_import = JiraImport.objects.create(
            organisation_id=team.organisation_id,
            team=team,
            uploaded_by=uploaded_by,
            filename=name[-200:],
            size=len(content),
            content=content,
        )
        transaction.on_commit(lambda: publish_parse(jira_import.pk))
    return jira_import


# --- Checking the file against the organisation ---------------------------------------------------


@dataclass
class _Plan:
    """What an import will do: each row's target (None: a new item) and every problem found."""

    epic_rows: list[jira.JiraRow] = field(default_factory=list)
    story_rows: list[jira.JiraRow] = field(default_factory=list)
    epics: dict[str, Epic | None] = field(default_factory=dict)  # key → existing epic of the team, or None
    stories: dict[str, Story | None] = field(default_factory=dict)
    elsewhere: dict[str, Epic | Story] = field(default_factory=dict)  # key → item of another team: untouched
    parent_epic: dict[str, tuple[str, int | str] | None] = field(default_factory=dict)  # story key → epic
    sprints: dict[str, Sprint] = field(default_factory=dict)  # casefolded name → the team's sprint
    new_sprints: list[str] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)

    def error(self, row: jira.JiraRow, message: str) -> None:
        self.errors.append({"line": row.line, "key": row.key, "message": message})


class _Lookup:
    """The organisation's epics and stories that the file names, by key (one query each kind)."""

    def __init__(self, organisation_id: int, keys: set[str]) -> None:
        ids = {pk for key in keys if (pk := jira.okr_id(key)) is not None}
        epics = Epic.objects.filter(organisation_id=organisation_id).select_related("team")
        stories = Story.objects.filter(organisation_id=organisation_id).select_related("team", "sprint")
        # "external_key <> ''" as the unique indexes' own condition, so the planner can use them.
        keyed_epics, keyed_stories = epics.exclude(external_key=""), stories.exclude(external_key="")
        self.epics = {e.external_key: e for e in keyed_epics.filter(external_key__in=keys)}
        self.stories = {s.external_key: s for s in keyed_stories.filter(external_key__in=keys)}
        # The export writes "OKR-<id>" for items without a Jira key; those keys find them again.
        self.epic_ids = {e.pk: e for e in epics.filter(external_key="", pk__in=ids)} if ids else {}
        self.story_ids = {s.pk: s for s in stories.filter(external_key="", pk__in=ids)} if ids else {}

    def epic(self, key: str) -> Epic | None:
        pk = jira.okr_id(key)
        return self.epics.get(key) or (self.epic_ids.get(pk) if pk is not None else None)

    def story(self, key: str) -> Story | None:
        pk = jira.okr_id(key)
        return self.stories.get(key) or (self.story_ids.get(pk) if pk is not None else None)


_UNKNOWN = ("unknown", "")


def _plan(jira_import: JiraImport, parsed: jira.ParsedFile) -> _Plan:
    team = jira_import.team
    plan = _Plan()
    rows = {row.key: row for row in parsed.rows}
    refs = {row.parent for row in parsed.rows if row.parent and row.parent not in rows}
    found = _Lookup(jira_import.organisation_id, set(rows) | refs)
    for row in parsed.rows:
        if row.is_epic:
            plan.epic_rows.append(row)
            if jira.okr_id(row.key) is None and row.key in found.stories:
                plan.error(
                    row,
                    f"{row.key} was imported as a story and Jira now calls it an epic; the app does not "
                    "turn one into the other. Leave the row out, or change its Issue Type in the file.",
                )
                continue
            epic = found.epic(row.key)
            if epic is not None and epic.team_id != team.pk:
                plan.elsewhere[row.key] = epic
            else:
                plan.epics[row.key] = epic
            continue
        plan.story_rows.append(row)
        if jira.okr_id(row.key) is None and row.key in found.epics:
            plan.error(
                row,
                f"{row.key} was imported as an epic and Jira now calls it a {row.issue_type}; the app "
                "does not turn one into the other. Leave the row out, or change its Issue Type in the file.",
            )
            continue
        try:
            check_points(row.points)
        except ValidationError as exc:
            plan.error(row, f"Story Points {row.points:g}: {exc.message_dict['points'][0]}")
        parent = _epic_of(row.parent, rows, found)
        if parent == _UNKNOWN and row.parent not in parsed.bad_keys:  # a bad parent row reports itself
            plan.error(row, f"Its parent {row.parent} is neither in the file nor already imported.")
        plan.parent_epic[row.key] = parent
        story = found.story(row.key)
        if story is not None and story.team_id != team.pk:
            plan.elsewhere[row.key] = story
        else:
            plan.stories[row.key] = story
    _check_epic_teams(plan, team.pk)
    plan.sprints = {s.name.casefold(): s for s in Sprint.objects.filter(team=team)}
    seen = set(plan.sprints)
    for row in (row for row in plan.story_rows if row.key not in plan.elsewhere):
        for name in row.sprints:
            if name.casefold() not in seen:
                seen.add(name.casefold())
                plan.new_sprints.append(name)
    plan.errors.sort(key=lambda error: int(error["line"] or 0))  # type: ignore[call-overload]
    return plan


def _check_epic_teams(plan: _Plan, team_id: int) -> None:
    """Every story the import writes sits under an epic of the import's team, or none (one query)."""
    imported = {int(target[1]) for target in plan.parent_epic.values() if target and target[0] == "id"}
    team_of = dict(Epic.objects.filter(pk__in=imported).values_list("pk", "team_id")) if imported else {}
    for row in plan.story_rows:
        target = plan.parent_epic.get(row.key)
        if row.key in plan.elsewhere or target is None or target == _UNKNOWN:
            continue
        kind, ref = target
        if kind == "id":
            epic_team_id = team_of.get(int(ref))
        else:  # an epic row of the file: the team's, unless it already sits in another team's backlog
            elsewhere = plan.elsewhere.get(str(ref))
            epic_team_id = elsewhere.team_id if elsewhere is not None else team_id
        if story_epic_refusal(team_id=team_id, epic_team_id=epic_team_id):
            plan.error(
                row,
                f"Its parent {row.parent} leads to an epic of another team's backlog, and a story sits under "
                "an epic of its own team: change its parent in the file, or import it into that team.",
            )


def _epic_of(
    ref: str, rows: Mapping[str, jira.JiraRow], found: _Lookup, depth: int = 0
) -> tuple[str, int | str] | None:
    """A story's epic: ("file", key) for an epic of the file, ("id", pk) for one already imported,
    None when its parent is no epic, ``_UNKNOWN`` when the parent is nowhere. A sub-task's parent is a
    story: the sub-task goes under that story's epic."""
    if not ref:
        return None
    if ref in rows:
        parent = rows[ref]
        if parent.is_epic:
            return ("file", ref)
        if depth >= 3:  # a loop of sub-tasks; Jira has two levels below an epic
            return None
        below = _epic_of(parent.parent, rows, found, depth + 1)
        return None if below == _UNKNOWN else below  # the parent row reports its own unknown parent
    if (epic := found.epic(ref)) is not None:
        return ("id", epic.pk)
    if (story := found.story(ref)) is not None:
        return ("id", story.epic_id) if story.epic_id else None
    return None if depth else _UNKNOWN


def _preview(parsed: jira.ParsedFile, plan: _Plan) -> dict[str, object]:
    elsewhere = list(plan.elsewhere.items())  # in the file's order
    return {
        "total": parsed.total,
        "epics": len(plan.epic_rows),
        "stories": len(plan.story_rows),
        "epics_new": sum(1 for e in plan.epics.values() if e is None),
        "epics_updated": sum(1 for e in plan.epics.values() if e is not None),
        "stories_new": sum(1 for s in plan.stories.values() if s is None),
        "stories_updated": sum(1 for s in plan.stories.values() if s is not None),
        "elsewhere": [{"key": key, "team": item.team.name} for key, item in elsewhere[:ELSEWHERE_LISTED]],
        "elsewhere_count": len(elsewhere),
        "sprints_new": plan.new_sprints,
        "statuses": [{"name": name, "count": count} for name, count in parsed.statuses.items()],
        "columns_missing": [
            label
            for role, label in (("status", "Status"), ("points", "Story Points"), ("parent", "Parent or Epic Link"))
            if role not in parsed.roles
        ],
        "ignored_columns": parsed.ignored_columns,
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
    }


# --- Parse -----------------------------------------------------------------------------------------


def import_parse(import_id: int) -> JiraImport | None:
    """Read an uploaded file into a preview, or into the list of its bad rows (state FAILED). Runs in
    the parse job; a no-op unless the import is still being read (idempotent). Writes only the import."""
    jira_import = JiraImport.objects.select_related("team").filter(pk=import_id).first()
    if jira_import is None or jira_import.state != ImportState.PARSING:
        return jira_import

    def report(done: int, total: int) -> None:
        JiraImport.objects.filter(pk=import_id, state=ImportState.PARSING).update(progress=done, total=total)

    preview: dict[str, object] = {}
    status_map: dict[str, str] = {}
    total = 0
    try:
        parsed = jira.parse(bytes(jira_import.content), on_progress=report)
    except jira.FileRefused as refused:
        errors = [refused.as_error()]
    else:
        total = parsed.total
        plan = _plan(jira_import, parsed)
        errors = _merge_errors(parsed, plan)
        if not errors:
            preview = _preview(parsed, plan)
            status_map = dict(jira.suggest_status_map(parsed.statuses))
    with transaction.atomic():
        locked = JiraImport.objects.select_for_update().defer("content").filter(pk=import_id).first()
        if locked is None or locked.state != ImportState.PARSING:
            return locked
        locked.progress = locked.total = total
        if errors:
            locked.state, locked.errors, locked.finished_at = ImportState.FAILED, errors, timezone.now()
        else:
            locked.state, locked.preview, locked.status_map = ImportState.PREVIEW, preview, status_map
        locked.save(update_fields=["progress", "total", "state", "errors", "finished_at", "preview", "status_map"])
    return locked


def _merge_errors(parsed: jira.ParsedFile, plan: _Plan) -> list[dict[str, object]]:
    errors = [error.as_error() for error in parsed.errors] + plan.errors
    return sorted(errors, key=lambda error: int(error["line"] or 0))  # type: ignore[call-overload]


# --- Confirm ---------------------------------------------------------------------------------------


def import_statuses(jira_import: JiraImport) -> list[str]:
    """The Jira statuses the file uses, as the preview found them."""
    return [str(s["name"]) for s in jira_import.preview.get("statuses", [])]


@transaction.atomic
def import_confirm(*, jira_import: JiraImport, status_map: Mapping[str, str]) -> JiraImport:
    """The product owner confirms the preview with the status mapping; the apply job is published after
    commit. ``ValidationError`` when the import is not waiting for it, or a status is not mapped."""
    locked = JiraImport.objects.select_for_update().defer("content").get(pk=jira_import.pk)
    if locked.state != ImportState.PREVIEW:
        raise ValidationError(f"This import is not waiting for confirmation: it is “{locked.get_state_display()}”.")
    try:
        mapping = jira.check_status_map(import_statuses(locked), status_map)
    except ValueError as exc:
        raise ValidationError({"status_map": str(exc)}) from None
    locked.status_map = dict(mapping)
    locked.state = ImportState.APPLYING
    locked.progress = 0
    locked.total = int(locked.preview.get("epics", 0)) + int(locked.preview.get("stories", 0))
    locked.save(update_fields=["status_map", "state", "progress", "total"])
    transaction.on_commit(lambda: publish_apply(locked.pk))
    return locked


# --- Apply -----------------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


def _write_progress(import_id: int, done: int, total: int) -> None:
    JiraImport.objects.filter(pk=import_id, state=ImportState.APPLYING).update(progress=done, total=total)


class _ProgressWriter:
    """Progress of an apply, committed at once while the apply's own transaction is still open, so the
    page's poll sees it: the writes go through a helper thread, whose connection (Django keeps one per
    thread) is in autocommit. Each write waits for the thread, so none outlives the apply."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self._pool: ThreadPoolExecutor | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jira-import-progress")
        self._pool.submit(_write_progress, self.import_id, done, total).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.submit(connections.close_all).result()  # the helper thread's own connection
            self._pool.shutdown()
            self._pool = None


def _lock_apply(import_id: int) -> bool:
    """Hold the import's apply lock until the transaction ends; False if another run holds it. (An
    advisory lock, not the row's lock: the progress writes must keep updating the row meanwhile.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, import_id])
        row = cursor.fetchone()
    return bool(row and row[0])


def import_apply(
    import_id: int, status_map: Mapping[str, str] | None = None, *, now: datetime | None = None
) -> JiraImport | None:
    """Write a confirmed import into the backlog, all or nothing, in one transaction; state DONE with
    ``result`` counts. Without ``status_map`` it applies the mapping ``import_confirm`` stored (what the
    job does); with one it also applies an import still in preview. A no-op for an import that is done,
    failed, not confirmed, or being applied by another run (idempotent). If the file no longer fits what
    the organisation holds (a parent was deleted since the preview…), the import fails with every bad
    row listed and nothing is written. ``ValidationError`` on "status_map" for an incomplete mapping."""
    jira_import = JiraImport.objects.defer("content").filter(pk=import_id).first()
    if jira_import is None or jira_import.state in FINISHED or jira_import.state == ImportState.PARSING:
        return jira_import
    if status_map is None:
        if jira_import.state != ImportState.APPLYING:
            return jira_import  # not confirmed yet
        status_map = jira_import.status_map
    try:
        mapping = jira.check_status_map(import_statuses(jira_import), status_map)
    except ValueError as exc:
        raise ValidationError({"status_map": str(exc)}) from None
    report = _ProgressWriter(import_id)
    try:
        with transaction.atomic():
            if not _lock_apply(import_id):
                return jira_import
            current = JiraImport.objects.select_related("team", "organisation").get(pk=import_id)
            if current.state not in (ImportState.PREVIEW, ImportState.APPLYING):
                return current
            parsed = jira.parse(bytes(current.content))
            plan = _plan(current, parsed)
            errors = _merge_errors(parsed, plan)
            if errors:
                raise _Refused(errors)
            stamp = now or timezone.now()
            result = _write(current, parsed, plan, mapping, stamp, report)
            current.state, current.result, current.status_map = ImportState.DONE, result, dict(mapping)
            current.progress = current.total = parsed.total
            current.finished_at = stamp
            current.save(update_fields=["state", "result", "status_map", "progress", "total", "finished_at"])
            return current
    except jira.FileRefused as refused:
        return import_fail(import_id=import_id, errors=[refused.as_error()])
    except _Refused as refused:
        return import_fail(import_id=import_id, errors=refused.errors)
    finally:
        report.close()


def import_fail(*, import_id: int, errors: list[dict[str, object]]) -> JiraImport | None:
    """Mark an unfinished import as failed with these errors (nothing of it was written)."""
    with transaction.atomic():
        locked = JiraImport.objects.select_for_update().defer("content").filter(pk=import_id).first()
        if locked is None or locked.state in FINISHED:
            return locked
        locked.state, locked.errors, locked.finished_at = ImportState.FAILED, errors, timezone.now()
        locked.save(update_fields=["state", "errors", "finished_at"])
    return locked


def _batches(rows: list[jira.JiraRow]) -> Iterator[list[jira.JiraRow]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


EPIC_FIELDS = ("title", "status", "context")
STORY_FIELDS = ("title", "description", "points", "epic_id", "status", "done_at", "sprint_id", "sprint_added_at")


def _values(item: Epic | Story, fields: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(item, name) for name in fields)


def _save(
    model: type[Epic] | type[Story],
    items: list[tuple[Any, tuple[object, ...] | None]],
    fields: tuple[str, ...],
    now: datetime,
) -> tuple[int, int]:
    """Insert the new items, update those the file changed (an unchanged one keeps its ``updated_at``).
    ``items`` pairs each item with its values before the import (None: new). Returns (created, updated)."""
    new = [item for item, before in items if before is None]
    changed: list[Any] = []
    names: set[str] = set()  # only the fields that changed: bulk_update's cost grows with rows × fields
    for item, before in items:
        if before is not None and (
            differ := {n for n, old in zip(fields, before, strict=True) if getattr(item, n) != old}
        ):
            item.updated_at = now
            changed.append(item)
            names |= differ
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, [n.removesuffix("_id") for n in fields if n in names] + ["updated_at"])
    return len(new), len(changed)


def _write(
    jira_import: JiraImport,
    parsed: jira.ParsedFile,
    plan: _Plan,
    mapping: Mapping[str, jira.StoryState],
    now: datetime,
    report: Callable[[int, int], None],
) -> dict[str, int]:
    organisation, team, roles = jira_import.organisation, jira_import.team, parsed.roles
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    today = org_today(organisation, now)
    handled = 0
    counts = ("epics_created", "epics_updated", "stories_created", "stories_updated", "sprint_kept")
    result = {**dict.fromkeys(counts, 0), "elsewhere": len(plan.elsewhere)}

    new_sprints = [
        Sprint(organisation=organisation, team=team, name=name, start_date=today, end_date=today)
        for name in plan.new_sprints
    ]
    Sprint.objects.bulk_create(new_sprints)
    sprints = {**plan.sprints, **{s.name.casefold(): s for s in new_sprints}}
    result["sprints_created"] = len(new_sprints)

    def state_of(row: jira.JiraRow) -> str:
        return mapping.get(row.status, "todo") if row.status else "todo"

    epic_ids = {key: item.pk for key, item in plan.elsewhere.items() if isinstance(item, Epic)}
    epic_rank = _next_rank(Epic.objects.filter(organisation=organisation))
    for batch in _batches(plan.epic_rows):
        epics: list[tuple[Any, tuple[object, ...] | None]] = []
        for row in (row for row in batch if row.key not in plan.elsewhere):
            epic = plan.epics[row.key]
            before = None if epic is None else _values(epic, EPIC_FIELDS)
            if epic is None:
                epic = Epic(organisation=organisation, team=team, external_key=row.key, rank=epic_rank)
                epic_rank += 1.0
            epic.title = row.summary
            if "status" in roles:
                epic.status = EpicStatus.DONE if state_of(row) == "done" else EpicStatus.OPEN
            if row.description and not epic.context:  # fills an empty briefing; never overwrites one
                epic.context = row.description
            epics.append((epic, before))
        created, updated = _save(Epic, epics, EPIC_FIELDS, now)
        epic_ids.update({epic.external_key or jira.okr_key(epic.pk): epic.pk for epic, _ in epics})
        result["epics_created"] += created
        result["epics_updated"] += updated
        handled += len(batch)
        report(handled, parsed.total)

    def epic_id(key: str) -> int | None:
        target = plan.parent_epic.get(key)
        if target is None:
            return None
        kind, ref = target
        return epic_ids.get(str(ref)) if kind == "file" else int(ref)

    story_rank = ordering.rank_at_end(team.pk)  # new stories go to the bottom, in the file's order
    for batch in _batches(plan.story_rows):
        stories: list[tuple[Any, tuple[object, ...] | None]] = []
        for row in (row for row in batch if row.key not in plan.elsewhere):
            story = plan.stories[row.key]
            before = None if story is None else _values(story, STORY_FIELDS)
            if story is None:
                story = Story(organisation=organisation, team=team, external_key=row.key, rank=story_rank)
                story_rank = ordering.rank_after(story_rank)
            story.title = row.summary
            if "description" in roles:
                story.description = row.description
            if "points" in roles:
                story.points = row.points
            if "parent" in roles:
                story.epic_id = epic_id(row.key)
            if "status" in roles or before is None:
                _set_state(story, state_of(row), row.resolved, zone, now)
            if "sprint" in roles and not _place_in_sprint(
                story, sprints.get(row.sprint.casefold()) if row.sprint else None, now
            ):
                result["sprint_kept"] += 1
            stories.append((story, before))
        created, updated = _save(Story, stories, STORY_FIELDS, now)
        result["stories_created"] += created
        result["stories_updated"] += updated
        handled += len(batch)
        report(handled, parsed.total)
    return result


def _next_rank(rows: Any) -> float:
    last = rows.aggregate(last=Max("rank"))["last"]
    return 0.0 if last is None else float(last) + 1.0


def _set_state(story: Story, state: str, resolved: datetime | None, zone: zoneinfo.ZoneInfo, now: datetime) -> None:
    """Status and ``done_at`` together (a done story always has one; see the model's constraint)."""
    if state == StoryStatus.DONE:
        if resolved is not None:
            story.done_at = resolved if resolved.tzinfo is not None else resolved.replace(tzinfo=zone)
        elif story.status != StoryStatus.DONE or story.done_at is None:
            story.done_at = now
    else:
        story.done_at = None
    story.status = state


def _place_in_sprint(story: Story, sprint: Sprint | None, now: datetime) -> bool:
    """Put the story in this sprint (None: none), unless that moves it into or out of a closed sprint.
    Returns whether it now stands where the file says."""
    current = story.sprint if story.sprint_id else None
    if (current is not None and current.pk == (sprint.pk if sprint else None)) or (current is None and sprint is None):
        return True
    if (current is not None and current.state == SprintState.CLOSED) or (
        sprint is not None and sprint.state == SprintState.CLOSED
    ):
        return False
    story.sprint_added_at = sprint_entered_at(story, sprint, now=now)
    story.sprint = sprint
    return True
