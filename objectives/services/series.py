"""The hand-over from check-ins: a KR's series summary becomes its state, then its numbers.

``checkins`` owns the series and calls ``key_result_apply_series`` in the same transaction as the
write; ``objectives`` owns what the summary means (current value, confidence, guardrail share).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from objectives.models import KeyResult
from objectives.progress import Kind
from objectives.services.outbox import recompute_request
from objectives.services.recompute import recompute_key_result


@dataclass(frozen=True)
class SeriesSummary:
    """What a KR's check-ins say: the latest one's value (or done) and confidence, when it was made,
    and for a guardrail how many of the cycle's check-ins kept the bound."""

    latest_value: float | None
    latest_done: bool | None
    confidence: float | None
    last_checkin_at: datetime | None
    guardrail_kept: int = 0
    guardrail_total: int = 0


class SeriesHistory(Protocol):
    """The series loaded once for many KRs and metrics, answering "as of the end of this day"."""

    def summary_as_of(self, key_result: KeyResult, day: date | None) -> SeriesSummary:
        """The KR's summary counting its check-ins of weeks that began by ``day`` (None: all of them)."""
        ...

    def reading_as_of(self, metric_id: int, day: date) -> float | None:
        """The metric's latest reading taken on or before ``day``."""
        ...


# Who can summarise a KR's series. checkins registers itself here when the app is ready, so that
# objectives can ask for a fresh summary (after a guardrail's bound changed, for a snapshot of a past
# day, or to reconcile) without importing it.
SERIES_PROVIDERS: list[Callable[[KeyResult], SeriesSummary]] = []
HISTORY_PROVIDERS: list[Callable[[Sequence[KeyResult], Sequence[int]], SeriesHistory]] = []


def register_series_provider(
    provider: Callable[[KeyResult], SeriesSummary],
    history: Callable[[Sequence[KeyResult], Sequence[int]], SeriesHistory],
) -> None:
    if provider not in SERIES_PROVIDERS:
        SERIES_PROVIDERS.append(provider)
    if history not in HISTORY_PROVIDERS:
        HISTORY_PROVIDERS.append(history)


def series_history(key_results: Sequence[KeyResult], metric_ids: Sequence[int]) -> SeriesHistory | None:
    """The registered history for these KRs and metrics (None when no series app is installed)."""
    for provider in HISTORY_PROVIDERS:
        return provider(key_results, metric_ids)
    return None


def key_result_resummarise(*, key_result: KeyResult, today: date) -> None:
    """Apply a fresh summary of the KR's series, when a provider is registered."""
    for provider in SERIES_PROVIDERS:
        key_result_apply_series(key_result_id=key_result.pk, summary=provider(key_result), today=today)


SERIES_FIELDS = ("done", "current_value", "confidence", "last_checkin_at", "guardrail_kept", "guardrail_total")


def apply_summary(kr: KeyResult, summary: SeriesSummary) -> None:
    """Set a KR's series fields from a summary (in memory; the caller saves or only computes)."""
    if kr.kind == Kind.MILESTONE:
        kr.done = bool(summary.latest_done)
    elif summary.latest_value is not None:
        kr.current_value = summary.latest_value
    elif kr.kind == Kind.METRIC:
        kr.current_value = kr.start_value  # no check-in (yet, or any more): back to the start
    kr.confidence = summary.confidence
    kr.last_checkin_at = summary.last_checkin_at
    kr.guardrail_kept, kr.guardrail_total = summary.guardrail_kept, summary.guardrail_total


def key_result_apply_series(*, key_result_id: int, summary: SeriesSummary, today: date) -> KeyResult:
    """Store the summary on the KR (locked by the caller's transaction), recompute its own numbers at
    once and ask for the roll-ups above it through the outbox."""
    kr = KeyResult.objects.select_for_update().get(pk=key_result_id)
    apply_summary(kr, summary)
    kr.save(update_fields=[*SERIES_FIELDS, "updated_at"])
    kr = recompute_key_result(key_result_id=kr.pk, today=today)
    recompute_request(organisation_id=kr.organisation_id, key_result_ids=[kr.pk])
    return kr
