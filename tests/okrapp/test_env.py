"""A malformed environment value stops start-up with one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from okrapp import env
from okrapp.env import ConfigError

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/okr"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "off", "SECRET_KEY": "", "ALLOWED_HOSTS": "okr.example.com"}, "SECRET_KEY"),
        ({"DEBUG": "off", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SESSION_HOURS": "twelve"}, "SESSION_HOURS"),
        ({"CELERY_BROKER_URL": "amqp://guest@localhost//"}, "CELERY_BROKER_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"WEBHOOKS_ALLOW_INTERNAL": "sometimes"}, "WEBHOOKS_ALLOW_INTERNAL"),
    ],
)
def test_bad_value_gives_one_line_and_exit_2(overrides, named):
    assert_one_line_exit_2(["manage.py", "check"], overrides, named)


@pytest.mark.parametrize("entry", [["-c", "import okrapp.wsgi"], ["-m", "celery", "-A", "okrapp", "report"]])
def test_every_entry_point_stops_the_same_way(entry):
    assert_one_line_exit_2(entry, {"DEBUG": "maybe"}, "DEBUG")


def assert_one_line_exit_2(entry: list[str], overrides: dict[str, str], named: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    environment.update(overrides)
    result = subprocess.run(
        [sys.executable, *entry], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert named in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("on", True), ("TRUE", True), ("1", True), ("no", False), ("Off", False), ("0", False)]
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.get_bool("FLAG", not expected) is expected


def test_unset_boolean_takes_default(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env.get_bool("FLAG", True) is True


def test_database_url_with_socket_folder():
    parsed = env.parse_database_url("DATABASE_URL", "postgres://postgres@/okrapp?host=/tmp/pg")
    assert parsed["HOST"] == "/tmp/pg"
    assert parsed["NAME"] == "okrapp"
    assert parsed["PORT"] == ""


def test_database_url_with_password_and_port():
    parsed = env.parse_database_url("DATABASE_URL", "postgresql://okr:s%40cret@db:6543/okr")
    assert (parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"], parsed["NAME"]) == (
        "okr",
        "s@cret",
        "db",
        "6543",
        "okr",
    )


def test_database_url_without_host_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL names no host"):
        env.parse_database_url("DATABASE_URL", "postgres:///okrapp")


def test_embedded_url_reads_socket_folder_from_postmaster_pid(tmp_path):
    pgdata = tmp_path / ".demo" / "pg"
    pgdata.mkdir(parents=True)
    (pgdata / "postmaster.pid").write_text("123\n/data\n1700000000\n5432\n/run/short\n\n")
    assert env.embedded_database_url(tmp_path) == "postgres://postgres@/okrapp?host=/run/short"


def test_embedded_url_without_server_names_the_data_folder(tmp_path):
    assert env.embedded_database_url(tmp_path) == f"postgres://postgres@/okrapp?host={tmp_path / '.demo' / 'pg'}"
