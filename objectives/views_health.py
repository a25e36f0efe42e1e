"""Pages of health metrics and value dimensions. Thin: access → form → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from objectives import selectors, services
from objectives.access_health import (
    access_health_metric,
    access_value_dimension,
    can_add_health_metric,
    can_write_health_metric,
)
from objectives.forms_health import HealthMetricForm, ValueDimensionForm
from objectives.models import HealthMetric
from okrapp.decorators import member_required
from okrapp.forms import apply_service_errors
from okrapp.http import AuthedHttpRequest
from okrapp.parsing import parse_id

# --- Health metrics --------------------------------------------------------------------------------


@member_required
def health_metric_list(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    context = {"groups": selectors.health_metric_groups(viewer), "can_add": can_add_health_metric(viewer)}
    return render(request, "objectives/health_metric_list.html", context)


def health_metric_context(request: AuthedHttpRequest, metric: HealthMetric) -> dict[str, Any]:
    viewer = request.viewer
    return {
        "metric": metric,
        "key_results": selectors.guarded_key_results(viewer, metric),
        "can_edit": can_write_health_metric(viewer, metric.team_id),
    }


@member_required
@require_http_methods(["GET", "POST"])
def health_metric_add(request: AuthedHttpRequest) -> HttpResponse:
    viewer = request.viewer
    if not can_add_health_metric(viewer):
        raise PermissionDenied("Only company admins and team leads add health metrics.")
    form = HealthMetricForm(
        request.POST or None, viewer=viewer, initial={"team": parse_id(request.GET.get("team"), field="team")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            metric = services.health_metric_save(organisation=viewer.organisation, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Health metric {metric.name} was added.")
            return redirect("health_metric_detail", pk=metric.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "objectives/health_metric_form.html", {"form": form, "metric": None}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def health_metric_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer
    metric = access_health_metric(viewer, pk, write=True)
    initial = {
        "name": metric.name,
        "team": metric.team_id,
        "description": metric.description,
        "unit": metric.unit,
        "direction": metric.direction,
        "green_threshold": metric.green_threshold,
        "amber_threshold": metric.amber_threshold,
        "owner": metric.owner_id,
    }
    form = HealthMetricForm(request.POST or None, viewer=viewer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.health_metric_save(organisation=viewer.organisation, metric=metric, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Health metric {metric.name} was saved.")
            return redirect("health_metric_detail", pk=metric.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "objectives/health_metric_form.html", {"form": form, "metric": metric}, status=status)


# --- Value dimensions ------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def value_dimension_list(request: AuthedHttpRequest) -> HttpResponse:
    """The list, and (for admins) the inline form that adds a dimension to it. Over htmx the form posts
    and the list section comes back as a partial; without htmx a plain POST redirects."""
    viewer = request.viewer
    if request.method == "POST" and not viewer.is_admin:
        raise PermissionDenied("Only company admins add value dimensions.")
    form = ValueDimensionForm(request.POST or None) if viewer.is_admin else None
    added = None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            added = services.value_dimension_save(organisation=viewer.organisation, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, f"Value dimension {added.name} was added.")
                return redirect("value_dimension_list")
            form = ValueDimensionForm()  # ready for the next one
    status = 422 if form is not None and form.errors else 200
    template = "objectives/value_dimension_list.html"
    if request.htmx:
        template += "#dimensions"
    context = {"dimensions": selectors.value_dimensions_with_counts(viewer), "form": form, "added": added}
    return render(request, template, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def value_dimension_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer
    dimension = access_value_dimension(viewer, pk, write=True)
    initial = {"name": dimension.name, "description": dimension.description}
    form = ValueDimensionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.value_dimension_save(organisation=viewer.organisation, dimension=dimension, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Value dimension {dimension.name} was saved.")
            return redirect("value_dimension_list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "objectives/value_dimension_form.html", {"form": form, "dimension": dimension}, status=status
    )
