"""manage.py backup / restore: a backup restores into a fresh database with the same numbers; restore
refuses a database that holds tables unless --force; the tools match the server's version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from backlog import services as backlog_services
from checkins import services as checkin_services
from objectives import services
from objectives.services.reconcile import reconcile
from okrapp import backup
from okrapp.http import Viewer
from okrapp.models import Membership
from okrapp.timeutil import org_today
from tests.okrapp.backup_figures import figures

BASE_DIR = Path(settings.BASE_DIR)


def viewer(membership: Membership) -> Viewer:
    found = Viewer.load(membership.user)
    assert found is not None
    return found


def database_url(name: str) -> str:
    """The test database's server, with another database name (a unix socket folder stays a query)."""
    d = connection.settings_dict
    host = d["HOST"]
    password = f":{d['PASSWORD']}" if d["PASSWORD"] else ""
    if host.startswith("/"):
        return f"postgres://{d['USER']}{password}@/{name}?host={host}"
    return f"postgres://{d['USER']}{password}@{host}:{d['PORT'] or 5432}/{name}"


def manage(*arguments: str, database: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url(database))
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def build_world(cast, okrs) -> None:
    """Numbers of every kind: metric KRs with weekly check-ins, a guardrail with a broken week, a
    milestone, linked and orphan stories (with and without points), an epic link."""
    company, dept, team = okrs
    member = viewer(cast.member)
    today = org_today(cast.org)  # the real one: reconcile and the restored database compute with it
    latency = services.key_result_create(
        objective=team, title="API p95 latency", start_value=800, target_value=300, unit="ms", owner=cast.member
    )
    uptime = services.key_result_create(
        objective=team, title="Uptime", kind="guardrail", bound=99.9, bound_keep="above", owner=cast.member
    )
    launch = services.key_result_create(objective=dept, title="EU launch", kind="milestone", owner=cast.member)
    revenue = services.key_result_create(
        objective=company, title="Revenue", start_value=10, target_value=20, weight=2, owner=cast.member
    )
    for weeks_ago, value, confidence in ((3, 700, 0.6), (2, 640, 0.7), (1, 520, 0.8)):
        day = today - timedelta(weeks=weeks_ago)
        checkin_services.checkin_save(viewer=member, key_result=latency, value=value, confidence=confidence, today=day)
    for weeks_ago, value in ((2, 99.95), (1, 99.5)):
        day = today - timedelta(weeks=weeks_ago)
        checkin_services.checkin_save(viewer=member, key_result=uptime, value=value, confidence=0.9, today=day)
    checkin_services.checkin_save(viewer=member, key_result=launch, done=False, confidence=0.35, today=today)
    checkin_services.checkin_save(viewer=member, key_result=revenue, value=13, confidence=0.5, today=today)
    epic = backlog_services.epic_save(organisation=cast.org, team=cast.team, title="Edge caching")
    backlog_services.link_epic(epic=epic, key_result=latency, share=0.5)
    for title, points, kr in (
        ("Cache the basket", 5, latency),
        ("Retry payments", 3, revenue),
        ("Tidy the footer", 2, None),
        ("Unestimated idea", None, None),
    ):
        story = backlog_services.story_save(organisation=cast.org, team=cast.team, title=title, points=points)
        if kr is not None:
            backlog_services.link_story(story=story, key_result=kr, share=0.2)
    backlog_services.story_save(organisation=cast.org, team=cast.team, title="Under the epic", points=8, epic=epic)
    reconcile()  # every stored number as of today (the real one, as the command will compute it)


@pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed
def test_backup_restores_into_a_fresh_database_with_the_same_numbers(cast, okrs, tmp_path):
    build_world(cast, okrs)
    assert reconcile(dry_run=True) == []
    before = json.loads(json.dumps(figures()))
    assert before["coverage"]["Checkout"] == [3, 5, 16.0, 18.0, 0.6]  # by hand: 3 of 5 serve; 16 of 18 points
    assert len(before["checkins"]) == 7
    # By hand: latency (800 − 520) / (800 − 300) = 0.56; uptime kept its bound one week of two, 0.5;
    # revenue (13 − 10) / (20 − 10) = 0.3; the team objective is the mean of its two KRs, 0.53.
    latency = before["key_results"]["API p95 latency"]
    assert latency[0] == pytest.approx(0.56) and latency[2:4] == [0.8, 520.0]
    assert latency[1] not in ("stale", "not_started")  # checked in last week: a band decides
    assert before["key_results"]["Uptime"][0] == 0.5 and before["key_results"]["Uptime"][4:] == [1, 2]
    assert before["key_results"]["Revenue"][0] == pytest.approx(0.3)
    assert before["objectives"]["Checkout is fast"][0] == pytest.approx(0.53)

    target = tmp_path / "okrapp.dump"
    call_command("backup", str(target))
    assert target.stat().st_size > 0 and not (tmp_path / "okrapp.dump.partial").exists()

    fresh = f"{connection.settings_dict['NAME']}_restored"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(fresh)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(fresh)))
    try:
        restored = manage("restore", str(target), database=fresh)
        assert restored.returncode == 0, restored.stderr
        assert "into an empty database: 2 organisations, 3 objectives, 4 key results, 7 check-ins" in restored.stdout

        checked = manage("reconcile", "--dry-run", database=fresh)
        assert checked.returncode == 0, checked.stderr
        assert "Every stored value agrees" in checked.stdout, checked.stdout

        read = manage(
            "shell",
            "-c",
            "import json; from tests.okrapp.backup_figures import figures; print(json.dumps(figures()))",
            database=fresh,
        )
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout.strip().splitlines()[-1]) == before

        again = manage("restore", str(target), database=fresh)
        assert again.returncode != 0 and "is not empty" in again.stderr and "--force" in again.stderr
        forced = manage("restore", "--force", str(target), database=fresh)
        assert forced.returncode == 0, forced.stderr
        assert "replacing the backup's tables" in forced.stdout
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(fresh)))


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_tables(cast, okrs, tmp_path):
    archive = tmp_path / "any.dump"
    archive.write_bytes(b"PGDMP")
    with pytest.raises(CommandError, match=r"is not empty: it holds \d+ tables \(2 organisations, 3 objectives"):
        call_command("restore", str(archive))
    with pytest.raises(CommandError, match="There is no backup file"):
        call_command("restore", str(tmp_path / "missing.dump"))


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_a_file(tmp_path):
    existing = tmp_path / "kept.dump"
    existing.write_text("an older backup")
    with pytest.raises(CommandError, match="exists: choose another name, or pass --overwrite"):
        call_command("backup", str(existing))
    assert existing.read_text() == "an older backup"


def fake_tool(folder: Path, name: str, version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    script.chmod(0o755)


def test_the_tool_of_the_servers_version_is_chosen(tmp_path):
    fake_tool(tmp_path / "14", "pg_dump", "14.9")
    fake_tool(tmp_path / "18", "pg_dump", "18.1 (Debian)")
    found = backup.find_tool("pg_dump", 18, [tmp_path / "14", tmp_path / "missing", tmp_path / "18"])
    assert found == backup.Tool(path=str((tmp_path / "18" / "pg_dump").resolve()), major=18)


def test_no_tool_of_the_servers_version_is_a_clear_error(tmp_path):
    fake_tool(tmp_path / "14", "pg_restore", "14.9")
    with pytest.raises(backup.BackupError) as caught:
        backup.find_tool("pg_restore", 15, [tmp_path / "14"])
    message = str(caught.value)
    assert "No pg_restore of PostgreSQL 15 (the server's version) was found" in message
    assert "(version 14)" in message and "postgresql-client-15" in message and "--pg-bin" in message


def test_the_embedded_servers_tools_are_found_for_postgresql_18():
    """make demo runs the wheel's PostgreSQL 18; the machine's tools may be 15."""
    found = backup.find_tool("pg_dump", 18, backup.candidate_dirs())
    assert Path(found.path).is_file()  # found, not refused


def test_the_password_goes_through_the_environment():
    env = backup.libpq_environment(
        {"NAME": "okrapp", "USER": "app", "PASSWORD": "s3cret", "HOST": "db", "PORT": "5433", "OPTIONS": {}},
        base={"PATH": "/usr/bin", "PGPASSWORD": "old"},
    )
    assert env == {
        "PATH": "/usr/bin",
        "PGHOST": "db",
        "PGPORT": "5433",
        "PGUSER": "app",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "okrapp",
    }
