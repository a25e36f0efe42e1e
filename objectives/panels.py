"""Extension points of the objective and key result pages: apps built on objectives (the backlog, the
change history) add a panel with what they know of the object, without objectives importing them. A
provider returns a template name and its context, or None to show nothing. The page has already
checked the viewer may see the object; a provider shows nothing the object's page would not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from objectives.models import KeyResult, Objective
from okrapp.http import Viewer


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]
    at_end: bool = False  # after the page's own sections (the change history), not among them


KEY_RESULT_PANELS: list[Callable[[Viewer, KeyResult], Panel | None]] = []
OBJECTIVE_PANELS: list[Callable[[Viewer, Objective], Panel | None]] = []


def register_key_result_panel(provider: Callable[[Viewer, KeyResult], Panel | None]) -> None:
    if provider not in KEY_RESULT_PANELS:
        KEY_RESULT_PANELS.append(provider)


def key_result_panels(viewer: Viewer, kr: KeyResult) -> list[Panel]:
    return [panel for provider in KEY_RESULT_PANELS if (panel := provider(viewer, kr)) is not None]


def register_objective_panel(provider: Callable[[Viewer, Objective], Panel | None]) -> None:
    if provider not in OBJECTIVE_PANELS:
        OBJECTIVE_PANELS.append(provider)


def objective_panels(viewer: Viewer, objective: Objective) -> list[Panel]:
    return [panel for provider in OBJECTIVE_PANELS if (panel := provider(viewer, objective)) is not None]
