"""The API's query-string filters, parsed by okrapp.parsing: an id filter takes ids only (a 400 in the one
error shape for anything else), a date filter dates within 2000–2100.

An id filter resolves within what the viewer may see (issue 19, finding 7): an id of something hidden from
them filters exactly like an id that does not exist, to no rows. Otherwise ``?parent=16`` would list the
visible children of a private objective 16 and so tell that 16 exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters

from okrapp.api.base import api_viewer
from okrapp.http import Viewer
from okrapp.parsing import BadInput, parse_id, validate_date_bounds

Scope = Callable[[Viewer], QuerySet[Any]]  # the objects of a kind the viewer may see


class IdField(forms.Field):
    """An object id (okrapp.parsing.parse_id), or None when empty."""

    def to_python(self, value: Any) -> int | None:
        try:
            return parse_id(None if value is None else str(value), field="id")
        except BadInput as error:
            raise forms.ValidationError(error.message, code="invalid") from None


class IdParam(filters.Filter):
    """An id parameter that a resource applies itself (``method=``), to rows already scoped to the viewer."""

    field_class = IdField


class IdFilter(IdParam):
    """Rows whose ``field_name`` is the given id, among the objects ``scope(viewer)`` lets the viewer see.
    A hidden id and an id that does not exist both give no rows."""

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope

    def filter(self, qs: QuerySet[Any], value: int | None) -> QuerySet[Any]:
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__in": self.visible(value)})

    def visible(self, value: int) -> QuerySet[Any]:
        """The object of this id if the viewer may see it (as a subquery of its id), else nothing."""
        return self.scope(api_viewer(self.parent.request)).filter(pk=value).values("pk")


class BoundedDateFilter(filters.DateFilter):
    """A date within the years 2000–2100 (okrapp.parsing), else a 400 naming the parameter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [validate_date_bounds])
        super().__init__(*args, **kwargs)
