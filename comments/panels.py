"""The comment threads on the key result page (its own, and one per check-in behind a toggle) and on
the epic page (registered in apps.py)."""

from __future__ import annotations

from backlog.models import Epic
from comments import selectors
from comments.access import target_of_epic, target_of_key_result
from comments.views import thread_context
from objectives.models import KeyResult
from objectives.panels import Panel
from okrapp.http import Viewer


def key_result_comments_panel(viewer: Viewer, kr: KeyResult) -> Panel:
    context = thread_context(viewer, target_of_key_result(kr))
    context["checkins"] = selectors.checkins_with_comment_counts(kr)
    return Panel("comments/partials/_panel.html", context, at_end=True)


def epic_comments_panel(viewer: Viewer, epic: Epic) -> Panel:
    return Panel("comments/partials/_panel.html", thread_context(viewer, target_of_epic(epic)))
