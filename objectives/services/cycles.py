"""Cycles, their close with grades, and value dimensions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from objectives import progress as numbers
from objectives.models import (
    Cycle,
    CycleState,
    KeyResult,
    Objective,
    ObjectiveState,
    ValueDimension,
    Visibility,
)
from okrapp.models import Organisation, WebhookEvent
from okrapp.parsing import MAX_CYCLE_DAYS, BadInput, check_date
from okrapp.webhooks import webhook_emit_many, webhook_listening

# --- Cycles ----------------------------------------------------------------------------------------


def _check_cycle(
    *, organisation: Organisation, name: str, start: date, end: date, parent: Cycle | None, cycle: Cycle | None = None
) -> None:
    errors: dict[str, str] = {}
    for field, day in (("start_date", start), ("end_date", end)):
        try:
            check_date(day, field=field)
        except BadInput as exc:
            errors[field] = exc.message
    if end <= start:
        errors["end_date"] = "The cycle must end after it starts."
    elif (end - start).days + 1 > MAX_CYCLE_DAYS:
        # Every page that draws a cycle week by week (heatmap, KR charts) grows with its length.
        errors["end_date"] = "A cycle lasts at most two years: split a longer period into several cycles."
    clash = Cycle.objects.filter(organisation=organisation, name__iexact=name.strip())
    if cycle is not None:
        clash = clash.exclude(pk=cycle.pk)
    if clash.exists():
        errors["name"] = "A cycle with this name already exists."
    if parent is not None:
        if parent.organisation_id != organisation.pk:
            errors["parent"] = "That cycle belongs to another organisation."
        elif cycle is not None and parent.pk == cycle.pk:
            errors["parent"] = "A cycle cannot sit inside itself."
        elif not (parent.start_date <= start and end <= parent.end_date):
            errors["parent"] = (
                f"The dates must lie inside {parent.name} ({parent.start_date:%-d %b} – {parent.end_date:%-d %b %Y})."
            )
    if errors:
        raise ValidationError(errors)


def cycle_create(
    *, organisation: Organisation, name: str, kind: str, start_date: date, end_date: date, parent: Cycle | None = None
) -> Cycle:
    _check_cycle(organisation=organisation, name=name, start=start_date, end=end_date, parent=parent)
    return Cycle.objects.create(
        organisation=organisation, name=name.strip(), kind=kind, start_date=start_date, end_date=end_date, parent=parent
    )


def cycle_update(
    *, cycle: Cycle, name: str, kind: str, start_date: date, end_date: date, parent: Cycle | None = None
) -> Cycle:
    if cycle.state == CycleState.CLOSED:
        raise ValidationError("A closed cycle cannot be changed.")
    _check_cycle(organisation=cycle.organisation, name=name, start=start_date, end=end_date, parent=parent, cycle=cycle)
    cycle.name, cycle.kind, cycle.start_date, cycle.end_date, cycle.parent = (
        name.strip(),
        kind,
        start_date,
        end_date,
        parent,
    )
    cycle.save(update_fields=["name", "kind", "start_date", "end_date", "parent"])
    return cycle


def cycle_activate(*, cycle: Cycle) -> Cycle:
    if cycle.state != CycleState.PLANNING:
        raise ValidationError("Only a cycle in planning can be started.")
    cycle.state = CycleState.ACTIVE
    cycle.save(update_fields=["state"])
    return cycle


@transaction.atomic
def cycle_close(*, cycle: Cycle, grades: dict[int, tuple[float, str]] | None = None) -> Cycle:
    """Close a cycle: every KR of it gets a grade (its progress unless given, with a reason), every
    objective is closed. ``grades`` maps KR ids to (grade, reason)."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state == CycleState.CLOSED:
        raise ValidationError("This cycle is closed already.")
    grades = grades or {}
    key_results = list(KeyResult.objects.filter(objective__cycle=cycle))
    for kr in key_results:
        if kr.pk in grades:
            grade, reason = grades[kr.pk]
            _check_grade(grade, reason, default=numbers.default_grade(kr.progress))
            kr.grade, kr.grade_reason = grade, reason.strip()
        else:
            kr.grade, kr.grade_reason = numbers.default_grade(kr.progress), ""
    KeyResult.objects.bulk_update(key_results, ["grade", "grade_reason"])
    objectives_closed_emit(
        organisation_id=cycle.organisation_id,
        objectives=Objective.objects.filter(cycle=cycle).exclude(state=ObjectiveState.CLOSED),
        key_results=key_results,
    )
    Objective.objects.filter(cycle=cycle).update(state=ObjectiveState.CLOSED)
    cycle.state = CycleState.CLOSED
    cycle.save(update_fields=["state"])
    return cycle


def objectives_closed_emit(
    *, organisation_id: int, objectives: Iterable[Objective], key_results: Iterable[KeyResult]
) -> None:
    """The "objective closed" webhook event for each of these objectives that is not private, with its
    key results (and their grades, once the cycle closed). Nothing is loaded unless someone listens."""
    if not webhook_listening(organisation_ids=[organisation_id], event=WebhookEvent.OBJECTIVE_CLOSED):
        return
    closed = [o for o in objectives if o.visibility != Visibility.PRIVATE]
    if not closed:
        return
    cycle_names = dict(Cycle.objects.filter(pk__in={o.cycle_id for o in closed}).values_list("pk", "name"))
    krs_of: dict[int, list[dict[str, object]]] = defaultdict(list)
    for kr in key_results:
        krs_of[kr.objective_id].append({"id": kr.pk, "title": kr.title, "grade": kr.grade})
    items = [
        {
            "objective": {"id": o.pk, "title": o.title},
            "cycle": {"id": o.cycle_id, "name": cycle_names.get(o.cycle_id, "")},
            "team": o.team_id,
            "progress": o.progress,
            "status": o.status,
            "key_results": krs_of.get(o.pk, []),
        }
        for o in closed
    ]
    webhook_emit_many(organisation_id=organisation_id, event=WebhookEvent.OBJECTIVE_CLOSED, items=items)


def _check_grade(grade: float, reason: str, *, default: float) -> None:
    try:
        numbers.check_grade(grade)
    except ValueError as exc:
        raise ValidationError({"grade": str(exc)}) from None
    if abs(grade - default) > 1e-9 and not reason.strip():
        raise ValidationError({"grade_reason": "Say why the grade differs from the progress."})


def key_result_grade(*, key_result: KeyResult, grade: float, reason: str) -> KeyResult:
    """Change a KR's grade after its cycle closed; a grade other than its progress needs a reason."""
    if key_result.objective.cycle.state != CycleState.CLOSED:
        raise ValidationError({"grade": "Grades are given when the cycle closes."})
    _check_grade(grade, reason, default=numbers.default_grade(key_result.progress))
    key_result.grade, key_result.grade_reason = grade, reason.strip()
    key_result.save(update_fields=["grade", "grade_reason"])
    return key_result


# --- Value dimensions ------------------------------------------------------------------------------


def value_dimension_save(
    *, organisation: Organisation, name: str, description: str = "", dimension: ValueDimension | None = None
) -> ValueDimension:
    name = name.strip()
    clash = ValueDimension.objects.filter(organisation=organisation, name__iexact=name)
    if dimension is not None:
        clash = clash.exclude(pk=dimension.pk)
    if clash.exists():
        raise ValidationError({"name": "A value dimension with this name already exists."})
    if dimension is None:
        position = ValueDimension.objects.filter(organisation=organisation).count()
        return ValueDimension.objects.create(
            organisation=organisation, name=name, description=description.strip(), position=position
        )
    dimension.name, dimension.description = name, description.strip()
    dimension.save(update_fields=["name", "description"])
    return dimension
