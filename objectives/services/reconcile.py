"""Reconcile: find every stored value that disagrees with what the pure modules compute, and fix it.

Two layers, in order: a KR's series fields (current value, done, confidence, last check-in, guardrail
share) against its check-ins, then every computed number (KR and objective progress, confidence,
status, health-metric lights) against ``objectives.progress`` through the same engine as the sweep.
Closed cycles are left as they were closed. With ``dry_run`` nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from objectives.models import HealthMetric, KeyResult, Objective
from objectives.services.recompute import Change, load_graph, recompute_graph
from objectives.services.series import SERIES_FIELDS, SeriesSummary, apply_summary, series_history

FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Finding:
    change: Change
    name: str

    def describe(self) -> str:
        c = self.change
        return f"{c.model} {c.pk} «{self.name}»: {c.field} {_show(c.stored)} → {_show(c.computed)}"


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None or value == "":
        return "—"
    return str(value)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= FLOAT_TOLERANCE
    return a == b


def _series_changes(*, dry_run: bool) -> list[Change]:
    """KRs with check-ins whose stored series fields disagree with a fresh summary of them."""
    graph = load_graph(Objective.objects.all(), lock=not dry_run)
    history = series_history(list(graph.key_results.values()), [])
    if history is None:
        return []
    changes: list[Change] = []
    fixed: list[KeyResult] = []
    for kr in graph.key_results.values():
        summary: SeriesSummary = history.summary_as_of(kr, None)
        if summary.last_checkin_at is None and kr.last_checkin_at is None:
            continue  # no check-in at all: the values are as defined
        before = {name: getattr(kr, name) for name in SERIES_FIELDS}
        apply_summary(kr, summary)
        diffs = [name for name in SERIES_FIELDS if not _same(before[name], getattr(kr, name))]
        for name in diffs:
            changes.append(Change("key result", kr.pk, name, before[name], getattr(kr, name)))
        if diffs:
            fixed.append(kr)
    if fixed and not dry_run:
        KeyResult.objects.bulk_update(fixed, list(SERIES_FIELDS))
    return changes


def reconcile(*, dry_run: bool = False, today: date | None = None) -> list[Finding]:
    """Fix (or with ``dry_run`` only list) every disagreeing stored value of the open cycles."""
    with transaction.atomic():
        changes = _series_changes(dry_run=dry_run)
        if dry_run and changes:
            # The numbers follow from the series: compute them from the corrected series, then discard.
            sid = transaction.savepoint()
            _series_changes(dry_run=False)
            changes += recompute_graph(Objective.objects.all(), today=today, relight=True)
            transaction.savepoint_rollback(sid)
        else:
            changes += recompute_graph(Objective.objects.all(), today=today, relight=True, dry_run=dry_run)
    return _named(changes)


def _named(changes: list[Change]) -> list[Finding]:
    ids: dict[str, set[int]] = {}
    for change in changes:
        ids.setdefault(change.model, set()).add(change.pk)
    names: dict[tuple[str, int], str] = {}
    sources = {
        "key result": (KeyResult, "title"),
        "objective": (Objective, "title"),
        "health metric": (HealthMetric, "name"),
    }
    for model_name, pks in ids.items():
        model, field = sources[model_name]
        for pk, name in model.objects.filter(pk__in=pks).values_list("pk", field):  # type: ignore[attr-defined]
            names[(model_name, pk)] = name
    return [Finding(change, names.get((change.model, change.pk), "?")) for change in changes]
