"""Reads of comments. The caller has checked the viewer may see the target."""

from __future__ import annotations

from django.db.models import Count, Q

from checkins.models import CheckIn
from comments.access import Target
from comments.models import Comment
from objectives.models import KeyResult

THREAD_LIMIT = 200  # comments shown per thread, oldest first


def thread(target: Target) -> list[Comment]:
    """The target's comments, oldest first, deleted ones included (shown as “Comment deleted”); one query."""
    return list(Comment.objects.filter(**target.filter).select_related("author__user")[:THREAD_LIMIT])


RECENT_CHECKINS = 4  # check-ins offered for discussion even before anyone commented on them


def checkins_with_comment_counts(kr: KeyResult) -> list[CheckIn]:
    """The KR's check-ins worth a thread: the latest few and every one that has comments, newest week
    first, each with ``comment_count`` (deleted ones not counted) and its author; one query."""
    rows = (
        CheckIn.objects.filter(key_result=kr)
        .annotate(comment_count=Count("comments", filter=Q(comments__deleted_at=None)))
        .select_related("author__user")
        .order_by("-week")
    )
    return [c for i, c in enumerate(rows) if i < RECENT_CHECKINS or c.comment_count]
