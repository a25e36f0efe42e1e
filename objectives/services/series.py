"""The hand-over from check-ins: a KR's series summary becomes its state, then its numbers.

``checkins`` owns the series and calls ``key_result_apply_series`` in the same transaction as the
write; ``objectives`` owns what the summary means (current value, confidence, guardrail share).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from objectives.models import KeyResult
from objectives.progress import Kind
from objectives.services.recompute import recompute_key_result_chain


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


# Who can summarise a KR's series again. checkins registers itself here when the app is ready, so that
# objectives can ask for a fresh summary (e.g. after a guardrail's bound changed) without importing it.
SERIES_PROVIDERS: list[Callable[[KeyResult], SeriesSummary]] = []


def register_series_provider(provider: Callable[[KeyResult], SeriesSummary]) -> None:
    if provider not in SERIES_PROVIDERS:
        SERIES_PROVIDERS.append(provider)


def key_result_resummarise(*, key_result: KeyResult, today: date) -> None:
    """Apply a fresh summary of the KR's series, when a provider is registered."""
    for provider in SERIES_PROVIDERS:
        key_result_apply_series(key_result_id=key_result.pk, summary=provider(key_result), today=today)


def key_result_apply_series(*, key_result_id: int, summary: SeriesSummary, today: date) -> KeyResult:
    """Store the summary on the KR (locked by the caller's transaction) and recompute up the cascade."""
    kr = KeyResult.objects.select_for_update().get(pk=key_result_id)
    if kr.kind == Kind.MILESTONE:
        kr.done = bool(summary.latest_done)
    elif summary.latest_value is not None:
        kr.current_value = summary.latest_value
    elif kr.kind == Kind.METRIC:
        kr.current_value = kr.start_value  # every check-in removed: back to the start
    kr.confidence = summary.confidence
    kr.last_checkin_at = summary.last_checkin_at
    kr.guardrail_kept, kr.guardrail_total = summary.guardrail_kept, summary.guardrail_total
    kr.save(
        update_fields=[
            "done",
            "current_value",
            "confidence",
            "last_checkin_at",
            "guardrail_kept",
            "guardrail_total",
            "updated_at",
        ]
    )
    recompute_key_result_chain(key_result_id=kr.pk, today=today)
    kr.refresh_from_db()
    return kr
