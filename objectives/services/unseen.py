"""Writes keep what the writer cannot see: the one rule of every relation whose targets may be hidden
from the person writing — an objective's parent and the key results it contributes to, a key result's
contributors and key failure indicators, a theme's objectives, a sprint's focus key results.

The API's reads leave hidden targets out and the forms do not offer them, so a person sends back only
what they see. Whatever door the write comes through (PUT, PATCH, a page's form), the service merges:
the writer adds and removes what they may see, and everything else stays as it was. ``in_view`` None
stands for the app itself (a job, an import, a command): it sees everything, so its choice is the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def kept_members(
    *, stored: QuerySet[M], chosen: Iterable[M], in_view: QuerySet[M] | None, field: str, noun: str
) -> list[M]:
    """The members of a list after a writer chose ``chosen``: their choice, plus the stored members
    outside ``in_view`` (what the writer may see). A member added must be one they may see (refused
    per field otherwise: the pages and the API never offer another)."""
    wanted = list(dict.fromkeys(chosen))
    if in_view is None:
        return wanted
    stored_ids = set(stored.values_list("pk", flat=True))
    added = {m.pk for m in wanted} - stored_ids
    if added and in_view.filter(pk__in=added).count() != len(added):
        raise ValidationError({field: f"Choose among the {noun} you may see."})
    taken = {m.pk for m in wanted}
    hidden = stored.exclude(pk__in=in_view.filter(pk__in=stored_ids).values("pk")).exclude(pk__in=taken)
    return [*wanted, *hidden]


def kept_one(*, stored: Any, chosen: Any, in_view: QuerySet[Any] | None, field: str, refusal: str) -> Any:
    """A single relation (an objective's parent) after a writer chose ``chosen``. When the stored
    target is hidden from them, "none" (what they were shown) keeps it, and choosing another is refused
    with ``refusal``: replacing it would remove what they cannot see."""
    if in_view is None or stored is None or (chosen is not None and chosen.pk == stored.pk):
        return chosen
    if in_view.filter(pk=stored.pk).exists():
        return chosen
    if chosen is None:
        return stored
    raise ValidationError({field: refusal})
