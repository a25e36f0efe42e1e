"""Extension point of My week (a person's page, served by ``checkins``): apps add a section with what
they hold of the person (the backlog: their open stories) without ``checkins`` importing them. A
provider returns a template name and its context, or None to show nothing; it shows only what the
viewer may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from okrapp.http import Viewer


@dataclass(frozen=True)
class WeekSection:
    template: str
    context: dict[str, Any]


MY_WEEK_SECTIONS: list[Callable[[Viewer], WeekSection | None]] = []


def register_my_week_section(provider: Callable[[Viewer], WeekSection | None]) -> None:
    if provider not in MY_WEEK_SECTIONS:
        MY_WEEK_SECTIONS.append(provider)


def my_week_sections(viewer: Viewer) -> list[WeekSection]:
    return [section for provider in MY_WEEK_SECTIONS if (section := provider(viewer)) is not None]
