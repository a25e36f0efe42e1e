"""`make demo`: embedded PostgreSQL, migrations, demo data, then web + Celery worker + beat.

Everything runs as real processes until Ctrl-C, which stops them all and the database too. One that
exits (a crash, ``kill -9``) is restarted by the supervisor (``okrapp/devtools/supervise.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from okrapp.demo_logins import DEMO_PASSWORD, ROLE_LOGINS
from okrapp.devtools import embedded
from okrapp.devtools.supervise import Program, Supervisor

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_DIR = BASE_DIR / ".demo"


def banner(port: int) -> str:
    logins = "\n".join(f"    {role + '@example.com':<26} ({role})" for role in ROLE_LOGINS)
    return (
        "\n"
        f"  The app is starting on http://127.0.0.1:{port}/\n"
        f"  Log in with one of these (password: {DEMO_PASSWORD}):\n{logins}\n"
        "    …and the other demo people listed on the People page.\n"
        "  Another terminal's `.venv/bin/python manage.py …` uses this demo database.\n"
        "  A part that exits is restarted. Ctrl-C stops the web server, the worker, beat and the database.\n"
    )


def main() -> int:
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        sys.stderr.write(f"Configuration error: PORT={port_text!r} is not a port number (1-65535)\n")
        return 2
    port = int(port_text)
    if embedded.answers(f"http://127.0.0.1:{port}", timeout=0.3):
        sys.stderr.write(f"Port {port} is already in use. Stop what runs there, or run: PORT={port + 1} make demo\n")
        return 1

    pgdata = DEMO_DIR / "pg"
    broker_dir = DEMO_DIR / "broker"
    for folder in (broker_dir / "queue", broker_dir / "processed"):
        folder.mkdir(parents=True, exist_ok=True)

    print("Starting the embedded PostgreSQL in .demo/pg …", flush=True)
    database_url = embedded.start_postgres(pgdata, database="okrapp")
    env = dict(
        os.environ,
        DEBUG="on",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL="filesystem://",
        BROKER_DIR=str(broker_dir),
        SITE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    python = sys.executable
    celery = str(Path(python).with_name("celery"))
    try:
        for step in (["migrate", "--noinput"], ["load_demo"]):
            subprocess.run([python, "manage.py", *step], cwd=BASE_DIR, env=env, check=True)
        print(banner(port), flush=True)
        programs = [
            Program("web", [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]),
            Program("worker", [celery, "-A", "okrapp", "worker", "--loglevel=INFO", "--pool=solo"]),
            Program(
                "beat",
                [celery, "-A", "okrapp", "beat", "--loglevel=INFO", f"--schedule={DEMO_DIR / 'celerybeat-schedule'}"],
            ),
        ]
        # 0 after Ctrl-C or a polite TERM (how the demo is meant to end), 1 when a part keeps crashing.
        return Supervisor(programs, env=env, cwd=str(BASE_DIR)).run()
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    finally:
        # Ignore a second Ctrl-C while the database shuts down, so nothing is left half-stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("Stopping the embedded PostgreSQL …", flush=True)
        embedded.stop_postgres(pgdata)


if __name__ == "__main__":
    sys.exit(main())
