"""Extension point of the epic page: apps built on the backlog (comments) add a panel there without
the backlog importing them. A provider returns a Panel (objectives.panels) or None; the page has
already checked the viewer may see the epic."""

from __future__ import annotations

from collections.abc import Callable

from backlog.models import Epic
from objectives.panels import Panel
from okrapp.http import Viewer

EPIC_PANELS: list[Callable[[Viewer, Epic], Panel | None]] = []


def register_epic_panel(provider: Callable[[Viewer, Epic], Panel | None]) -> None:
    if provider not in EPIC_PANELS:
        EPIC_PANELS.append(provider)


def epic_panels(viewer: Viewer, epic: Epic) -> list[Panel]:
    return [panel for provider in EPIC_PANELS if (panel := provider(viewer, epic)) is not None]
