"""Extension point of the key result page: apps built on objectives (the backlog) add a panel with
what they know of a KR, without objectives importing them. A provider returns a template name and its
context, or None to show nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from objectives.models import KeyResult
from okrapp.http import Viewer


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]


KEY_RESULT_PANELS: list[Callable[[Viewer, KeyResult], Panel | None]] = []


def register_key_result_panel(provider: Callable[[Viewer, KeyResult], Panel | None]) -> None:
    if provider not in KEY_RESULT_PANELS:
        KEY_RESULT_PANELS.append(provider)


def key_result_panels(viewer: Viewer, kr: KeyResult) -> list[Panel]:
    return [panel for provider in KEY_RESULT_PANELS if (panel := provider(viewer, kr)) is not None]
