"""The goals' API: cycles, value dimensions, objectives and health metrics. Same rules as the pages:
the visibility rule for lists, the access functions for one object, the services for every write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from objectives import services
from objectives.access import access_cycle, access_objective, can_write_in, visible_cycles
from objectives.access_health import (
    access_health_metric,
    access_value_dimension,
    can_add_health_metric,
    health_metric_teams,
    health_metric_visibility,
)
from objectives.models import (
    KIND_CHOICES,
    STATUS_CHOICES,
    Cycle,
    CycleState,
    HealthMetric,
    Objective,
    ObjectiveState,
    ValueDimension,
    Visibility,
)
from objectives.selectors import people_choices
from objectives.services import exchange
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.access import visible_teams
from okrapp.api.base import ERRORS, FiniteFloatField, ScopedInput, api_viewer, resource_schema
from okrapp.api.filters import IdFilter
from okrapp.api.resource import Resource, parse_pk
from okrapp.http import Viewer
from okrapp.models import Team

# --- Cycles -----------------------------------------------------------------------------------------


class CycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ("id", "name", "kind", "start_date", "end_date", "state", "parent")


class CycleInput(ScopedInput):
    class Meta:
        model = Cycle
        fields = ("name", "kind", "start_date", "end_date", "parent")
        extra_kwargs = {"parent": {"required": False, "allow_null": True}}

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {"parent": Cycle.objects.filter(organisation_id=viewer.organisation_id)}


class CycleFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=CycleState.choices)

    class Meta:
        model = Cycle
        fields = ("state",)


@resource_schema(CycleSerializer, CycleInput)
class CycleResource(Resource):
    """Cycles (a year, a quarter…) with their dates and state. Company admins add and change them."""

    model = Cycle
    serializer_class = CycleSerializer
    write_serializer_class = CycleInput
    filterset_class = CycleFilter
    version_fields = ("name", "kind", "start_date", "end_date", "parent", "state")

    def visible(self) -> QuerySet[Cycle]:
        return Cycle.objects.filter(organisation_id=self.viewer.organisation_id).order_by("-start_date", "pk")

    def fetch(self, pk: int, *, write: bool = False) -> Cycle:
        return access_cycle(self.viewer, pk, write=write)

    def save(self, instance: Cycle | None, data: dict[str, Any]) -> Cycle:
        if instance is None:
            if not self.viewer.is_admin:
                raise exceptions.PermissionDenied("Only company admins manage cycles.")
            return services.cycle_create(organisation=self.viewer.organisation, **data)
        return services.cycle_update(cycle=instance, **data)


# --- Value dimensions ---------------------------------------------------------------------------------


class ValueDimensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValueDimension
        fields = ("id", "name", "description", "position")


class ValueDimensionInput(ScopedInput):
    class Meta:
        model = ValueDimension
        fields = ("name", "description")


@resource_schema(ValueDimensionSerializer, ValueDimensionInput)
class ValueDimensionResource(Resource):
    """The company's strategic value pillars. Company admins add and change them."""

    model = ValueDimension
    serializer_class = ValueDimensionSerializer
    write_serializer_class = ValueDimensionInput
    version_fields = ("name", "description", "position")

    def visible(self) -> QuerySet[ValueDimension]:
        return ValueDimension.objects.filter(organisation_id=self.viewer.organisation_id).order_by("position", "pk")

    def fetch(self, pk: int, *, write: bool = False) -> ValueDimension:
        return access_value_dimension(self.viewer, pk, write=write)

    def save(self, instance: ValueDimension | None, data: dict[str, Any]) -> ValueDimension:
        if instance is None and not self.viewer.is_admin:
            raise exceptions.PermissionDenied("Only company admins manage value dimensions.")
        return services.value_dimension_save(organisation=self.viewer.organisation, dimension=instance, **data)


# --- Objectives ---------------------------------------------------------------------------------------


class ObjectiveSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True, allow_null=True, help_text="0–1, stored by the recompute.")
    confidence = serializers.FloatField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, read_only=True)
    # What the objective points to is shown only where the caller may see it (ObjectiveResource.context_for):
    # an id of an objective or key result one may not see would tell that it exists.
    parent = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="The objective it aligns to; null when you may not see it."
    )
    contributes_to = serializers.SerializerMethodField(help_text="Key results it moves, those you may see.")

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, objective: Objective) -> int | None:
        return objective.parent_id if objective.parent_id in self.context["visible_objectives"] else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_contributes_to(self, objective: Objective) -> list[int]:
        return [kr.pk for kr in objective.contributes_to.all() if kr.pk in self.context["visible_key_results"]]

    class Meta:
        model = Objective
        fields = (
            "id",
            "cycle",
            "team",
            "title",
            "description",
            "owner",
            "visibility",
            "state",
            "parent",
            "value_dimension",
            "contributes_to",
            "stretch",
            "progress",
            "confidence",
            "status",
        )


class ObjectiveInput(ScopedInput):
    class Meta:
        model = Objective
        fields = (
            "cycle",
            "team",
            "title",
            "description",
            "owner",
            "visibility",
            "state",
            "parent",
            "value_dimension",
            "contributes_to",
            "stretch",
        )
        extra_kwargs = {
            "team": {"required": False, "allow_null": True},
            "parent": {"required": False, "allow_null": True},
            "value_dimension": {"required": False, "allow_null": True},
            "contributes_to": {"required": False},
        }

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        org = viewer.organisation_id
        return {
            "cycle": Cycle.objects.filter(organisation_id=org),
            "team": Team.objects.filter(organisation_id=org),
            "owner": people_choices(viewer),
            "parent": visible_objectives(viewer),
            "value_dimension": ValueDimension.objects.filter(organisation_id=org),
            "contributes_to": visible_key_results(viewer),
        }


class ObjectiveFilter(filters.FilterSet):
    cycle = IdFilter(field_name="cycle", scope=visible_cycles)
    team = IdFilter(field_name="team", scope=visible_teams)
    company_level = filters.BooleanFilter(field_name="team", lookup_expr="isnull", label="Company-level only")
    status = filters.ChoiceFilter(choices=STATUS_CHOICES)
    state = filters.ChoiceFilter(choices=Objective._meta.get_field("state").choices)
    parent = IdFilter(field_name="parent", scope=visible_objectives)

    class Meta:
        model = Objective
        fields = ("cycle", "team", "company_level", "status", "state", "parent")


@resource_schema(ObjectiveSerializer, ObjectiveInput)
class ObjectiveResource(Resource):
    """Objectives the caller may see. Progress, confidence and status are computed (read-only)."""

    model = Objective
    serializer_class = ObjectiveSerializer
    write_serializer_class = ObjectiveInput
    filterset_class = ObjectiveFilter
    version_fields = (
        "title",
        "description",
        "owner",
        "visibility",
        "state",
        "parent",
        "value_dimension",
        "contributes_to",
        "stretch",
    )

    def visible(self) -> QuerySet[Objective]:
        return visible_objectives(self.viewer).prefetch_related("contributes_to").order_by("cycle_id", "title", "pk")

    def context_for(self, rows: Sequence[Any]) -> dict[str, Any]:
        """Of the parents and contributed key results the rows name, those the viewer may see."""
        parents = {o.parent_id for o in rows if o.parent_id}
        key_results = {kr.pk for o in rows for kr in o.contributes_to.all()}
        return {
            "visible_objectives": set(
                visible_objectives(self.viewer).filter(pk__in=parents).values_list("pk", flat=True)
            ),
            "visible_key_results": set(
                visible_key_results(self.viewer).filter(pk__in=key_results).values_list("pk", flat=True)
            ),
        }

    def fetch(self, pk: int, *, write: bool = False) -> Objective:
        return access_objective(self.viewer, pk, write=write)

    def save(self, instance: Objective | None, data: dict[str, Any]) -> Objective:
        cycle, team = data.pop("cycle"), data.pop("team", None)
        if instance is None:
            if not can_write_in(self.viewer, team):
                raise exceptions.PermissionDenied("You may not write objectives for that team.")
            return services.objective_create(organisation=self.viewer.organisation, cycle=cycle, team=team, **data)
        if (cycle, team) != (instance.cycle, instance.team):
            raise ValidationError({"cycle": "An objective stays in its cycle and team: create a new one instead."})
        return services.objective_update(objective=instance, writer=self.viewer, **data)


# --- Health metrics -----------------------------------------------------------------------------------


class HealthMetricSerializer(serializers.ModelSerializer):
    latest_value = serializers.FloatField(read_only=True, allow_null=True)
    light = serializers.CharField(read_only=True, help_text="green, amber or red; empty before the first reading.")

    class Meta:
        model = HealthMetric
        fields = (
            "id",
            "team",
            "name",
            "description",
            "unit",
            "direction",
            "green_threshold",
            "amber_threshold",
            "owner",
            "latest_value",
            "light",
        )


class HealthMetricInput(ScopedInput):
    green_threshold = FiniteFloatField()
    amber_threshold = FiniteFloatField()

    class Meta:
        model = HealthMetric
        fields = ("team", "name", "description", "unit", "direction", "green_threshold", "amber_threshold", "owner")
        extra_kwargs = {
            "team": {"required": False, "allow_null": True},
            "owner": {"required": False, "allow_null": True},
        }

    def scopes(self, viewer: Viewer) -> dict[str, QuerySet[Any]]:
        return {"team": Team.objects.filter(organisation_id=viewer.organisation_id), "owner": people_choices(viewer)}


class HealthMetricFilter(filters.FilterSet):
    team = IdFilter(field_name="team", scope=visible_teams)

    class Meta:
        model = HealthMetric
        fields = ("team",)


@resource_schema(HealthMetricSerializer, HealthMetricInput)
class HealthMetricResource(Resource):
    """Health metrics with their computed traffic light. Readings: ``/health-metrics/{id}/readings/``."""

    model = HealthMetric
    serializer_class = HealthMetricSerializer
    write_serializer_class = HealthMetricInput
    filterset_class = HealthMetricFilter
    version_fields = ("team", "name", "description", "unit", "direction", "green_threshold", "amber_threshold", "owner")

    def visible(self) -> QuerySet[HealthMetric]:
        return HealthMetric.objects.filter(health_metric_visibility(self.viewer)).order_by("name", "pk")

    def fetch(self, pk: int, *, write: bool = False) -> HealthMetric:
        return access_health_metric(self.viewer, pk, write=write)

    def save(self, instance: HealthMetric | None, data: dict[str, Any]) -> HealthMetric:
        team = data.get("team")
        if instance is None and not can_add_health_metric(self.viewer):
            raise exceptions.PermissionDenied("Only company admins and team leads add health metrics.")
        if team is not None and not health_metric_teams(self.viewer).filter(pk=team.pk).exists():
            raise ValidationError({"team": "You may not add metrics for that team."})
        if team is None and not self.viewer.is_admin:
            raise ValidationError({"team": "Only company admins keep company-wide metrics: choose your team."})
        return services.health_metric_save(organisation=self.viewer.organisation, metric=instance, **data)


# --- A cycle's OKRs as JSON ---------------------------------------------------------------------------


class ExchangeKeyResult(serializers.Serializer):
    metric = serializers.CharField(max_length=200, help_text="The key result's title.")
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)
    start = serializers.FloatField(required=False, allow_null=True)
    target = serializers.FloatField(required=False, allow_null=True)
    current = serializers.FloatField(required=False, allow_null=True)
    bound = serializers.FloatField(required=False, allow_null=True, help_text="Guardrail: the bound to keep.")
    keep = serializers.ChoiceField(
        choices=["above", "below"], required=False, help_text="Guardrail: stay above or below."
    )
    done = serializers.BooleanField(required=False, help_text="Milestone.")
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    owner = serializers.EmailField(required=False, allow_null=True)
    weight = serializers.FloatField(required=False)
    stretch = serializers.BooleanField(required=False, help_text="A stretch KR: 0.7 at the end is a success.")


class ExchangeObjective(serializers.Serializer):
    objective = serializers.CharField(max_length=200, help_text="The objective's title.")
    description = serializers.CharField(required=False, allow_blank=True)
    team = serializers.CharField(required=False, allow_null=True, help_text="The team's name; null: company level.")
    owner = serializers.EmailField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    state = serializers.ChoiceField(choices=ObjectiveState.choices, required=False)
    stretch = serializers.BooleanField(required=False, help_text="A stretch objective: all its KRs read as stretch.")
    key_results = ExchangeKeyResult(many=True)


class ImportResult(serializers.Serializer):
    created = serializers.IntegerField()
    objectives = serializers.ListField(child=serializers.IntegerField())


@extend_schema(responses={200: ExchangeObjective(many=True), **ERRORS}, summary="A cycle's OKRs as JSON")
@api_view(["GET"])
def cycle_export_view(request: Request, pk: int) -> Response:
    viewer = api_viewer(request)
    return Response(exchange.cycle_export(viewer, access_cycle(viewer, parse_pk(pk))))


@extend_schema(
    request=ExchangeObjective(many=True),
    responses={201: ImportResult, **ERRORS},
    summary="Import OKRs into a cycle (all or nothing)",
)
@api_view(["POST"])
def cycle_import_view(request: Request, pk: int) -> Response:
    """The export's shape; every row is checked before anything is written, and a bad row's fields
    come back as ``<row>.key_results.<n>.<field>``."""
    viewer = api_viewer(request)
    created = exchange.cycle_import(viewer, access_cycle(viewer, parse_pk(pk)), request.data)
    return Response({"created": len(created), "objectives": [o.pk for o in created]}, status=status.HTTP_201_CREATED)
