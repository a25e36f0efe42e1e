"""The stored numbers: every value comes from objectives.progress; chains run up the cascade."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from objectives import progress as numbers
from objectives.models import (
    CycleState,
    KeyResult,
    Objective,
    Visibility,
)
from objectives.progress import Bound, KeyResultState, KeyResultSummary, Kind, Light, Status
from okrapp.timeutil import org_date

# --- Recompute: the stored numbers -----------------------------------------------------------------


def _key_result_numbers(kr: KeyResult, *, today: date) -> tuple[float, Status]:
    cycle = kr.objective.cycle
    expected = numbers.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today)
    has_checkin = kr.last_checkin_at is not None
    if kr.progress_from_aligned:
        # The objectives aligned to it: its objective's children and the objectives contributing to it.
        # Private ones stay out of every stored roll-up, so no total reveals them.
        aligned_objectives = list(
            Objective.objects.filter(Q(contributes_to=kr) | Q(parent_id=kr.objective_id))
            .exclude(visibility=Visibility.PRIVATE)
            .distinct()
            .only("progress", "status")
        )
        value = numbers.aligned_progress((o.progress, 1.0) for o in aligned_objectives)
        kr_progress = value if value is not None else 0.0
        has_checkin = any(o.status != Status.NOT_STARTED for o in aligned_objectives)
    elif kr.kind == Kind.METRIC:
        kr_progress = numbers.metric_progress(
            # A metric's start and target are required and differ (checked when it is defined).
            start=kr.start_value if kr.start_value is not None else 0.0,
            target=kr.target_value if kr.target_value is not None else 1.0,
            current=kr.current_value,
        )
    elif kr.kind == Kind.GUARDRAIL:
        kr_progress = numbers.guardrail_progress(kept=kr.guardrail_kept, total=kr.guardrail_total)
    else:
        kr_progress = numbers.milestone_progress(done=kr.done)
    latest_kept = None
    if kr.kind == Kind.GUARDRAIL and kr.current_value is not None and kr.bound is not None and kr.bound_keep:
        latest_kept = numbers.guardrail_keeps(kr.current_value, bound=kr.bound, keep=Bound(kr.bound_keep))
    last = org_date(kr.organisation, kr.last_checkin_at) if kr.last_checkin_at else None
    status = numbers.key_result_status(
        KeyResultState(
            kind=Kind(kr.kind),
            has_checkin=has_checkin,
            progress=kr_progress,
            expected=expected,
            confidence=kr.confidence,
            last_checkin=last,
            today=today,
            cycle_active=cycle.state == CycleState.ACTIVE,
            done=kr.done,
            latest_kept=latest_kept,
            aligned=kr.progress_from_aligned,
            kfi_red=kr.kfis.filter(light=Light.RED).exists(),
        )
    )
    return kr_progress, status


def recompute_key_result(*, key_result_id: int, today: date) -> KeyResult:
    kr = KeyResult.objects.select_related("objective__cycle", "organisation").get(pk=key_result_id)
    kr.progress, status = _key_result_numbers(kr, today=today)
    kr.status = status.value
    kr.computed_at = timezone.now()
    kr.save(update_fields=["progress", "status", "computed_at"])
    return kr


def recompute_objective(*, objective_id: int, today: date) -> Objective:
    objective = Objective.objects.select_related("cycle").get(pk=objective_id)
    krs = list(objective.key_results.only("progress", "weight", "status", "confidence"))
    objective.progress = numbers.objective_progress((kr.progress, kr.weight) for kr in krs)
    summaries = [KeyResultSummary(status=Status(kr.status), weight=kr.weight, confidence=kr.confidence) for kr in krs]
    started = [s for s in summaries if s.status != Status.NOT_STARTED]
    objective.confidence = numbers.weighted_mean((s.confidence, s.weight) for s in started)
    cycle = objective.cycle
    expected = numbers.expected_progress(start=cycle.start_date, end=cycle.end_date, on=today)
    objective.status = numbers.objective_status(progress=objective.progress, expected=expected, key_results=summaries)
    objective.computed_at = timezone.now()
    objective.save(update_fields=["progress", "confidence", "status", "computed_at"])
    return objective


def recompute_objective_chain(*, objective_id: int, today: date) -> None:
    """Recompute an objective, then every aligned KR it feeds and their objectives, up the cascade."""
    seen: set[int] = set()
    queue = [objective_id]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        recompute_objective(objective_id=current, today=today)
        parent_id = Objective.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        fed = KeyResult.objects.filter(progress_from_aligned=True).filter(
            Q(contributing_objectives=current) | Q(objective_id=parent_id)
        )
        for kr_id, parent_objective_id in fed.distinct().values_list("pk", "objective_id"):
            recompute_key_result(key_result_id=kr_id, today=today)
            queue.append(parent_objective_id)


def recompute_key_result_chain(*, key_result_id: int, today: date) -> None:
    kr = recompute_key_result(key_result_id=key_result_id, today=today)
    recompute_objective_chain(objective_id=kr.objective_id, today=today)
