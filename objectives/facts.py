"""Extension point of the key result's API representation: apps built on objectives add what they
know of many KRs at once (checkins: the forecast from the series; backlog: delivery confidence),
without objectives importing them. A provider takes the viewer, the KRs (objective and cycle loaded)
and today, and returns, per KR id, fields to add; a fixed number of queries for any number of KRs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from objectives.models import KeyResult
from okrapp.http import Viewer

Provider = Callable[[Viewer, Sequence[KeyResult], date], dict[int, dict[str, Any]]]
KEY_RESULT_FACTS: list[Provider] = []


def register_key_result_facts(provider: Provider) -> None:
    if provider not in KEY_RESULT_FACTS:
        KEY_RESULT_FACTS.append(provider)


def key_result_facts(viewer: Viewer, key_results: Sequence[KeyResult], today: date) -> dict[int, dict[str, Any]]:
    facts: dict[int, dict[str, Any]] = {kr.pk: {} for kr in key_results}
    for provider in KEY_RESULT_FACTS:
        for pk, extra in provider(viewer, key_results, today).items():
            facts.setdefault(pk, {}).update(extra)
    return facts
