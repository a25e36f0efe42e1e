"""Celery tasks of the backlog's Jira import: the import's id in, one service each, idempotent (a
finished import is left as it is), published after commit by ``backlog.imports``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from django.db import DatabaseError

from backlog import imports
from backlog.models import JiraImport

logger = logging.getLogger(__name__)

STOPPED = (
    "The import stopped on an unexpected error, and nothing of it was written. Upload the file again; if it "
    "stops again, an admin finds the error on the System status page."
)

RETRY = {
    "autoretry_for": (DatabaseError,),  # a deadlock, a dropped connection, a key taken meanwhile: try again
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def _run(service: Callable[[int], JiraImport | None], import_id: int) -> str:
    """Run the service; on any error but the database's (retried, and the import's page publishes the
    job again later) the import is marked failed, so nobody waits on it, and the error is raised on."""
    try:
        jira_import = service(import_id)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("Jira import %s failed", import_id)
        imports.import_fail(import_id=import_id, errors=[{"line": None, "key": "", "message": STOPPED}])
        raise
    return jira_import.state if jira_import is not None else "gone"


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, **RETRY)
def parse_jira_import(import_id: int) -> str:
    """Read an uploaded Jira CSV into its preview (or its list of bad rows); returns the import's state."""
    return _run(imports.import_parse, import_id)


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840, **RETRY)
def apply_jira_import(import_id: int) -> str:
    """Write a confirmed import into the backlog, all or nothing; returns the import's state."""
    return _run(imports.import_apply, import_id)
