"""Who changed an object last, for "Changed by … since you opened it" (okrapp.versioning asks; apps.py
registers this as its provider)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Model, QuerySet

from backlog.models import Story
from history.models import CheckInEvent, KeyResultEvent, ObjectiveEvent, StoryEvent
from history.selectors import BASELINE, THE_APP
from objectives.models import KeyResult, Objective
from okrapp.models import User
from okrapp.versioning import Editor

SLACK = timedelta(seconds=5)  # the form's opening time is rounded down to the second


def _latest(queryset: QuerySet[Any], since: datetime) -> Any:
    return (
        queryset.filter(pgh_created_at__gte=since - SLACK)
        .exclude(pgh_label=BASELINE)
        .select_related("pgh_context")
        .order_by("-pgh_created_at", "-pgh_id")
        .first()
    )


def last_editor(instance: Model, since: datetime) -> Editor | None:
    """Who wrote the latest recorded change of ``instance`` since ``since``: a KR's own events or its
    check-ins (they move its current value); an objective's or a story's own. None if unrecorded."""
    if isinstance(instance, KeyResult):
        candidates = [
            _latest(KeyResultEvent.objects.filter(pgh_obj_id=instance.pk), since),
            _latest(CheckInEvent.objects.filter(key_result_id=instance.pk), since),
        ]
    elif isinstance(instance, Objective):
        candidates = [_latest(ObjectiveEvent.objects.filter(pgh_obj_id=instance.pk), since)]
    elif isinstance(instance, Story):
        candidates = [_latest(StoryEvent.objects.filter(pgh_obj_id=instance.pk), since)]
    else:
        return None
    found = [c for c in candidates if c is not None]
    if not found:
        return None
    event = max(found, key=lambda e: e.pgh_created_at)
    user_id = event.pgh_context.metadata.get("user") if event.pgh_context_id else None
    if not isinstance(user_id, int):
        return Editor(user_id=None, name=THE_APP.lower())
    name = User.objects.filter(pk=user_id).values_list("full_name", flat=True).first()
    return Editor(user_id=user_id, name=name or "a former member")
