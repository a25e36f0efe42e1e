"""The stored numbers: every value comes from ``objectives.progress``.

One engine serves every caller. It loads a *scope* of objectives set-based (a handful of queries,
whatever the number of rows), computes their KRs and roll-ups in memory in dependency order (a KR that
takes its progress from aligned objectives waits for them), and writes back only the rows whose numbers
changed, so running it twice is a no-op. Callers:

- the recompute task (``objectives.services.outbox``): the upward closure of the objectives a write
  touched: that objective, every objective above it and every objective it contributes to;
- the scheduled sweep and ``manage.py reconcile``: every objective of every cycle that is not closed;
- the daily snapshots, which run the same computation as of past days (``engine_compute`` with inputs).

Closed cycles are frozen: their numbers stay as they were when the cycle closed (the record graded
then), so no job rewrites them; an open objective aligned to a closed one reads its stored values.

Concurrency: the scope's objectives and then their KRs are locked ``FOR NO KEY UPDATE`` in primary-key
order, so two recomputes of overlapping scopes take turns instead of overwriting each other with stale
reads. ``NO KEY`` matters: a check-in holds its KR row and, at commit, its foreign-key checks take a key
share of the KR's objective; a plain ``FOR UPDATE`` here would make the two wait on each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from objectives import progress as numbers
from objectives.models import CycleState, HealthMetric, KeyResult, Objective, Visibility
from objectives.progress import Bound, Direction, KeyResultState, KeyResultSummary, Kind, Light, Status
from okrapp.models import Organisation, WebhookEvent
from okrapp.timeutil import org_date, org_today
from okrapp.webhooks import webhook_emit, webhook_emit_many, webhook_listening

# The fields a KR's numbers are computed from, and those they are stored in.
KR_INPUT_FIELDS = (
    "organisation_id",
    "objective_id",
    "kind",
    "weight",
    "start_value",
    "target_value",
    "current_value",
    "bound",
    "bound_keep",
    "done",
    "progress_from_aligned",
    "confidence",
    "last_checkin_at",
    "guardrail_kept",
    "guardrail_total",
)
KR_OUTPUT_FIELDS = ("progress", "status")
OBJECTIVE_OUTPUT_FIELDS = ("progress", "confidence", "status")
FLOAT_TOLERANCE = 1e-9  # stored floats that differ by less are the same number


# --- One row: pure given its inputs ----------------------------------------------------------------


@dataclass(frozen=True)
class Aligned:
    """An objective aligned to a KR (a child of the KR's objective, or a contributor) as the KR sees it."""

    progress: float | None
    status: str


def key_result_numbers(
    kr: KeyResult,
    *,
    cycle_start: date,
    cycle_end: date,
    cycle_active: bool,
    time_zone: str,
    today: date,
    aligned: Iterable[Aligned] = (),
    kfi_red: bool = False,
) -> tuple[float, Status]:
    """A KR's progress in [0, 1] and its status, from its stored inputs (see DESIGN.md, "The numbers")."""
    expected = numbers.expected_progress(start=cycle_start, end=cycle_end, on=today)
    has_checkin = kr.last_checkin_at is not None
    if kr.progress_from_aligned:
        aligned = list(aligned)
        value = numbers.aligned_progress((a.progress, 1.0) for a in aligned)
        kr_progress = value if value is not None else 0.0
        has_checkin = any(a.status != Status.NOT_STARTED for a in aligned)
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
    last = None
    if kr.last_checkin_at is not None:
        last = org_date(Organisation(time_zone=time_zone), kr.last_checkin_at)
    status = numbers.key_result_status(
        KeyResultState(
            kind=Kind(kr.kind),
            has_checkin=has_checkin,
            progress=kr_progress,
            expected=expected,
            confidence=kr.confidence,
            last_checkin=last,
            today=today,
            cycle_active=cycle_active,
            done=kr.done,
            latest_kept=latest_kept,
            aligned=kr.progress_from_aligned,
            kfi_red=kfi_red,
        )
    )
    return kr_progress, status


@dataclass(frozen=True)
class ObjectiveNumbers:
    progress: float | None
    confidence: float | None
    status: Status


def objective_numbers(
    key_results: Iterable[tuple[float, float, Status, float | None]], *, cycle_start: date, cycle_end: date, today: date
) -> ObjectiveNumbers:
    """An objective's numbers from its KRs as (progress, weight, status, confidence)."""
    rows = list(key_results)
    progress = numbers.objective_progress((p, w) for p, w, _, _ in rows)
    summaries = [KeyResultSummary(status=s, weight=w, confidence=c) for _, w, s, c in rows]
    started = [s for s in summaries if s.status != Status.NOT_STARTED]
    confidence = numbers.weighted_mean((s.confidence, s.weight) for s in started)
    expected = numbers.expected_progress(start=cycle_start, end=cycle_end, on=today)
    status = numbers.objective_status(progress=progress, expected=expected, key_results=summaries)
    return ObjectiveNumbers(progress=progress, confidence=confidence, status=status)


def metric_light(metric: HealthMetric, value: float | None) -> str:
    light = numbers.health_light(
        value=value, direction=Direction(metric.direction), green=metric.green_threshold, amber=metric.amber_threshold
    )
    return light.value if light else ""


# --- The graph: a scope loaded set-based -----------------------------------------------------------


@dataclass
class Graph:
    """A scope of objectives with everything their numbers depend on, loaded in a fixed number of queries."""

    objectives: dict[int, Objective]
    key_results: dict[int, KeyResult]
    krs_of: dict[int, list[int]]
    # An aligned KR's inputs: the ids of the (non-private) objectives aligned to it.
    aligned_of: dict[int, list[int]]
    # Objectives read but not recomputed (closed cycles, or outside the scope): stored values.
    outside: dict[int, Aligned]
    kfis_of: dict[int, list[int]]
    metrics: dict[int, HealthMetric]

    @property
    def organisation_ids(self) -> set[int]:
        return {o.organisation_id for o in self.objectives.values()}


def load_graph(objectives: QuerySet[Objective], *, lock: bool, with_metrics: bool = False) -> Graph:
    """Load a scope. ``lock`` takes the rows FOR UPDATE (objectives, then KRs, then metrics, each in
    primary-key order); ``with_metrics`` loads every health metric of the scope's organisations, for a
    job that recomputes lights too. Six queries at most, whatever the size of the scope."""
    objective_rows = objectives.exclude(cycle__state=CycleState.CLOSED).select_related("cycle", "organisation")
    if lock:
        objective_rows = objective_rows.select_for_update(of=("self",), no_key=True)
    by_id = {o.pk: o for o in objective_rows.order_by("pk")}
    kr_rows = KeyResult.objects.filter(objective_id__in=by_id).only(*KR_INPUT_FIELDS, *KR_OUTPUT_FIELDS)
    if lock:
        kr_rows = kr_rows.select_for_update(of=("self",), no_key=True)
    krs = {kr.pk: kr for kr in kr_rows.order_by("pk")}
    krs_of: dict[int, list[int]] = defaultdict(list)
    for kr in krs.values():
        kr.objective = by_id[kr.objective_id]  # the loaded row: a series summary reads its cycle and zone
        krs_of[kr.objective_id].append(kr.pk)

    aligned_krs = {kr.pk: kr for kr in krs.values() if kr.progress_from_aligned}
    aligned_of: dict[int, list[int]] = defaultdict(list)
    outside: dict[int, Aligned] = {}
    if aligned_krs:
        # Private objectives stay out of every stored roll-up, so no total reveals them.
        krs_by_objective = defaultdict(list)
        for kr in aligned_krs.values():
            krs_by_objective[kr.objective_id].append(kr.pk)
        children = (
            Objective.objects.filter(parent_id__in=krs_by_objective)
            .exclude(visibility=Visibility.PRIVATE)
            .values_list("pk", "parent_id", "progress", "status")
        )
        for pk, parent_id, progress, status in children:
            for kr_id in krs_by_objective[parent_id]:
                aligned_of[kr_id].append(pk)
            outside[pk] = Aligned(progress, status)
        contributions = (
            Objective.contributes_to.through.objects.filter(keyresult_id__in=aligned_krs)
            .exclude(objective__visibility=Visibility.PRIVATE)
            .values_list("keyresult_id", "objective_id", "objective__progress", "objective__status")
        )
        for kr_id, pk, progress, status in contributions:
            if pk not in aligned_of[kr_id]:
                aligned_of[kr_id].append(pk)
            outside[pk] = Aligned(progress, status)

    kfis_of: dict[int, list[int]] = defaultdict(list)
    metrics: dict[int, HealthMetric] = {}
    links = KeyResult.kfis.through.objects.filter(keyresult_id__in=krs).values_list("keyresult_id", "healthmetric_id")
    for kr_id, metric_id in links:
        kfis_of[kr_id].append(metric_id)
    metric_ids = {m for ids in kfis_of.values() for m in ids}
    if metric_ids or with_metrics:
        metric_filter = Q(pk__in=metric_ids)
        if with_metrics:
            metric_filter |= Q(organisation_id__in={o.organisation_id for o in by_id.values()})
        metric_rows = HealthMetric.objects.filter(metric_filter).only(
            "organisation_id", "direction", "green_threshold", "amber_threshold", "latest_value", "light"
        )
        if lock and with_metrics:
            metric_rows = metric_rows.select_for_update(of=("self",), no_key=True)
        metrics = {m.pk: m for m in metric_rows.order_by("pk")}
    return Graph(by_id, krs, dict(krs_of), dict(aligned_of), outside, dict(kfis_of), metrics)


# --- Computing a graph -----------------------------------------------------------------------------


@dataclass
class Computed:
    """The numbers of a graph: per KR (progress, status), per objective, per metric light."""

    key_results: dict[int, tuple[float, Status]] = field(default_factory=dict)
    objectives: dict[int, ObjectiveNumbers] = field(default_factory=dict)
    lights: dict[int, str] = field(default_factory=dict)


def engine_compute(
    graph: Graph,
    *,
    today_of: Mapping[int, date],
    key_results: Mapping[int, KeyResult] | None = None,
    latest_readings: Mapping[int, float | None] | None = None,
    relight: bool = False,
) -> Computed:
    """Compute every number of ``graph`` in dependency order, in memory.

    ``today_of`` maps organisation ids to their today. ``key_results`` replaces the KRs' stored inputs
    (a snapshot as of a past day); ``latest_readings`` the metrics' latest values. Lights are recomputed
    when ``relight`` or readings are given; otherwise a metric's stored light is used.
    """
    krs = key_results if key_results is not None else graph.key_results
    out = Computed()
    for metric in graph.metrics.values():
        if latest_readings is not None:
            out.lights[metric.pk] = metric_light(metric, latest_readings.get(metric.pk))
        elif relight:
            out.lights[metric.pk] = metric_light(metric, metric.latest_value)
        else:
            out.lights[metric.pk] = metric.light
    in_progress: set[int] = set()

    def objective_value(objective_id: int) -> Aligned:
        if objective_id not in graph.objectives:
            return graph.outside[objective_id]
        if objective_id not in out.objectives:
            if objective_id in in_progress:  # an alignment loop: read the stored value, don't recurse
                stored = graph.objectives[objective_id]
                return Aligned(stored.progress, stored.status)
            in_progress.add(objective_id)
            compute_objective(objective_id)
        computed = out.objectives[objective_id]
        return Aligned(computed.progress, computed.status)

    def compute_key_result(kr: KeyResult, objective: Objective) -> tuple[float, Status]:
        cycle = objective.cycle
        aligned = [objective_value(o) for o in graph.aligned_of.get(kr.pk, [])] if kr.progress_from_aligned else []
        kfi_red = any(out.lights.get(m) == Light.RED for m in graph.kfis_of.get(kr.pk, []))
        return key_result_numbers(
            kr,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            cycle_active=cycle.state == CycleState.ACTIVE,
            time_zone=objective.organisation.time_zone,
            today=today_of[objective.organisation_id],
            aligned=aligned,
            kfi_red=kfi_red,
        )

    def compute_objective(objective_id: int) -> None:
        objective = graph.objectives[objective_id]
        rows = []
        for kr_id in graph.krs_of.get(objective_id, []):
            kr = krs[kr_id]
            out.key_results[kr_id] = compute_key_result(kr, objective)
            progress, status = out.key_results[kr_id]
            rows.append((progress, kr.weight, status, kr.confidence))
        cycle = objective.cycle
        out.objectives[objective_id] = objective_numbers(
            rows, cycle_start=cycle.start_date, cycle_end=cycle.end_date, today=today_of[objective.organisation_id]
        )

    for objective_id in graph.objectives:
        objective_value(objective_id)
    return out


# --- Differences and writes ------------------------------------------------------------------------


def _differs(stored: float | str | None, computed: float | str | None) -> bool:
    if isinstance(stored, float) and isinstance(computed, float):
        return abs(stored - computed) > FLOAT_TOLERANCE
    return stored != computed


@dataclass(frozen=True)
class Change:
    """One stored value that disagrees with the computation."""

    model: str
    pk: int
    field: str
    stored: float | str | None
    computed: float | str | None


def engine_differences(graph: Graph, computed: Computed) -> list[Change]:
    changes: list[Change] = []
    for kr_id, (progress, status) in computed.key_results.items():
        kr = graph.key_results[kr_id]
        kr_values: tuple[tuple[str, float | str | None], ...] = (("progress", progress), ("status", status.value))
        for name, value in kr_values:
            if _differs(getattr(kr, name), value):
                changes.append(Change("key result", kr_id, name, getattr(kr, name), value))
    for objective_id, result in computed.objectives.items():
        objective = graph.objectives[objective_id]
        values: tuple[tuple[str, float | str | None], ...] = (
            ("progress", result.progress),
            ("confidence", result.confidence),
            ("status", result.status.value),
        )
        for name, value in values:
            if _differs(getattr(objective, name), value):
                changes.append(Change("objective", objective_id, name, getattr(objective, name), value))
    for metric_id, light in computed.lights.items():
        if graph.metrics[metric_id].light != light:
            changes.append(Change("health metric", metric_id, "light", graph.metrics[metric_id].light, light))
    return changes


def engine_store(graph: Graph, changes: Iterable[Change]) -> None:
    """Write the changed values back: one UPDATE per model, and only rows that changed."""
    changes = list(changes)
    now = timezone.now()
    rows: dict[str, dict[int, Objective | KeyResult | HealthMetric]] = defaultdict(dict)
    sources: dict[str, Mapping[int, Objective | KeyResult | HealthMetric]] = {
        "key result": graph.key_results,
        "objective": graph.objectives,
        "health metric": graph.metrics,
    }
    for change in changes:
        row = sources[change.model][change.pk]
        setattr(row, change.field, change.computed)
        rows[change.model][change.pk] = row
    if rows["key result"]:
        for kr in rows["key result"].values():
            kr.computed_at = now  # type: ignore[union-attr]
        KeyResult.objects.bulk_update(rows["key result"].values(), [*KR_OUTPUT_FIELDS, "computed_at"])  # type: ignore[arg-type]
    if rows["objective"]:
        for objective in rows["objective"].values():
            objective.computed_at = now  # type: ignore[union-attr]
        Objective.objects.bulk_update(rows["objective"].values(), [*OBJECTIVE_OUTPUT_FIELDS, "computed_at"])  # type: ignore[arg-type]
    if rows["health metric"]:
        HealthMetric.objects.bulk_update(rows["health metric"].values(), ["light"])  # type: ignore[arg-type]
    _emit_status_changes(graph, changes)


def _emit_status_changes(graph: Graph, changes: Iterable[Change]) -> None:
    """The "key result status changed" webhook event for every KR whose stored status changed, none of a
    private objective. No query unless some changed; one more unless nobody listens."""
    changed = [
        c
        for c in changes
        if c.model == "key result"
        and c.field == "status"
        and graph.key_results[c.pk].objective.visibility != Visibility.PRIVATE
    ]
    organisation_ids = {graph.key_results[c.pk].organisation_id for c in changed}
    listening = webhook_listening(organisation_ids=organisation_ids, event=WebhookEvent.KEY_RESULT_STATUS_CHANGED)
    if not listening:
        return
    changed = [c for c in changed if graph.key_results[c.pk].organisation_id in listening]
    titles = dict(KeyResult.objects.filter(pk__in={c.pk for c in changed}).values_list("pk", "title"))  # deferred
    items: dict[int, list[dict[str, object]]] = defaultdict(list)
    for c in changed:
        kr = graph.key_results[c.pk]
        items[kr.organisation_id].append(_status_change_data(kr, titles[c.pk], c.stored, c.computed))
    for organisation_id, data in items.items():
        webhook_emit_many(organisation_id=organisation_id, event=WebhookEvent.KEY_RESULT_STATUS_CHANGED, items=data)


def _status_change_data(kr: KeyResult, title: str, old: object, new: object) -> dict[str, object]:
    return {
        "key_result": {"id": kr.pk, "title": title},
        "objective": {"id": kr.objective_id, "title": kr.objective.title},
        "old_status": old,
        "new_status": new,
    }


def todays(organisation_ids: Iterable[int], today: date | None) -> dict[int, date]:
    """Each organisation's today (in its time zone), or the given day for all."""
    ids = set(organisation_ids)
    if today is not None:
        return dict.fromkeys(ids, today)
    return {org.pk: org_today(org) for org in Organisation.objects.filter(pk__in=ids).only("time_zone")}


def recompute_graph(
    objectives: QuerySet[Objective], *, today: date | None = None, relight: bool = False, dry_run: bool = False
) -> list[Change]:
    """Lock, load, compute and store a scope; returns what changed (or would, with ``dry_run``)."""
    with transaction.atomic():
        graph = load_graph(objectives, lock=not dry_run, with_metrics=relight)
        today_of = todays(graph.organisation_ids | {m.organisation_id for m in graph.metrics.values()}, today)
        changes = engine_differences(graph, engine_compute(graph, today_of=today_of, relight=relight))
        if not dry_run:
            engine_store(graph, changes)
    return changes


# --- Scopes ----------------------------------------------------------------------------------------


def upward_closure(objective_ids: Iterable[int]) -> set[int]:
    """The objectives whose numbers depend on these: themselves, the objectives of the aligned KRs they
    feed (their parent's, and those they contribute to), and so on up. One query per level."""
    seen: set[int] = set()
    frontier = set(objective_ids)
    while frontier:
        seen |= frontier
        fed = (
            KeyResult.objects.filter(progress_from_aligned=True)
            .filter(Q(objective__children__in=frontier) | Q(contributing_objectives__in=frontier))
            .values_list("objective_id", flat=True)
            .distinct()
        )
        frontier = set(fed) - seen
    return seen


def recompute_objectives(*, objective_ids: Iterable[int], today: date | None = None) -> list[Change]:
    """Recompute these objectives and everything above them (their KRs included)."""
    scope = upward_closure(objective_ids)
    if not scope:
        return []
    return recompute_graph(Objective.objects.filter(pk__in=scope), today=today)


def recompute_key_result(*, key_result_id: int, today: date) -> KeyResult:
    """Recompute one KR's own numbers in the caller's transaction (the KR row is locked by the caller),
    so the page that saved it shows them at once; the roll-ups above follow through the outbox."""
    kr = KeyResult.objects.select_related("objective__cycle", "organisation").get(pk=key_result_id)
    old_status = kr.status
    aligned: list[Aligned] = []
    if kr.progress_from_aligned:
        aligned = [
            Aligned(progress, status)
            for progress, status in Objective.objects.filter(Q(contributes_to=kr) | Q(parent_id=kr.objective_id))
            .exclude(visibility=Visibility.PRIVATE)
            .distinct()
            .values_list("progress", "status")
        ]
    cycle = kr.objective.cycle
    kr.progress, status = key_result_numbers(
        kr,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
        cycle_active=cycle.state == CycleState.ACTIVE,
        time_zone=kr.organisation.time_zone,
        today=today,
        aligned=aligned,
        kfi_red=kr.kfis.filter(light=Light.RED).exists(),
    )
    kr.status = status.value
    kr.computed_at = timezone.now()
    kr.save(update_fields=["progress", "status", "computed_at"])
    if kr.status != old_status and kr.objective.visibility != Visibility.PRIVATE:
        webhook_emit(
            organisation_id=kr.organisation_id,
            event=WebhookEvent.KEY_RESULT_STATUS_CHANGED,
            data=_status_change_data(kr, kr.title, old_status, kr.status),
        )
    return kr
