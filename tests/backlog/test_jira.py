"""The pure Jira CSV reader: table tests, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from backlog import jira

HEADER = "Summary,Issue key,Issue id,Issue Type,Status,Custom field (Story Points),Parent id,Sprint,Sprint,Labels,Labels,Resolved,Description,Watchers"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def refusal(content: bytes) -> str:
    with pytest.raises(jira.FileRefused) as caught:
        jira.parse(content)
    return caught.value.message


# --- A realistic file ------------------------------------------------------------------------------


def test_reads_a_jira_export_with_repeated_columns_and_ignores_the_rest():
    content = csv_bytes(
        HEADER,
        "Checkout revamp,CHK-1,10001,Epic,In Progress,,,,,ux,,,The basket is slow,alice",
        'Cache the basket,CHK-2,10002,Story,Done,5,10001,CHK Sprint 1,CHK Sprint 2,perf,backend,12/Nov/24 3:45 PM,"Two\nlines",bob',
        "Fix the total,CHK-3,10003,Bug,To Do,0.5,,,,,,,,",
        "Write the test,CHK-4,10004,Sub-task,To Do,,10002,CHK Sprint 2,,,,,,",
    )
    parsed = jira.parse(content)
    assert parsed.errors == []
    assert parsed.total == 4 and parsed.delimiter == "," and parsed.encoding == "utf-8"
    assert parsed.ignored_columns == ["Labels", "Watchers"]  # a repeated ignored column is named once
    epic, story, bug, subtask = parsed.rows
    assert epic.is_epic and epic.key == "CHK-1" and epic.status == "In Progress" and epic.points is None
    assert story.parent == "CHK-1"  # "Parent id" names the parent's issue id; the reader gives its key
    assert story.sprints == ("CHK Sprint 1", "CHK Sprint 2") and story.sprint == "CHK Sprint 2"
    assert story.points == 5.0 and story.resolved == datetime(2024, 11, 12, 15, 45)
    assert story.description == "Two\nlines" and story.line == 3
    assert bug.line == 5 and bug.points == 0.5 and bug.parent == "" and not bug.is_epic  # line 3 spans two
    assert subtask.parent == "CHK-2" and subtask.sprints == ("CHK Sprint 2",)
    assert dict(parsed.statuses) == {"In Progress": 1, "Done": 1, "To Do": 2}


def test_only_the_three_needed_columns_are_enough():
    parsed = jira.parse(csv_bytes("Issue Type,Summary,Issue key", "Story,Hello,A-1"))
    assert parsed.errors == [] and parsed.rows[0].key == "A-1" and parsed.rows[0].status == ""
    assert parsed.roles == {"key", "summary", "type"} and parsed.ignored_columns == []


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("Story Points", "3", 3.0),
        ("Custom field (Story Points)", "2.5", 2.5),
        ("Story point estimate", "8", 8.0),
        ("Custom field (Story point estimate)", "0", 0.0),
    ],
)
def test_story_points_columns(header, cell, expected):
    parsed = jira.parse(csv_bytes(f"Issue key,Summary,Issue Type,{header}", f"A-1,Hi,Story,{cell}"))
    assert parsed.rows[0].points == expected


@pytest.mark.parametrize(
    "header",
    ["Epic Link", "Custom field (Epic Link)", "Parent", "Parent key", "Parent id"],
)
def test_parent_columns(header):
    parsed = jira.parse(csv_bytes(f"Issue key,Summary,Issue Type,{header}", "A-1,E,Epic,", "A-2,S,Story,A-1"))
    assert parsed.rows[1].parent == "A-1"


# --- Encodings -------------------------------------------------------------------------------------


def test_utf8_with_a_byte_order_mark():
    parsed = jira.parse(b"\xef\xbb\xbf" + csv_bytes("Issue key,Summary,Issue Type", "A-1,Crème brûlée,Story"))
    assert parsed.encoding == "utf-8-sig" and parsed.rows[0].key == "A-1"
    assert parsed.rows[0].summary == "Crème brûlée"


def test_cp1252_when_no_byte_is_utf8():
    parsed = jira.parse(csv_bytes("Issue key,Summary,Issue Type", "A-1,Café – “quoted”,Story", encoding="cp1252"))
    assert parsed.encoding == "cp1252" and parsed.rows[0].summary == "Café – “quoted”"


def test_a_file_mixing_utf8_and_cp1252_is_refused_with_the_line():
    content = csv_bytes("Issue key,Summary,Issue Type", "A-1,Café,Story") + csv_bytes(
        "A-2,Crème,Story", encoding="cp1252"
    )
    message = refusal(content)
    assert "Parts of this file are UTF-8 and parts are not" in message and "line 3" in message


def test_a_byte_order_mark_before_cp1252_bytes_is_refused():
    assert "Parts of this file are UTF-8" in refusal(
        b"\xef\xbb\xbf" + csv_bytes("Issue key,Summary,Issue Type", "A-1,Caf\xe9,Story", encoding="latin-1")
    )


# --- Files refused as a whole ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"\xef\xbb\xbf", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "it holds binary data"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a spreadsheet or an archive"),
        (b"\xff\xfeI\x00s\x00", "UTF-16"),
        (b"Dear team\nplease find the issues attached.\n", "does not look like a CSV file"),
        (b'{"issues": [{"key": "A-1"}]}', "does not look like a CSV file"),
        (b"Issue key,Title,Type\nA-1,Hello,Story\n", "missing: Summary, Issue Type"),
        (b"Key,Summary,Issue Type\nA-1,Hello,Story\n", "missing: Issue key."),
        (b"Issue key,Summary,Issue Type\r\n", "a header but no issues"),
        (b"Issue key,Summary,Issue Type\r\n\r\n,,\r\n", "a header but no issues"),
    ],
)
def test_files_refused(content, expected):
    assert expected in refusal(content)


def test_the_header_line_is_named_when_columns_are_missing():
    with pytest.raises(jira.FileRefused) as caught:
        jira.parse(b"Issue key,Title\nA-1,x\n")
    assert caught.value.line == 1 and caught.value.as_error()["line"] == 1


def test_more_than_20000_rows_are_refused():
    lines = ["Issue key,Summary,Issue Type"] + [f"A-{n},Story {n},Story" for n in range(jira.MAX_ROWS + 1)]
    assert "more than 20,000 rows" in refusal(csv_bytes(*lines))
    assert jira.parse(csv_bytes(*lines[:-1])).total == jira.MAX_ROWS


def test_a_file_over_10_mb_is_refused_before_it_is_read():
    content = b"Issue key,Summary,Issue Type\n" + b"x" * jira.MAX_BYTES
    assert "the limit is 10 MB" in refusal(content)
    with pytest.raises(jira.FileRefused, match="10 MB"):
        jira.check_file(content)


def test_check_file_reads_only_the_header():
    jira.check_file(csv_bytes("Issue key,Summary,Issue Type", "A-1,,"))  # a bad row is the job's business
    with pytest.raises(jira.FileRefused, match="missing: Issue Type"):
        jira.check_file(csv_bytes("Issue key,Summary", "A-1,Hello"))


# --- Other delimiters ------------------------------------------------------------------------------


def test_semicolons_and_decimal_commas():
    parsed = jira.parse(csv_bytes("Issue key;Summary;Issue Type;Story Points", "A-1;Hello, world;Story;0,5"))
    assert parsed.delimiter == ";" and parsed.rows[0].summary == "Hello, world" and parsed.rows[0].points == 0.5


def test_tabs():
    parsed = jira.parse(csv_bytes("Issue key\tSummary\tIssue Type", "A-1\tHello\tStory"))
    assert parsed.delimiter == "\t" and parsed.rows[0].key == "A-1"


# --- Bad rows, every one with its line -------------------------------------------------------------


def test_every_bad_row_is_listed_with_its_line_number():
    content = csv_bytes(
        "Issue key,Summary,Issue Type,Story Points,Resolved,Description",
        "A-1,Good,Story,3,,",
        'A-2,Spans lines,Story,abc,,"one\ntwo\nthree"',  # lines 3–5
        "A-3,Negative,Story,-2,,",
        ",No key,Story,,,",
        "A-5,,Story,,,",
        "A-6,No type,,,,",
        "A-7,Bad date,Story,,yesterday,",
        "A-1,Again,Story,,,",
        "A-9,Points with unit,Story,3 pts,,",
        "A-10,Infinite,Story,inf,,",
    )
    parsed = jira.parse(content)
    assert [(e.line, e.key) for e in parsed.errors] == [
        (3, "A-2"),
        (6, "A-3"),
        (7, ""),
        (8, "A-5"),
        (9, "A-6"),
        (10, "A-7"),
        (11, "A-1"),
        (12, "A-9"),
        (13, "A-10"),
    ]
    messages = [e.message for e in parsed.errors]
    assert messages[0] == "Story Points “abc” is not a number of zero or more."
    assert messages[1] == "Story Points “-2” is not a number of zero or more."
    assert messages[2] == "Issue key is empty."
    assert messages[3] == "Summary is empty."
    assert messages[4] == "Issue Type is empty."
    assert "Resolved “yesterday” is not a date" in messages[5]
    assert messages[6] == "A-1 appears twice in the file (also on line 2)."
    assert [row.key for row in parsed.rows] == ["A-1"]


def test_a_row_may_carry_several_errors():
    parsed = jira.parse(csv_bytes("Issue key,Summary,Issue Type,Story Points", ",,,x"))
    assert [e.message for e in parsed.errors] == [
        "Issue key is empty.",
        "Summary is empty.",
        "Issue Type is empty.",
        "Story Points “x” is not a number of zero or more.",
    ]
    assert {e.line for e in parsed.errors} == {2}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("A 1,Hi,Story,,", "is not a Jira key"),
        (f"{'A' * 41},Hi,Story,,", "is not a Jira key"),
        (f"A-1,{'x' * 201},Epic,,", "the limit is 200"),
        (f"A-1,Hi,Story,{'S' * 81},", "longer than 80 characters"),
        ("A-1,Hi,Story,,,surplus", "more cells than the header"),
        ("A-1,Hi,Story,,A-1", "cannot be its own parent"),
    ],
)
def test_row_limits(row, expected):
    parsed = jira.parse(csv_bytes("Issue key,Summary,Issue Type,Sprint,Parent", row))
    assert len(parsed.errors) == 1 and expected in parsed.errors[0].message


def test_a_long_story_summary_is_fine_up_to_300():
    parsed = jira.parse(csv_bytes("Issue key,Summary,Issue Type", f"A-1,{'x' * 300},Story"))
    assert parsed.errors == []


def test_surplus_empty_cells_are_fine():
    assert jira.parse(csv_bytes("Issue key,Summary,Issue Type", "A-1,Hi,Story,,")).errors == []


# --- Cells -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/Nov/24 3:45 PM", datetime(2024, 11, 12, 15, 45)),
        ("12/nov/2024 09:05 am", datetime(2024, 11, 12, 9, 5)),
        ("12/Nov/24 15:45", datetime(2024, 11, 12, 15, 45)),
        ("12/Nov/24", datetime(2024, 11, 12)),
        ("2024-11-12 15:45", datetime(2024, 11, 12, 15, 45)),
        ("2024-11-12 15:45:10", datetime(2024, 11, 12, 15, 45, 10)),
        ("2024-11-12T15:45:00+02:00", datetime(2024, 11, 12, 15, 45, tzinfo=timezone(timedelta(hours=2)))),
        ("2024-11-12T13:45:00Z", datetime(2024, 11, 12, 13, 45, tzinfo=UTC)),
        ("12.11.2024 15:45", datetime(2024, 11, 12, 15, 45)),
    ],
)
def test_resolved_dates(text, expected):
    assert jira.parse_resolved(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "13/13/24", "2024-13-01", ""])
def test_bad_resolved_dates(text):
    with pytest.raises(ValueError):
        jira.parse_resolved(text)


@pytest.mark.parametrize(("text", "expected"), [("3", 3.0), ("0", 0.0), ("0.5", 0.5), ("1,5", 1.5), (" 13 ", 13.0)])
def test_points(text, expected):
    assert jira.parse_points(text) == expected


@pytest.mark.parametrize("text", ["-1", "abc", "1e3", "nan", "inf", "1.2.3", ""])
def test_bad_points(text):
    with pytest.raises(ValueError):
        jira.parse_points(text)


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-x", "'-x"), ("@me", "'@me"), ("Plain", "Plain"), ("", "")],
)
def test_formula_cells_are_escaped_and_read_back(value, escaped):
    assert jira.escape_cell(value) == escaped
    assert jira.unescape_cell(escaped) == value


def test_an_escaped_summary_reads_back_unescaped():
    parsed = jira.parse(csv_bytes("Issue key,Summary,Issue Type", "A-1,'=cmd|calc,Story", "A-2,'plain quote,Story"))
    assert [row.summary for row in parsed.rows] == ["=cmd|calc", "'plain quote"]


@pytest.mark.parametrize(("key", "expected"), [("OKR-12", 12), ("OKR-x", None), ("CHK-12", None), ("okr-1", None)])
def test_okr_keys(key, expected):
    assert jira.okr_id(key) == expected


# --- Statuses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("To Do", "todo"),
        ("Open", "todo"),
        ("BACKLOG", "todo"),
        ("Selected for Development", "todo"),
        ("In Progress", "in_progress"),
        ("In  Review", "in_progress"),
        ("Done", "done"),
        ("Closed", "done"),
        ("Resolved", "done"),
        ("Won't Do", "done"),
        ("Waiting for the moon", "todo"),
    ],
)
def test_suggested_states(status, state):
    assert jira.suggest_state(status) == state


def test_every_status_must_be_mapped():
    assert jira.check_status_map(["To Do", "Shipped"], {"To Do": "todo", "Shipped": "done", "Extra": "x"}) == {
        "To Do": "todo",
        "Shipped": "done",
    }
    with pytest.raises(ValueError, match="not mapped: “Shipped”, “QA”"):
        jira.check_status_map(["To Do", "Shipped", "QA"], {"To Do": "todo", "QA": "blocked"})


# --- Progress --------------------------------------------------------------------------------------


def test_progress_is_reported_every_hundred_rows_and_at_the_end():
    lines = ["Issue key,Summary,Issue Type"] + [f"A-{n},S,Story" for n in range(250)]
    calls: list[tuple[int, int]] = []
    jira.parse(csv_bytes(*lines), on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(100, 250), (200, 250), (250, 250)]
