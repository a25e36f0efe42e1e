"""Health metrics: numbers a team watches, with thresholds and a computed traffic light."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from objectives import progress as numbers
from objectives.models import HealthMetric, KeyResult
from objectives.progress import Direction
from objectives.services.outbox import recompute_request
from okrapp.models import Membership, Organisation, Team

# --- Health metrics --------------------------------------------------------------------------------


@transaction.atomic
def health_metric_save(
    *,
    organisation: Organisation,
    name: str,
    direction: str,
    green_threshold: float,
    amber_threshold: float,
    team: Team | None = None,
    unit: str = "",
    description: str = "",
    owner: Membership | None = None,
    metric: HealthMetric | None = None,
) -> HealthMetric:
    errors: dict[str, str] = {}
    try:
        numbers.check_thresholds(direction=Direction(direction), green=green_threshold, amber=amber_threshold)
    except ValueError as exc:
        errors["green_threshold"] = str(exc)
    if team is not None and team.organisation_id != organisation.pk:
        errors["team"] = "That team belongs to another organisation."
    clash = HealthMetric.objects.filter(organisation=organisation, team=team, name__iexact=name.strip())
    if metric is not None:
        clash = clash.exclude(pk=metric.pk)
    if clash.exists():
        errors["name"] = "A health metric with this name already exists here."
    if errors:
        raise ValidationError(errors)
    metric = metric or HealthMetric(organisation=organisation)
    metric.team, metric.name, metric.direction = team, name.strip(), direction
    metric.green_threshold, metric.amber_threshold = green_threshold, amber_threshold
    metric.unit, metric.description, metric.owner = unit.strip(), description.strip(), owner
    light = numbers.health_light(
        value=metric.latest_value, direction=Direction(direction), green=green_threshold, amber=amber_threshold
    )
    metric.light = light.value if light else ""
    metric.save()
    # A threshold change can turn a KFI red or back: its KRs' statuses follow.
    recompute_request(
        organisation_id=organisation.pk,
        key_result_ids=KeyResult.objects.filter(kfis=metric).values_list("pk", flat=True),
    )
    return metric
