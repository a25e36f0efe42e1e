"""The key results' API: the definition people write, and the numbers the app computes (progress,
expected progress, status, confidence, forecast, delivery confidence), read-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from objectives import progress as numbers
from objectives import services
from objectives.access import access_key_result, access_objective, visible_cycles
from objectives.access_health import health_metric_visibility
from objectives.facts import key_result_facts
from objectives.models import STATUS_CHOICES, CycleState, HealthMetric, KeyResult
from objectives.selectors import people_choices
from objectives.services.goals import KR_FIELDS
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.access import visible_people, visible_teams
from okrapp.api.base import FiniteFloatField, ScopedInput, resource_schema
from okrapp.api.filters import IdFilter
from okrapp.api.resource import Resource
from okrapp.http import Viewer
from okrapp.models import Membership
from okrapp.timeutil import org_today

FORECAST = inline_serializer(
    "Forecast",
    {
        "projected_value": serializers.FloatField(help_text="The trend's value at the cycle's end."),
        "projected_grade": serializers.FloatField(help_text="The progress that value would give, 0–1."),
        "reaches_target_on": serializers.DateField(
            allow_null=True, help_text="When the trend reaches the target; null: not in this cycle."
        ),
    },
    allow_null=True,
)

DEFINITION = (
    "objective",
    "title",
    "description",
    "kind",
    "owner",
    "contributors",
    "weight",
    "measure",
    "stretch",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "bound",
    "bound_keep",
    "done",
    "progress_from_aligned",
    "kfis",
)


class KeyResultSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True, help_text="0–1, computed.")
    expected_progress = serializers.SerializerMethodField(help_text="0–1: the share of the cycle gone today.")
    status = serializers.ChoiceField(choices=STATUS_CHOICES, read_only=True)
    confidence = serializers.FloatField(read_only=True, allow_null=True, help_text="The latest check-in's, 0–1.")
    forecast = serializers.SerializerMethodField()
    delivery_confidence = serializers.SerializerMethodField(
        help_text="0–1: can the team deliver the linked open work before the cycle ends, at its velocity."
    )
    reads_as_stretch = serializers.BooleanField(
        read_only=True, help_text="Stretch by its own mark or its objective's: 0.7 at the end is a success."
    )
    grade_success = serializers.SerializerMethodField(
        help_text="Whether its grade is a success (0.7 for a stretch KR, 1.0 otherwise); null before grading."
    )
    # A guest does not see other teams' health metrics: their ids are left out (KeyResultResource.context_for).
    kfis = serializers.SerializerMethodField(help_text="Its key failure indicators, those you may see.")

    class Meta:
        model = KeyResult
        fields = (
            "id",
            *DEFINITION,
            "position",
            "last_checkin_at",
            "grade",
            "reads_as_stretch",
            "grade_success",
            "progress",
            "expected_progress",
            "status",
            "confidence",
            "forecast",
            "delivery_confidence",
        )
        read_only_fields = ("position", "last_checkin_at", "grade")

    def _facts(self, kr: KeyResult) -> dict[str, Any]:
        return self.context.get("facts", {}).get(kr.pk, {})

    def get_expected_progress(self, kr: KeyResult) -> float:
        cycle = kr.objective.cycle
        return numbers.expected_progress(start=cycle.start_date, end=cycle.end_date, on=self.context["today"])

    @extend_schema_field(FORECAST)
    def get_forecast(self, kr: KeyResult) -> dict[str, Any] | None:
        return self._facts(kr).get("forecast")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_kfis(self, kr: KeyResult) -> list[int]:
        return [metric.pk for metric in kr.kfis.all() if metric.pk in self.context["visible_metrics"]]

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_grade_success(self, kr: KeyResult) -> bool | None:
        if kr.grade is None:
            return None
        return numbers.grade_is_success(kr.grade, stretch=kr.reads_as_stretch)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_delivery_confidence(self, kr: KeyResult) -> float | None:
        return self._facts(kr).get("delivery_confidence")


class KeyResultInput(ScopedInput):
    weight = FiniteFloatField(required=False, min_value=0.000001, max_value=1_000_000)
    start_value = FiniteFloatField(required=False, allow_null=True)
    target_value = FiniteFloatField(required=False, allow_null=True)
    current_value = FiniteFloatField(required=False, allow_null=True)
    bound = FiniteFloatField(required=False, allow_null=True)

    class Meta:
        model = KeyResult
        fields = DEFINITION
        extra_kwargs = {
            "owner": {"required": False, "allow_null": True},
            "contributors": {"required": False},
            "kfis": {"required": False},
        }

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        people = people_choices(viewer)
        return {
            "objective": visible_objectives(viewer),
            "owner": people,
            # The read lists every contributor, so a PUT sends back people a guest is not offered: the
            # service keeps those and refuses adding them (objectives.services.unseen).
            "contributors": Membership.objects.filter(organisation_id=viewer.organisation_id),
            "kfis": HealthMetric.objects.filter(health_metric_visibility(viewer)),
        }


class KeyResultFilter(filters.FilterSet):
    objective = IdFilter(field_name="objective", scope=visible_objectives)
    cycle = IdFilter(field_name="objective__cycle", scope=visible_cycles)
    team = IdFilter(field_name="objective__team", scope=visible_teams)
    owner = IdFilter(field_name="owner", scope=visible_people)
    status = filters.ChoiceFilter(choices=STATUS_CHOICES)
    kind = filters.ChoiceFilter(choices=KeyResult._meta.get_field("kind").choices)

    class Meta:
        model = KeyResult
        fields = ("objective", "cycle", "team", "owner", "status", "kind")


@resource_schema(KeyResultSerializer, KeyResultInput)
class KeyResultResource(Resource):
    """Key results the caller may see, with their computed numbers. Push a value with
    ``POST /key-results/{id}/values/``; check in with ``/check-ins/``."""

    model = KeyResult
    serializer_class = KeyResultSerializer
    write_serializer_class = KeyResultInput
    filterset_class = KeyResultFilter
    version_fields = tuple(f for f in DEFINITION if f not in ("current_value", "done"))

    def visible(self) -> QuerySet[KeyResult]:
        return (
            visible_key_results(self.viewer)
            .select_related("objective__cycle", "objective__team")
            .prefetch_related("contributors", "kfis")
            .order_by("objective_id", "position", "pk")
        )

    def context_for(self, rows: Sequence[Any]) -> dict[str, Any]:
        today = org_today(self.viewer.organisation)
        metrics = {metric.pk for kr in rows for metric in kr.kfis.all()}
        visible_metrics = HealthMetric.objects.filter(health_metric_visibility(self.viewer), pk__in=metrics)
        return {
            "today": today,
            "facts": key_result_facts(self.viewer, list(rows), today),
            "visible_metrics": set(visible_metrics.values_list("pk", flat=True)),
        }

    def fetch(self, pk: int, *, write: bool = False) -> KeyResult:
        return access_key_result(self.viewer, pk, write=write)

    def save(self, instance: KeyResult | None, data: dict[str, Any]) -> KeyResult:
        objective = data.pop("objective")
        if instance is None:
            objective = access_objective(self.viewer, objective.pk, write=True)
        elif objective.pk != instance.objective_id:
            raise ValidationError({"objective": "Move a key result to another objective on its page."})
        else:
            objective = instance.objective
        if objective.cycle.state == CycleState.CLOSED:
            raise ValidationError({"objective": "That objective's cycle is closed: its key results stay as they were."})
        people = {"contributors": data.pop("contributors", []), "kfis": data.pop("kfis", [])}
        fields = {k: v for k, v in data.items() if k in KR_FIELDS}
        if instance is None:
            return services.key_result_create(objective=objective, **people, **fields)
        return services.key_result_update(key_result=instance, writer=self.viewer, **people, **fields)
