"""The shape of every API resource: list (visible rows, filtered, paginated), read, create and update,
each a thin layer over the app's selectors, access functions and services.

A subclass names its read serializer, its input serializer, the fields that make its version, and
three functions: ``visible()`` (the rows the viewer may see), ``fetch(pk, write=)`` (an access
function: 404 for what is not visible, 403 for what may not be changed) and ``save(instance, data)``
(one service call; ``instance`` is None on create).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from okrapp.api.base import Pagination, ViewerMixin, check_if_match, full_input, version_of
from okrapp.parsing import BadInput, parse_id


def parse_pk(raw: Any) -> int:
    """A URL id, or 404 (never a database error for an id out of range, nor a ValueError for one
    too long for int())."""
    try:
        pk = parse_id(str(raw), field="id")
    except BadInput:
        pk = None
    if pk is None:
        raise Http404("Not found, or not visible to you.")
    return pk


class Resource(ViewerMixin, viewsets.GenericViewSet):
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # nothing is deleted by default
    model: ClassVar[type[models.Model]]
    write_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    version_fields: ClassVar[tuple[str, ...]] = ()

    # What a subclass provides.
    def visible(self) -> QuerySet[Any]:
        raise NotImplementedError

    def fetch(self, pk: int, *, write: bool = False) -> models.Model:
        raise NotImplementedError

    def save(self, instance: Any, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def context_for(self, rows: Sequence[Any]) -> dict[str, Any]:
        """Serializer context computed once for a page of rows (figures other apps add, say)."""
        return {}

    # The shared part.
    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no request, no viewer
            return self.model._default_manager.none()
        return self.visible()

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if hasattr(self, "viewer"):
            context["viewer"] = self.viewer
        return context

    def respond(self, instance: models.Model, code: int = status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(), **self.context_for([instance])}
        data = self.get_serializer_class()(instance, context=context).data
        response = Response(data, status=code)
        response["ETag"] = version_of(instance, self.version_fields)
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.filter_queryset(self.get_queryset())
        page = list(self.paginate_queryset(rows) or [])
        context = {**self.get_serializer_context(), **self.context_for(page)}
        serializer = self.get_serializer_class()(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self.respond(self.fetch(parse_pk(pk)))

    def validated(self, data: Any, instance: Any | None, *, partial: bool) -> dict[str, Any]:
        assert self.write_serializer_class is not None
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        # PUT sends the whole resource: a field left out is named (400), never taken as its default.
        put = instance is not None and not partial
        input_class = full_input(self.write_serializer_class) if put else self.write_serializer_class
        serializer = input_class(instance=instance, data=data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def with_defaults(self, data: dict[str, Any]) -> dict[str, Any]:
        """A new object's fields left out of the request take the model's defaults (as a form would)."""
        assert self.write_serializer_class is not None
        filled = dict(data)
        for name, field in self.write_serializer_class().fields.items():
            if name in filled or field.read_only:
                continue
            try:
                model_field = self.model._meta.get_field(field.source or name)
            except FieldDoesNotExist:  # a serializer-only field: nothing to default
                continue
            if model_field.many_to_many:
                filled[name] = []
            elif isinstance(model_field, models.Field) and (model_field.has_default() or model_field.null):
                filled[name] = model_field.get_default()
        return filled

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.save(None, self.with_defaults(self.validated(request.data, None, partial=False)))
        return self.respond(instance, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None, partial: bool = False, **kwargs: Any) -> Response:
        with transaction.atomic():
            found = self.fetch(parse_pk(pk), write=True)
            instance = type(found)._default_manager.select_for_update().get(pk=found.pk)
            check_if_match(request, version_of(instance, self.version_fields))
            data = self.validated(request.data, instance, partial=partial)
            if partial:  # PATCH: what is not sent keeps its value
                data = {**self.current(instance), **data}
            instance = self.save(instance, data)
        return self.respond(instance)

    def partial_update(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self.update(request, pk, partial=True)

    def current(self, instance: models.Model) -> dict[str, Any]:
        """The writable fields' present values, for a PATCH that sends only some of them."""
        assert self.write_serializer_class is not None
        values: dict[str, Any] = {}
        for name, field in self.write_serializer_class().fields.items():
            if field.read_only:
                continue
            source = field.source or name
            value = getattr(instance, source)
            if isinstance(field, serializers.ManyRelatedField):
                value = list(value.all())
            values[name] = value
        return values
