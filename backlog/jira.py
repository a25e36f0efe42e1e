"""Reading a Jira CSV export, as Jira writes it: pure (bytes in, rows or errors out; no ORM, no clock).

What a real export looks like, and what this module does about it:

- UTF-8 with or without a byte-order mark; cp1252 (Excel on Windows) only when no byte of the file is
  UTF-8, since a file that is partly UTF-8 and partly not cannot be read right either way;
- comma-separated, or semicolon or tab (European Excel); the delimiter is the one that yields the
  needed columns on the first line;
- a column may repeat ("Sprint", "Labels", "Watchers"…): every non-empty value is kept;
- only "Issue key", "Summary" and "Issue Type" are needed; "Issue id", "Status", the story points
  columns, the parent columns, "Sprint", "Resolved" and "Description" are used when present; every
  other column is ignored and named in the preview.

Problems with the whole file raise ``FileRefused``; problems with rows are collected, every one with its
CSV line number (the line its record starts on, counting the header as line 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from okrapp.parsing import BadInput, check_date

MAX_BYTES = 10 * 1024 * 1024  # the upload cap, checked before parsing
MAX_ROWS = 20_000
PROGRESS_EVERY = 100  # rows between two progress reports
KEY_MAX = 40  # Epic.external_key, Story.external_key
EPIC_TITLE_MAX = 200
STORY_TITLE_MAX = 300
SPRINT_NAME_MAX = 80

StoryState = Literal["todo", "in_progress", "done"]
STATES: tuple[StoryState, ...] = ("todo", "in_progress", "done")
STATE_LABELS = {"todo": "To do", "in_progress": "In progress", "done": "Done"}

# Column roles and the header names (compared case-insensitively, spaces collapsed) that fill them.
# Where several names fill one role, the first non-empty cell in this order wins.
NEEDED = {"key": "Issue key", "summary": "Summary", "type": "Issue Type"}
ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("issue key",),
    "summary": ("summary",),
    "type": ("issue type",),
    "issue_id": ("issue id",),
    "status": ("status",),
    "points": (
        "story points",
        "custom field (story points)",
        "story point estimate",
        "custom field (story point estimate)",
    ),
    # "Parent id" holds the parent's "Issue id" (a number) in Jira Cloud; the others hold keys.
    "parent": (
        "parent key",
        "epic link",
        "custom field (epic link)",
        "parent",
        "parent id",
    ),
    "sprint": ("sprint",),
    "resolved": ("resolved",),
    "description": ("description",),
}
_ROLE_OF = {name: role for role, names in ALIASES.items() for name in names}
_PRIORITY = {name: rank for names in ALIASES.values() for rank, name in enumerate(names)}

# Jira's own formats first (its default is "12/Nov/24 3:45 PM"), then ISO-like ones.
RESOLVED_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y",
    "%d/%b/%Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M",
    "%d.%m.%Y",
)

# Suggested mapping of Jira's many workflow statuses (lower case); anything unknown suggests "todo".
KNOWN_STATUSES: dict[str, StoryState] = {
    **dict.fromkeys(
        ("to do", "todo", "open", "backlog", "new", "selected for development", "reopened", "ready", "ready for dev"),
        "todo",
    ),
    **dict.fromkeys(
        (
            "in progress",
            "in review",
            "review",
            "code review",
            "in testing",
            "testing",
            "qa",
            "in qa",
            "blocked",
            "in development",
        ),
        "in_progress",
    ),
    **dict.fromkeys(
        ("done", "closed", "resolved", "released", "complete", "completed", "won't do", "cancelled", "canceled"),
        "done",
    ),
}

# A cell a spreadsheet would run as a formula is written with a leading apostrophe (OWASP's advice for
# CSV exports); reading strips that apostrophe again, so an export re-imports unchanged.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Bytes that can only be UTF-8: a lead byte followed by the right number of continuation bytes.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters text does not use
_POINTS = re.compile(r"^\d+(?:[.,]\d+)?$")
_OKR_KEY = re.compile(r"^OKR-(\d+)$")


class FileRefused(ValueError):
    """The whole file cannot be read; ``line`` names where, when one line is to blame."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def as_error(self) -> dict[str, object]:
        return {"line": self.line, "key": "", "message": self.message}


@dataclass(frozen=True)
class RowError:
    line: int
    key: str
    message: str

    def as_error(self) -> dict[str, object]:
        return {"line": self.line, "key": self.key, "message": self.message}


@dataclass(frozen=True)
class JiraRow:
    """One issue of the file. ``parent`` is the parent's key when the parent is in the file (even when
    the file names it by its issue id), else the reference as written (the service looks it up)."""

    line: int
    key: str
    summary: str
    issue_type: str
    status: str = ""
    points: float | None = None
    parent: str = ""
    sprints: tuple[str, ...] = ()
    resolved: datetime | None = None  # naive unless the file gave an offset: the organisation's time
    description: str = ""

    @property
    def is_epic(self) -> bool:
        return self.issue_type.casefold() == "epic"

    @property
    def sprint(self) -> str:
        """The sprint the issue is in now: Jira lists a carried-over issue's sprints oldest first."""
        return self.sprints[-1] if self.sprints else ""


@dataclass
class ParsedFile:
    rows: list[JiraRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    roles: frozenset[str] = frozenset()  # the roles the header fills (see ALIASES)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    total: int = 0  # data rows in the file (blank lines not counted)
    bad_keys: set[str] = field(default_factory=set)  # keys of rows with errors (not in ``rows``)

    @property
    def statuses(self) -> Counter[str]:
        """Each non-empty Jira status and how many rows carry it, in order of first appearance."""
        return Counter(row.status for row in self.rows if row.status)


# --- Decoding --------------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """The file's text and the encoding read: "utf-8", "utf-8-sig" (with a byte-order mark) or
    "cp1252". Raises ``FileRefused`` for an empty, binary or mixed-encoding file."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused("This file is UTF-16 text. Save it as “CSV UTF-8” and upload it again.")
    if content.startswith(b"PK\x03\x04"):
        raise FileRefused("This is a spreadsheet or an archive, not a CSV file. Export CSV from Jira and upload that.")
    has_bom = content.startswith(codecs.BOM_UTF8)
    body = content[len(codecs.BOM_UTF8) :] if has_bom else content
    if not body.strip():
        raise FileRefused("The file is empty.")
    if b"\x00" in body:
        raise FileRefused("This is not a CSV file: it holds binary data. Export CSV from Jira and upload that.")
    try:
        text, encoding = body.decode("utf-8"), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        if has_bom or _UTF8_MULTIBYTE.search(body):
            raise FileRefused(
                "Parts of this file are UTF-8 and parts are not (the first byte that is not UTF-8 is on "
                f"line {line}), so some characters would come out wrong. Export it from Jira again, "
                "or save it as “CSV UTF-8”.",
                line=line,
            ) from None
        try:
            text, encoding = body.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc1252:
            line = body[: exc1252.start].count(b"\n") + 1
            raise FileRefused(
                f"This is not a text file: line {line} holds bytes no text encoding uses.", line
            ) from None
    controls = sum(1 for _ in _CONTROL.finditer(text))
    if controls > len(text) // 200:  # more than 0.5 %: binary data, not text
        raise FileRefused("This is not a CSV file: it holds binary data. Export CSV from Jira and upload that.")
    return text, encoding


# --- The header ------------------------------------------------------------------------------------


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return []


def read_header(text: str) -> tuple[str, list[str]]:
    """The delimiter and the column names. Raises ``FileRefused`` when the first line is not a header
    that names the needed columns."""
    best: tuple[str, list[str]] = (",", [])
    for delimiter in (",", ";", "\t"):
        header = [cell.strip() for cell in _first_record(text, delimiter)]
        roles = {_ROLE_OF.get(_normal(name)) for name in header}
        if roles >= set(NEEDED):
            return delimiter, header
        if len(header) > len(best[1]):
            best = (delimiter, header)
    header = best[1]
    if len(header) <= 1:
        raise FileRefused(
            "This does not look like a CSV file: its first line has no commas or semicolons between column "
            "names. Export CSV from Jira (all fields or current fields) and upload that.",
            line=1,
        )
    found = {_ROLE_OF.get(_normal(name)) for name in header}
    missing = [label for role, label in NEEDED.items() if role not in found]
    raise FileRefused(
        "The first line must name the columns Issue key, Summary and Issue Type, as Jira exports them; "
        f"missing: {', '.join(missing)}.",
        line=1,
    )


def check_file(content: bytes) -> None:
    """The quick checks an upload gets at once (size, encoding, header); rows are read by the job."""
    if len(content) > MAX_BYTES:
        raise FileRefused(f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is 10 MB.")
    text, _ = decode(content)
    read_header(text)


# --- Cells -----------------------------------------------------------------------------------------


def unescape_cell(value: str) -> str:
    """Strip the apostrophe an export puts before a cell a spreadsheet would run as a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def escape_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe (see ``FORMULA_START``)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def parse_points(text: str) -> float:
    """A non-negative number; "0,5" is read as 0.5 (European spreadsheets). Raises ValueError."""
    text = text.strip()
    if not _POINTS.match(text):
        raise ValueError(text)
    return float(text.replace(",", "."))


def parse_resolved(text: str) -> datetime:
    """Jira's date formats and ISO 8601, within the years 2000–2100. Raises ValueError."""
    text = " ".join(text.split())
    parsed = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in RESOLVED_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(text)
    check_date(parsed, field="resolved")  # BadInput (a ValueError) with the range in words
    return parsed


def okr_key(pk: int) -> str:
    """The key the app's export gives an item without a Jira key."""
    return f"OKR-{pk}"


def okr_id(key: str) -> int | None:
    """The app's own id in a key of the app's export ("OKR-<id>" for items without a Jira key)."""
    match = _OKR_KEY.match(key)
    return int(match.group(1)) if match else None


# --- Rows ------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    line: int
    cells: dict[str, list[str]]  # role → non-empty values, in column priority order
    extra: bool  # more non-empty cells than the header has columns


def _columns(header: list[str]) -> tuple[list[tuple[int, str]], list[str]]:
    """(column index, role) for used columns, in priority order; and the ignored column names."""
    used: list[tuple[int, int, str]] = []
    ignored: list[str] = []
    for index, name in enumerate(header):
        role = _ROLE_OF.get(_normal(name))
        if role is None:
            label = name or f"(unnamed column {index + 1})"
            if label not in ignored:
                ignored.append(label)
        else:
            used.append((_PRIORITY[_normal(name)], index, role))
    used.sort()
    return [(index, role) for _, index, role in used], ignored


def _read_records(text: str, delimiter: str, columns: list[tuple[int, str]], width: int) -> list[_Raw]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records: list[_Raw] = []
    next_line = 1
    try:
        for number, cells in enumerate(reader):
            line, next_line = next_line, reader.line_num + 1
            if number == 0 or not any(cell.strip() for cell in cells):
                continue  # the header; blank lines
            if len(records) >= MAX_ROWS:
                raise FileRefused(
                    f"The file has more than {MAX_ROWS:,} rows. Export fewer issues at a time (filter by "
                    "project, epic or date) and import them one after the other.",
                    line=line,
                )
            values: dict[str, list[str]] = {}
            for index, role in columns:
                if index < len(cells):
                    value = unescape_cell(cells[index].strip())
                    if value:
                        values.setdefault(role, []).append(value)
            extra = any(cell.strip() for cell in cells[width:])
            records.append(_Raw(line=line, cells=values, extra=extra))
    except csv.Error as exc:
        raise FileRefused(f"Line {next_line} cannot be read as CSV ({exc}).", line=next_line) from None
    return records


def _first(raw: _Raw, role: str) -> str:
    values = raw.cells.get(role)
    return values[0] if values else ""


def _check_row(raw: _Raw) -> tuple[JiraRow | None, list[str]]:
    problems: list[str] = []
    key, summary, issue_type = _first(raw, "key"), _first(raw, "summary"), _first(raw, "type")
    if not key:
        problems.append("Issue key is empty.")
    elif len(key) > KEY_MAX or any(ch.isspace() for ch in key):
        problems.append(f"Issue key “{key[:60]}” is not a Jira key (at most {KEY_MAX} characters, no spaces).")
    if not summary:
        problems.append("Summary is empty.")
    if not issue_type:
        problems.append("Issue Type is empty.")
    limit = EPIC_TITLE_MAX if issue_type.casefold() == "epic" else STORY_TITLE_MAX
    if len(summary) > limit:
        problems.append(f"Summary is {len(summary)} characters long; the limit is {limit}.")
    points: float | None = None
    if raw_points := _first(raw, "points"):
        try:
            points = parse_points(raw_points)
        except ValueError:
            problems.append(f"Story Points “{raw_points[:40]}” is not a number of zero or more.")
    resolved: datetime | None = None
    if raw_resolved := _first(raw, "resolved"):
        try:
            resolved = parse_resolved(raw_resolved)
        except BadInput as exc:
            problems.append(f"Resolved “{raw_resolved[:40]}”: {exc.message}")
        except ValueError:
            problems.append(
                f"Resolved “{raw_resolved[:40]}” is not a date this import reads (for example "
                "12/Nov/24 3:45 PM or 2024-11-12 15:45)."
            )
    sprints = tuple(dict.fromkeys(raw.cells.get("sprint", [])))  # repeated columns; each sprint once
    for name in sprints:
        if len(name) > SPRINT_NAME_MAX:
            problems.append(f"Sprint “{name[:40]}…” is longer than {SPRINT_NAME_MAX} characters.")
    if raw.extra:
        problems.append("This line has more cells than the header has columns: check its quotes.")
    if problems:
        return None, problems
    row = JiraRow(
        line=raw.line,
        key=key,
        summary=summary,
        issue_type=issue_type,
        status=_first(raw, "status"),
        points=points,
        parent=_first(raw, "parent"),
        sprints=sprints,
        resolved=resolved,
        description=_first(raw, "description"),
    )
    return row, []


def parse(content: bytes, *, on_progress: Callable[[int, int], None] | None = None) -> ParsedFile:
    """Read a Jira CSV export. Raises ``FileRefused`` for a file that cannot be read at all; returns
    the good rows and every bad row's errors otherwise (``errors`` empty means the file is good).
    ``on_progress(rows_checked, total)`` is called every ``PROGRESS_EVERY`` rows and at the end."""
    if len(content) > MAX_BYTES:
        raise FileRefused(f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is 10 MB.")
    text, encoding = decode(content)
    delimiter, header = read_header(text)
    columns, ignored = _columns(header)
    records = _read_records(text, delimiter, columns, len(header))
    if not records:
        raise FileRefused("The file has a header but no issues below it.", line=2)
    parsed = ParsedFile(
        roles=frozenset(role for _, role in columns),
        ignored_columns=ignored,
        encoding=encoding,
        delimiter=delimiter,
        total=len(records),
    )
    issue_ids: dict[str, str] = {}  # "Issue id" → key, so "Parent id" finds its parent
    first_line: dict[str, int] = {}
    for done, raw in enumerate(records, start=1):
        row, problems = _check_row(raw)
        key = _first(raw, "key")
        if key and key in first_line:
            problems.append(f"{key} appears twice in the file (also on line {first_line[key]}).")
            row = None
        elif key:
            first_line[key] = raw.line
        parsed.errors.extend(RowError(raw.line, key, problem) for problem in problems)
        if problems and key:
            parsed.bad_keys.add(key)
        if row is not None and not problems:
            parsed.rows.append(row)
            if issue_id := _first(raw, "issue_id"):
                issue_ids[issue_id] = row.key
        if on_progress is not None and (done % PROGRESS_EVERY == 0 or done == len(records)):
            on_progress(done, len(records))
    parsed.rows = [_resolve_parent(row, first_line, issue_ids, parsed.errors) for row in parsed.rows]
    parsed.errors.sort(key=lambda error: error.line)
    return parsed


def _resolve_parent(
    row: JiraRow, keys: Mapping[str, int], issue_ids: Mapping[str, str], errors: list[RowError]
) -> JiraRow:
    """Name the parent by its key when the file names it by its "Issue id" ("Parent id" columns)."""
    parent = row.parent if row.parent in keys else issue_ids.get(row.parent, row.parent)
    if parent and parent == row.key:
        errors.append(RowError(row.line, row.key, "An issue cannot be its own parent."))
    return row if parent == row.parent else replace(row, parent=parent)


# --- Statuses --------------------------------------------------------------------------------------


def suggest_state(status: str) -> StoryState:
    """The app's state a Jira status most likely means; "todo" when it is not a known name."""
    return KNOWN_STATUSES.get(_normal(status), "todo")


def suggest_status_map(statuses: Iterable[str]) -> dict[str, StoryState]:
    return {status: suggest_state(status) for status in statuses}


def check_status_map(statuses: Iterable[str], status_map: Mapping[str, str]) -> dict[str, StoryState]:
    """The confirmed mapping of every status found. Raises ValueError naming each status that is not
    mapped to todo, in_progress or done."""
    mapping: dict[str, StoryState] = {}
    unmapped: list[str] = []
    for status in statuses:
        state = status_map.get(status)
        if state in STATES:
            mapping[status] = state
        else:
            unmapped.append(status)
    if unmapped:
        names = ", ".join(f"“{s}”" for s in unmapped)
        raise ValueError(f"Map every Jira status to To do, In progress or Done; not mapped: {names}.")
    return mapping
