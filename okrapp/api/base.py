"""What every API resource shares: the viewer, one error shape, pagination, and a version per object
exposed as ``ETag`` and checked against ``If-Match`` on writes.

Errors always answer ``{"errors": [{"field": <name or null>, "message": <words>}]}``, whatever raised
them: DRF's validation, a service's ``ValidationError``, an access function's 404 or 403.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from okrapp.http import Viewer
from okrapp.models import User
from okrapp.parsing import BadInput, check_date, parse_int, validate_date_bounds


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "This object changed since you read it: read it again (its ETag), then send your change."
    default_code = "precondition_failed"


def _flatten(detail: Any, field: str | None = None) -> Iterable[dict[str, str | None]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__", "detail") else key
            yield from _flatten(value, f"{field}.{name}" if field and name else name or field)
    elif isinstance(detail, list):
        for item in detail:
            yield from _flatten(item, field)
    else:
        yield {"field": field, "message": str(detail)}


def error_body(detail: Any) -> dict[str, list[dict[str, str | None]]]:
    return {"errors": list(_flatten(detail))}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error in one shape. Services' Django errors become their HTTP equivalents."""
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("The request body is too large (2.5 MB at most).")
        exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, BadInput):  # okrapp.parsing refused a query parameter or a field: 400, named
        exc = exceptions.ValidationError({exc.field: [exc.message]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found, or not yours to see.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may see this but not change it.")
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.data)
    return response


ERROR_SCHEMA = inline_serializer(
    "Errors",
    {
        "errors": serializers.ListField(
            child=inline_serializer(
                "Error",
                {"field": serializers.CharField(allow_null=True), "message": serializers.CharField()},
            )
        )
    },
)
ERRORS = {
    code: OpenApiResponse(ERROR_SCHEMA, description=text)
    for code, text in {
        400: "Bad input: a message per field.",
        401: "Not signed in: send a token.",
        403: "Visible but not yours to change.",
        404: "Not found, or not visible to you.",
        405: "Method not allowed.",
        412: "Stale If-Match: the object changed since it was read.",
        415: "Send JSON.",
        429: "Too many requests for this token: wait and retry.",
    }.items()
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag read with the object. If it changed since, the write answers 412 and changes "
    "nothing. Without the header the write goes through.",
)


PUT_REQUIRED = "This field is required on PUT; use PATCH to change part."
_FULL_INPUTS: dict[type[serializers.Serializer], type[serializers.Serializer]] = {}


def full_input(write: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The input of a PUT: the whole resource, so every writable field is required (a field left out
    would otherwise reach the service as its default and quietly erase what is stored). The same class
    validates the request and documents it, so the schema says what the server asks."""
    if write not in _FULL_INPUTS:

        def get_fields(self: serializers.Serializer) -> dict[str, serializers.Field]:
            fields = write.get_fields(self)
            for field in fields.values():
                if not field.read_only:
                    field.required = True
                    field.error_messages["required"] = PUT_REQUIRED
            return fields

        full = type(
            f"{write.__name__}Full",
            (write,),
            {
                "get_fields": get_fields,
                "__module__": write.__module__,
                "__doc__": "The whole resource: PUT requires every writable field (PATCH changes part).",
            },
        )
        _FULL_INPUTS[write] = full
    return _FULL_INPUTS[write]


def resource_schema(read: Any, write: Any) -> Any:
    """The documented answers of a resource's five actions (errors in one shape). PUT takes the whole
    resource (``full_input``); PATCH any part of it."""
    return extend_schema_view(
        list=extend_schema(responses={200: read(many=True), **ERRORS}),
        retrieve=extend_schema(responses={200: read, **ERRORS}),
        create=extend_schema(request=write, responses={201: read, **ERRORS}),
        update=extend_schema(request=full_input(write), responses={200: read, **ERRORS}, parameters=[IF_MATCH]),
        partial_update=extend_schema(request=write, responses={200: read, **ERRORS}, parameters=[IF_MATCH]),
    )


class Pagination(pagination.PageNumberPagination):
    """Pages of 50 rows; ``page`` and ``page_size`` are whole numbers in range (okrapp.parsing), else 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    max_page = 1_000_000  # far past any list's last page (which answers 404, as DRF's pages do)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        size = parse_int(raw, field="page_size", minimum=1, maximum=self.max_page_size, default=self.page_size)
        return size or self.page_size

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw in self.last_page_strings:
            return raw
        return parse_int(raw, field="page", minimum=1, maximum=self.max_page, default=1)


MAX_NUMBER = 1e12  # beyond any real measure; keeps the progress and trend arithmetic finite


class FiniteFloatField(serializers.FloatField):
    """A number that is a number: NaN and infinity are refused, and so is anything beyond ±10¹²."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -MAX_NUMBER)
        kwargs.setdefault("max_value", MAX_NUMBER)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, str) and data.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            raise serializers.ValidationError("Send a finite number.")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("Send a finite number.")
        return value


class BoundedDateField(serializers.DateField):
    """A date within the years 2000–2100 (``okrapp.parsing``): a cycle or a week from year 1 is refused
    (400 naming the field) instead of making every week-by-week page huge."""

    default_validators = [validate_date_bounds]


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp whose date lies within the years 2000–2100. Checked before DRF moves it into the
    server's time zone, which overflows (a 500) for a timestamp at the edge of year 1."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = value
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # not a timestamp at all: DRF's own message says which format to send
        if isinstance(parsed, datetime):
            try:
                check_date(parsed, field=self.field_name or "timestamp")
            except BadInput as exc:
                raise serializers.ValidationError(exc.message, code="date_out_of_range") from None
        return super().to_internal_value(value)


TEXT_LIMIT = 10_000  # characters of a long text field (a description, a briefing) sent through the API


class ScopedInput(serializers.ModelSerializer):
    """An input whose related ids are checked against what the viewer may use: an id of another
    organisation, or of something the viewer may not see, is "not found" like any wrong id. Long text
    fields get a length limit; dates and timestamps lie within the years 2000–2100."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: BoundedDateField,
        models.DateTimeField: BoundedDateTimeField,
    }

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[Any, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "max_length" not in kwargs:
            kwargs["max_length"] = TEXT_LIMIT
        return field_class, kwargs

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.context.get("viewer")
        if viewer is not None:
            for name, queryset in self.scopes(viewer).items():
                field = self.fields[name]
                target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
                target.queryset = queryset  # type: ignore[attr-defined]


class ViewerMixin(APIView):
    """The signed-in person's viewer (membership, roles), whichever authentication let them in."""

    viewer: Viewer

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.viewer = api_viewer(request)


def api_viewer(request: Request) -> Viewer:
    """The viewer of a function API view (``ViewerMixin`` does this for the class-based ones)."""
    viewer = getattr(request._request, "viewer", None)
    if not viewer or viewer.user.pk != request.user.pk:
        viewer = Viewer.load(request.user) if isinstance(request.user, User) else None
    if viewer is None:
        raise exceptions.PermissionDenied("You are not a member of an organisation.")
    return viewer


def version_of(instance: models.Model, fields: Iterable[str]) -> str:
    """The object's version: a hash of what people write on it (not of the numbers computed from it,
    so a background recompute does not make a client's If-Match stale)."""
    values = []
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values.append(sorted(getattr(instance, name).values_list("pk", flat=True)))
        else:
            values.append(getattr(instance, getattr(field, "attname", name)))
    return '"' + hashlib.sha256(repr((instance.pk, values)).encode()).hexdigest()[:20] + '"'


def check_if_match(request: Request, current: str) -> None:
    """A stale If-Match refuses the write (412); none, or ``*``, lets it through."""
    wanted = request.headers.get("If-Match")
    if not wanted or wanted.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if current not in tags:
        raise PreconditionFailed()


def api_not_found(request: Any, exception: Exception | None = None) -> Any:
    """Django's 404 for a URL no route matches: JSON under /api/, the page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("No such address in the API: see /api/docs/."), status=404)
    return page_not_found(request, exception or Http404())


def api_server_error(request: Any) -> Any:
    """Django's 500: JSON under /api/ (no details), the page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Something went wrong on our side; nothing was half-saved."), status=500)
    return server_error(request)
