"""The series' API: check-ins, metric readings, and the push of values and readings by integrations
(idempotent per timestamp). Same rules and services as the pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from checkins import services
from checkins.models import CheckIn, MetricReading
from objectives import progress as numbers
from objectives.access import access_key_result
from objectives.access_health import access_health_metric, health_metric_visibility
from objectives.models import HealthMetric, KeyResult
from objectives.progress import Kind
from objectives.visibility import visible_key_results
from okrapp.api.base import (
    ERRORS,
    BoundedDateField,
    BoundedDateTimeField,
    FiniteFloatField,
    ViewerMixin,
    resource_schema,
)
from okrapp.api.filters import BoundedDateFilter, IdFilter
from okrapp.api.resource import Resource, parse_pk
from okrapp.http import Viewer
from okrapp.timeutil import org_today

TEXT_LIMIT = 4000


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = (
            "id",
            "key_result",
            "week",
            "value",
            "done",
            "confidence",
            "what_changed",
            "next_steps",
            "blockers",
            "author",
            "pushed_at",
            "created_at",
            "updated_at",
        )


class CheckInInput(serializers.Serializer):
    key_result = serializers.PrimaryKeyRelatedField(queryset=KeyResult.objects.none())
    week = BoundedDateField(required=False, help_text="The week's Monday; this week when left out.")
    value = FiniteFloatField(required=False, allow_null=True, help_text="Metric and guardrail KRs.")
    done = serializers.BooleanField(required=False, allow_null=True, help_text="Milestone KRs.")
    confidence = FiniteFloatField(min_value=0, max_value=1)
    what_changed = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)
    next_steps = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)
    blockers = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_LIMIT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.context.get("viewer")
        if viewer is not None:
            self.fields["key_result"].queryset = visible_key_results(viewer).select_related(  # type: ignore[attr-defined]
                "objective__cycle"
            )


class CheckInFilter(filters.FilterSet):
    key_result = IdFilter(field_name="key_result", scope=visible_key_results)
    week = BoundedDateFilter()
    week_from = BoundedDateFilter(field_name="week", lookup_expr="gte")

    class Meta:
        model = CheckIn
        fields = ("key_result", "week", "week_from")


@resource_schema(CheckInSerializer, CheckInInput)
class CheckInResource(Resource):
    """Weekly check-ins on the key results the caller may see. Posting again for the same key result
    and week updates that week's check-in (one per KR and week)."""

    model = CheckIn
    serializer_class = CheckInSerializer
    write_serializer_class = CheckInInput
    filterset_class = CheckInFilter
    version_fields = ("value", "done", "confidence", "what_changed", "next_steps", "blockers")

    def visible(self) -> QuerySet[CheckIn]:
        return CheckIn.objects.filter(key_result__in=visible_key_results(self.viewer).values("pk")).order_by(
            "-week", "key_result_id", "pk"
        )

    def fetch(self, pk: int, *, write: bool = False) -> CheckIn:
        checkin = self.visible().select_related("key_result__objective__cycle").filter(pk=pk).first()
        if checkin is None:
            raise Http404("No such check-in.")
        if write and not services.can_check_in(self.viewer, checkin.key_result):
            raise exceptions.PermissionDenied("Only the key result's owner, contributors or team lead check in.")
        return checkin

    def current(self, instance: CheckIn) -> dict[str, Any]:  # type: ignore[override]
        fields = ("value", "done", "confidence", "what_changed", "next_steps", "blockers")
        return {"key_result": instance.key_result, "week": instance.week} | {f: getattr(instance, f) for f in fields}

    def save(self, instance: CheckIn | None, data: dict[str, Any]) -> CheckIn:
        if instance is not None:  # a check-in stays on its KR and week
            data["key_result"], data["week"] = instance.key_result, instance.week
        return services.checkin_save(viewer=self.viewer, **data)


class MetricReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricReading
        fields = ("id", "metric", "taken_on", "value", "note", "author", "taken_at", "created_at")


class MetricReadingInput(serializers.Serializer):
    metric = serializers.PrimaryKeyRelatedField(queryset=HealthMetric.objects.none())
    taken_on = BoundedDateField()
    value = FiniteFloatField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=240)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.context.get("viewer")
        if viewer is not None:
            self.fields["metric"].queryset = HealthMetric.objects.filter(health_metric_visibility(viewer))  # type: ignore[attr-defined]


def visible_health_metrics(viewer: Viewer) -> QuerySet[HealthMetric]:
    return HealthMetric.objects.filter(health_metric_visibility(viewer))


class MetricReadingFilter(filters.FilterSet):
    metric = IdFilter(field_name="metric", scope=visible_health_metrics)
    taken_from = BoundedDateFilter(field_name="taken_on", lookup_expr="gte")

    class Meta:
        model = MetricReading
        fields = ("metric", "taken_from")


@resource_schema(MetricReadingSerializer, MetricReadingInput)
class MetricReadingResource(Resource):
    """Dated values of the health metrics the caller may see (one per metric and day)."""

    model = MetricReading
    serializer_class = MetricReadingSerializer
    write_serializer_class = MetricReadingInput
    filterset_class = MetricReadingFilter
    version_fields = ("value", "note")

    def visible(self) -> QuerySet[MetricReading]:
        metrics = HealthMetric.objects.filter(health_metric_visibility(self.viewer)).values("pk")
        return MetricReading.objects.filter(metric__in=metrics).order_by("-taken_on", "metric_id", "pk")

    def fetch(self, pk: int, *, write: bool = False) -> MetricReading:
        reading = self.visible().filter(pk=pk).first()
        if reading is None:
            raise Http404("No such reading.")
        if write:
            access_health_metric(self.viewer, reading.metric_id, write=True)
        return reading

    def current(self, instance: MetricReading) -> dict[str, Any]:  # type: ignore[override]
        return {
            "metric": instance.metric,
            "taken_on": instance.taken_on,
            "value": instance.value,
            "note": instance.note,
        }

    def save(self, instance: MetricReading | None, data: dict[str, Any]) -> MetricReading:
        metric = access_health_metric(self.viewer, data["metric"].pk, write=True)
        taken_on = instance.taken_on if instance is not None else data["taken_on"]
        return services.reading_save(
            metric=metric,
            taken_on=taken_on,
            value=data["value"],
            note=data.get("note", ""),
            author_id=self.viewer.membership.pk,
            today=org_today(self.viewer.organisation),
        )


# --- Pushes by integrations -------------------------------------------------------------------------


class ValuePush(serializers.Serializer):
    value = FiniteFloatField()
    timestamp = BoundedDateTimeField(help_text="When the value was measured (ISO 8601 with its zone).")


class PushResult(serializers.Serializer):
    changed = serializers.BooleanField(help_text="False: this timestamp (or a later one) was already recorded.")
    check_in = CheckInSerializer(required=False)
    reading = MetricReadingSerializer(required=False)


class KeyResultValues(ViewerMixin):
    """Push a measured value of a KR: it lands in its timestamp's week (value only; the confidence
    stays as a person last set it) and is recomputed like a check-in. The same timestamp again
    changes nothing; within a week the latest timestamp wins."""

    @extend_schema(
        request=ValuePush,
        responses={200: PushResult, 201: PushResult, **ERRORS},
        operation_id="key_results_values_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        kr = access_key_result(self.viewer, parse_pk(pk))
        data = ValuePush(data=request.data)
        data.is_valid(raise_exception=True)
        checkin, changed = services.value_push(
            viewer=self.viewer, key_result=kr, value=data.validated_data["value"], at=data.validated_data["timestamp"]
        )
        body = {"changed": changed, "check_in": CheckInSerializer(checkin).data}
        return Response(body, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)


class HealthMetricReadings(ViewerMixin):
    """Push a reading of a health metric: it lands on its timestamp's day (the day's latest timestamp
    wins; the same timestamp again changes nothing) and the metric's light and the KRs it guards follow."""

    @extend_schema(
        request=ValuePush,
        responses={200: PushResult, 201: PushResult, **ERRORS},
        operation_id="health_metrics_readings_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        metric = access_health_metric(self.viewer, parse_pk(pk), write=True)
        data = ValuePush(data=request.data)
        data.is_valid(raise_exception=True)
        reading, changed = services.reading_push(
            viewer=self.viewer, metric=metric, value=data.validated_data["value"], at=data.validated_data["timestamp"]
        )
        body = {"changed": changed, "reading": MetricReadingSerializer(reading).data}
        return Response(body, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)


# --- What the series adds to a KR's API representation ----------------------------------------------


def forecast_facts(viewer: Viewer, key_results: Sequence[KeyResult], today: date) -> dict[int, dict[str, Any]]:
    """The forecast of each metric KR from its check-ins (one query for all of them)."""
    metric = [kr for kr in key_results if kr.kind == Kind.METRIC and kr.start_value != kr.target_value]
    series: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for kr_id, week, value in (
        CheckIn.objects.filter(key_result__in=[kr.pk for kr in metric], value__isnull=False)
        .order_by("week")
        .values_list("key_result_id", "week", "value")
    ):
        series[kr_id].append((week, value or 0.0))  # never None: filtered above
    facts: dict[int, dict[str, Any]] = {kr.pk: {"forecast": None} for kr in key_results}
    for kr in metric:
        if kr.start_value is None or kr.target_value is None:
            continue
        cycle = kr.objective.cycle
        found = numbers.forecast(
            series=series[kr.pk],
            start=kr.start_value,
            target=kr.target_value,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
        )
        if found is not None:
            facts[kr.pk]["forecast"] = {
                "projected_value": found.value_at_end,
                "projected_grade": found.grade,
                "reaches_target_on": found.reaches_target_on,
            }
    return facts
