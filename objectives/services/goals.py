"""Objectives, key results and health metrics: create, edit, move, promote, carry over."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from objectives.access_health import health_metric_visibility
from objectives.models import (
    Cycle,
    CycleState,
    HealthMetric,
    KeyResult,
    Objective,
    ObjectiveState,
    ValueDimension,
    Visibility,
)
from objectives.progress import Bound, Kind
from objectives.selectors import people_choices
from objectives.services.cycles import objectives_closed_emit
from objectives.services.outbox import recompute_request
from objectives.services.recompute import recompute_key_result
from objectives.services.series import key_result_resummarise
from objectives.services.unseen import kept_members, kept_one
from objectives.visibility import visible_key_results, visible_objectives
from okrapp.http import Viewer
from okrapp.models import Membership, Organisation, Team
from okrapp.timeutil import org_today

# --- Objectives ------------------------------------------------------------------------------------


def _ancestor_ids(objective: Objective) -> set[int]:
    found: set[int] = set()
    current = objective.parent_id
    while current is not None and current not in found:
        found.add(current)
        current = Objective.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return found


def _check_objective(
    *,
    organisation: Organisation,
    cycle: Cycle,
    team: Team | None,
    owner: Membership,
    visibility: str,
    parent: Objective | None,
    value_dimension: ValueDimension | None,
    contributes_to: Iterable[KeyResult],
    objective: Objective | None = None,
) -> None:
    errors: dict[str, str] = {}
    if cycle.organisation_id != organisation.pk:
        errors["cycle"] = "That cycle belongs to another organisation."
    elif cycle.state == CycleState.CLOSED and objective is None:
        errors["cycle"] = "That cycle is closed: choose a cycle in planning or active."
    if team is not None and team.organisation_id != organisation.pk:
        errors["team"] = "That team belongs to another organisation."
    if owner.organisation_id != organisation.pk:
        errors["owner"] = "That person belongs to another organisation."
    if team is None and visibility == Visibility.TEAM:
        errors["visibility"] = "A company objective is visible to the company or private, not to a team."
    if value_dimension is not None and value_dimension.organisation_id != organisation.pk:
        errors["value_dimension"] = "That value dimension belongs to another organisation."
    if parent is not None:
        if parent.organisation_id != organisation.pk:
            errors["parent"] = "That objective belongs to another organisation."
        elif parent.cycle.state == CycleState.CLOSED:
            errors["parent"] = "That objective's cycle is closed: align to an objective of an open cycle."
        elif parent.cycle_id not in {cycle.pk, cycle.parent_id}:
            errors["parent"] = "Align to an objective of the same cycle, or of the year this quarter belongs to."
        elif objective is not None and (parent.pk == objective.pk or objective.pk in _ancestor_ids(parent)):
            errors["parent"] = "That would make a loop: an objective cannot align to itself or to one aligned to it."
    for kr in contributes_to:
        if kr.organisation_id != organisation.pk:
            errors["contributes_to"] = "A key result belongs to another organisation."
        elif objective is not None and kr.objective_id == objective.pk:
            errors["contributes_to"] = "An objective cannot contribute to its own key results."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def objective_create(
    *,
    organisation: Organisation,
    cycle: Cycle,
    team: Team | None,
    title: str,
    owner: Membership,
    description: str = "",
    visibility: str = Visibility.COMPANY,
    state: str = ObjectiveState.DRAFT,
    parent: Objective | None = None,
    value_dimension: ValueDimension | None = None,
    contributes_to: Iterable[KeyResult] = (),
    stretch: bool = False,
) -> Objective:
    contributes = list(contributes_to)
    _check_objective(
        organisation=organisation,
        cycle=cycle,
        team=team,
        owner=owner,
        visibility=visibility,
        parent=parent,
        value_dimension=value_dimension,
        contributes_to=contributes,
    )
    objective = Objective.objects.create(
        organisation=organisation,
        cycle=cycle,
        team=team,
        title=title.strip(),
        description=description.strip(),
        owner=owner,
        visibility=visibility,
        state=state,
        parent=parent,
        value_dimension=value_dimension,
        stretch=stretch,
    )
    objective.contributes_to.set(contributes)
    # Its own numbers are the defaults until it has KRs; the aligned KRs above it count it from now on.
    recompute_request(organisation_id=organisation.pk, objective_ids=[objective.pk])
    return objective


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    title: str,
    owner: Membership,
    description: str = "",
    visibility: str,
    state: str,
    parent: Objective | None = None,
    value_dimension: ValueDimension | None = None,
    contributes_to: Iterable[KeyResult] = (),
    stretch: bool = False,
    writer: Viewer | None = None,
) -> Objective:
    """Change an objective. ``writer`` is the person writing (None: the app): the parent and the key
    results it contributes to that they may not see stay as they are (objectives.services.unseen)."""
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    parent = kept_one(
        stored=objective.parent,
        chosen=parent,
        in_view=None if writer is None else visible_objectives(writer),
        field="parent",
        refusal="This objective is aligned to one you cannot see: only someone who sees it may change that.",
    )
    contributes = kept_members(
        stored=objective.contributes_to.all(),
        chosen=contributes_to,
        in_view=None if writer is None else visible_key_results(writer),
        field="contributes_to",
        noun="key results",
    )
    _check_objective(
        organisation=objective.organisation,
        cycle=objective.cycle,
        team=objective.team,
        owner=owner,
        visibility=visibility,
        # An alignment that stays is not judged again (its cycle may have closed since).
        parent=parent if parent is not None and parent.pk != objective.parent_id else None,
        value_dimension=value_dimension,
        contributes_to=contributes,
        objective=objective,
    )
    before = set(objective.contributes_to.values_list("pk", flat=True))
    old_parent_id = objective.parent_id
    closing = state == ObjectiveState.CLOSED and objective.state != ObjectiveState.CLOSED
    objective.title, objective.description, objective.owner = title.strip(), description.strip(), owner
    objective.visibility, objective.state, objective.parent = visibility, state, parent
    objective.value_dimension, objective.stretch = value_dimension, stretch
    objective.save()
    objective.contributes_to.set(contributes)
    if closing:  # none if it is private (checked there)
        objectives_closed_emit(
            organisation_id=objective.organisation_id, objectives=[objective], key_results=objective.key_results.all()
        )
    # Above it, and above where it was: the old parent and the KRs it no longer feeds lose its progress.
    recompute_request(
        organisation_id=objective.organisation_id,
        objective_ids=[objective.pk, *([old_parent_id] if old_parent_id else [])],
        key_result_ids=before - {kr.pk for kr in contributes},
    )
    return objective


# --- Key results -----------------------------------------------------------------------------------


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def check_key_result(
    *,
    kind: str,
    start_value: float | None,
    target_value: float | None,
    current_value: float | None,
    bound: float | None,
    bound_keep: str,
    weight: float,
) -> None:
    """Kind-specific rules of a KR definition, raised per field."""
    errors: dict[str, str] = {}
    if not (_finite(weight) and weight > 0):
        errors["weight"] = "The weight must be a number above 0 (1 is the default)."
    if kind == Kind.METRIC:
        if not _finite(start_value):
            errors["start_value"] = "A metric needs a start value."
        if not _finite(target_value):
            errors["target_value"] = "A metric needs a target value."
        elif _finite(start_value) and start_value == target_value:
            errors["target_value"] = "The target must differ from the start value."
        if current_value is not None and not _finite(current_value):
            errors["current_value"] = "The current value must be a number."
    elif kind == Kind.GUARDRAIL:
        if not _finite(bound):
            errors["bound"] = "A guardrail needs the bound to keep (e.g. 99.95)."
        if bound_keep not in (Bound.STAY_ABOVE, Bound.STAY_BELOW):
            errors["bound_keep"] = "Choose whether to stay above or below the bound."
    elif kind != Kind.MILESTONE:
        errors["kind"] = "Choose metric, guardrail or milestone."
    if errors:
        raise ValidationError(errors)


KR_FIELDS = (
    "title",
    "description",
    "kind",
    "owner",
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
)


def _check_people(organisation_id: int, owner: Membership | None, contributors: Iterable[Membership]) -> None:
    if owner is not None and owner.organisation_id != organisation_id:
        raise ValidationError({"owner": "That person belongs to another organisation."})
    if any(c.organisation_id != organisation_id for c in contributors):
        raise ValidationError({"contributors": "A contributor belongs to another organisation."})


def _check_kfis(organisation_id: int, kfis: Iterable[HealthMetric]) -> None:
    if any(m.organisation_id != organisation_id for m in kfis):
        raise ValidationError({"kfis": "A health metric belongs to another organisation."})


def _apply_definition(kr: KeyResult, fields: dict[str, Any]) -> None:
    """Set the given definition fields on ``kr`` and check them together (raises per field)."""
    unknown = set(fields) - set(KR_FIELDS)
    if unknown:
        raise TypeError(f"unknown key result fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(kr, name, value)
    kr.title = (kr.title or "").strip()
    kr.bound_keep = kr.bound_keep or ""
    if not kr.title:
        raise ValidationError({"title": "Give the key result a title: the outcome you will measure."})
    check_key_result(
        kind=kr.kind,
        start_value=kr.start_value,
        target_value=kr.target_value,
        current_value=kr.current_value,
        bound=kr.bound,
        bound_keep=kr.bound_keep,
        weight=kr.weight,
    )


def _save_with_people(kr: KeyResult, *, contributors: Iterable[Membership], kfis: Iterable[HealthMetric]) -> None:
    """Check the people and KFIs belong to the KR's organisation, then save the KR with them."""
    people, metrics = list(contributors), list(kfis)
    _check_people(kr.organisation_id, kr.owner, people)
    _check_kfis(kr.organisation_id, metrics)
    kr.save()
    kr.contributors.set(people)
    kr.kfis.set(metrics)


def _recomputed(kr: KeyResult, *, today: date) -> KeyResult:
    """The KR's own numbers now (its page shows them at once); its objective and above through the outbox."""
    fresh = recompute_key_result(key_result_id=kr.pk, today=today)
    kr.progress, kr.status, kr.computed_at = fresh.progress, fresh.status, fresh.computed_at
    recompute_request(organisation_id=kr.organisation_id, key_result_ids=[kr.pk])
    return kr


@transaction.atomic
def key_result_create(
    *,
    objective: Objective,
    contributors: Iterable[Membership] = (),
    kfis: Iterable[HealthMetric] = (),
    today: date | None = None,
    **fields: Any,
) -> KeyResult:
    """Add a KR to an objective. ``fields`` are KeyResult definition fields (see KR_FIELDS); a metric
    without a current value starts at its start value."""
    kr = KeyResult(organisation_id=objective.organisation_id, objective=objective)
    _apply_definition(kr, fields)
    if kr.kind == Kind.METRIC and kr.current_value is None:
        kr.current_value = kr.start_value
    kr.position = objective.key_results.count()
    _save_with_people(kr, contributors=contributors, kfis=kfis)
    return _recomputed(kr, today=today or org_today(objective.organisation))


@transaction.atomic
def key_result_update(
    *,
    key_result: KeyResult,
    contributors: Iterable[Membership] | None = None,
    kfis: Iterable[HealthMetric] | None = None,
    today: date | None = None,
    writer: Viewer | None = None,
    **fields: Any,
) -> KeyResult:
    """Change a KR's definition; nothing is saved unless the whole definition is valid. Contributors
    and KFIs left out (None) stay as they are; ``writer`` is the person writing (None: the app), and the
    contributors and KFIs they may not see stay too (objectives.services.unseen)."""
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk)
    before = (kr.kind, kr.bound, kr.bound_keep)
    _apply_definition(kr, fields)
    people = kept_members(
        stored=kr.contributors.all(),
        chosen=kr.contributors.all() if contributors is None else contributors,
        in_view=None if writer is None else people_choices(writer),
        field="contributors",
        noun="people",
    )
    metrics = kept_members(
        stored=kr.kfis.all(),
        chosen=kr.kfis.all() if kfis is None else kfis,
        in_view=None if writer is None else HealthMetric.objects.filter(health_metric_visibility(writer)),
        field="kfis",
        noun="health metrics",
    )
    _save_with_people(kr, contributors=people, kfis=metrics)
    today = today or org_today(kr.organisation)
    if (kr.kind, kr.bound, kr.bound_keep) != before:
        # What the series means changed (a guardrail's bound, the kind): summarise the check-ins again.
        key_result_resummarise(key_result=kr, today=today)
    return _recomputed(kr, today=today)


@transaction.atomic
def key_result_move(*, key_result: KeyResult, objective: Objective) -> KeyResult:
    """Move a KR (with its history) to another objective of the same organisation and cycle."""
    if objective.organisation_id != key_result.organisation_id:
        raise ValidationError({"objective": "That objective belongs to another organisation."})
    if objective.pk == key_result.objective_id:
        raise ValidationError({"objective": "The key result is already in this objective."})
    if objective.cycle.state == CycleState.CLOSED:
        raise ValidationError({"objective": "That objective's cycle is closed."})
    if objective.cycle_id != key_result.objective.cycle_id:
        raise ValidationError({"objective": "A key result moves within its cycle; carry the objective over instead."})
    if objective.contributes_to.filter(pk=key_result.pk).exists():
        raise ValidationError({"objective": "That objective contributes to this key result; it cannot also hold it."})
    old_objective_id = key_result.objective_id
    key_result.objective = objective
    key_result.position = objective.key_results.count()
    key_result.save(update_fields=["objective", "position", "updated_at"])
    recompute_request(
        organisation_id=key_result.organisation_id, key_result_ids=[key_result.pk], objective_ids=[old_objective_id]
    )
    return key_result


@transaction.atomic
def key_result_promote(*, key_result: KeyResult) -> Objective:
    """Turn a KR into an objective aligned to the KR's objective (and contributing to nothing). Its
    title, owner and team carry over; the new objective starts as a draft.

    Nothing anyone wrote about the KR is lost: the KR itself becomes the new objective's first key
    result, with its check-ins, comments, links, KFIs and change history. The old objective stops
    counting it (its progress, status and roll-ups are recomputed without it); the new one counts it."""
    kr = KeyResult.objects.select_for_update().select_related("objective").get(pk=key_result.pk)
    parent = kr.objective
    owner = kr.owner or parent.owner
    objective = Objective.objects.create(
        organisation_id=kr.organisation_id,
        cycle=parent.cycle,
        team=parent.team,
        title=kr.title,
        description=kr.description,
        owner=owner,
        visibility=parent.visibility,
        state=ObjectiveState.DRAFT,
        parent=parent,
        value_dimension=parent.value_dimension,
    )
    kr.objective = objective
    kr.position = 0
    kr.save(update_fields=["objective", "position", "updated_at"])
    key_result.objective, key_result.position = objective, 0
    recompute_request(
        organisation_id=parent.organisation_id, key_result_ids=[kr.pk], objective_ids=[parent.pk, objective.pk]
    )
    return objective


def _carried_start(kr: KeyResult) -> float | None:
    """A carried-over metric starts where the old one stands, unless that is missing or already at or
    past the target (then the old start stays, so the direction cannot flip)."""
    if kr.kind != Kind.METRIC or kr.current_value is None or kr.start_value is None or kr.target_value is None:
        return kr.start_value
    reached = (
        (kr.current_value >= kr.target_value)
        if kr.target_value > kr.start_value
        else (kr.current_value <= kr.target_value)
    )
    return kr.start_value if reached else kr.current_value


@transaction.atomic
def objective_carry_over(*, objective: Objective, to_cycle: Cycle, owner: Membership | None = None) -> Objective:
    """Copy an objective with its KRs' definitions (not their check-ins) into another cycle, as a draft.
    Metric KRs start where the old ones ended."""
    if to_cycle.organisation_id != objective.organisation_id or to_cycle.pk == objective.cycle_id:
        raise ValidationError({"cycle": "Choose another cycle of this organisation."})
    if to_cycle.state == CycleState.CLOSED:
        raise ValidationError({"cycle": "That cycle is closed."})
    copy = Objective.objects.create(
        organisation_id=objective.organisation_id,
        cycle=to_cycle,
        team=objective.team,
        title=objective.title,
        description=objective.description,
        owner=owner or objective.owner,
        visibility=objective.visibility,
        state=ObjectiveState.DRAFT,
        value_dimension=objective.value_dimension,
        carried_over_from=objective,
    )
    for kr in objective.key_results.prefetch_related("contributors", "kfis"):
        start = _carried_start(kr)
        new = KeyResult.objects.create(
            organisation_id=kr.organisation_id,
            objective=copy,
            title=kr.title,
            description=kr.description,
            kind=kr.kind,
            owner=kr.owner,
            weight=kr.weight,
            measure=kr.measure,
            stretch=kr.stretch,
            unit=kr.unit,
            start_value=start,
            target_value=kr.target_value,
            current_value=start,
            bound=kr.bound,
            bound_keep=kr.bound_keep,
            position=kr.position,
            progress_from_aligned=kr.progress_from_aligned,
        )
        new.contributors.set(kr.contributors.all())
        new.kfis.set(kr.kfis.all())
    recompute_request(organisation_id=copy.organisation_id, objective_ids=[copy.pk])
    return copy
