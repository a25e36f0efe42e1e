"""The change history's panels on the objective and key result pages (registered in apps.py)."""

from __future__ import annotations

from typing import Any

from history import selectors
from objectives.models import KeyResult, Objective
from objectives.panels import Panel
from okrapp.http import Viewer

TEMPLATE = "history/partials/_history.html"
RECENT = 10  # entries shown open; the earlier ones behind a disclosure


def _context(timeline: selectors.Timeline, noun: str) -> dict[str, Any]:
    return {
        "recent": timeline.entries[:RECENT],
        "earlier": timeline.entries[RECENT:],
        "more": timeline.more,
        "limit": selectors.HISTORY_LIMIT,
        "noun": noun,
    }


def objective_history_panel(viewer: Viewer, objective: Objective) -> Panel:
    return Panel(TEMPLATE, _context(selectors.objective_timeline(viewer, objective), "objective"), at_end=True)


def key_result_history_panel(viewer: Viewer, kr: KeyResult) -> Panel:
    return Panel(TEMPLATE, _context(selectors.key_result_timeline(viewer, kr), "key result"), at_end=True)
