"""What the page frame needs on every page: the viewer and the navigation for their role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from okrapp.models import Notification


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    section: str  # the first path segment it owns, for aria-current

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def navigation_for(viewer: Any) -> list[NavItem]:
    """The main navigation by role. Guests see their own teams only; admins also manage the system."""
    items = [NavItem("Home", "home", "")]
    if viewer is None:
        return items
    items.append(NavItem("My week", "my_week", "my-week"))
    if not viewer.is_guest_only:
        items.append(NavItem("Cascade", "cascade", "cascade"))
    items.append(NavItem("OKRs", "okrs", "okrs"))
    items.append(NavItem("Heatmap", "heatmap", "heatmap"))
    items.append(NavItem("Backlog", "backlog", "backlog"))
    items.append(NavItem("Roadmap", "roadmap", "roadmap"))
    items.append(NavItem("Teams", "team_list", "teams"))
    if viewer.can_browse_directory:
        items.append(NavItem("People", "people_list", "people"))
    items.append(NavItem("Health", "health_metric_list", "health"))
    items.append(NavItem("Value dimensions", "value_dimension_list", "value-dimensions"))
    items.append(NavItem("Cycles", "cycle_list", "cycles"))
    if viewer.is_admin:
        items.append(NavItem("Settings", "organisation_settings", "settings"))
        items.append(NavItem("System status", "system_status", "system"))
    return items


def frame(request: HttpRequest) -> dict[str, Any]:
    viewer = getattr(request, "viewer", None) or None
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"viewer": None, "nav_items": []}
    section = request.path.strip("/").split("/", 1)[0]
    return {
        "viewer": viewer,
        "nav_items": navigation_for(viewer),
        "nav_section": section,
        # Lazy: counted only when the frame renders the bell.
        "unread_notifications": SimpleLazyObject(
            lambda: (
                Notification.objects.filter(recipient_id=viewer.membership.pk, read_at=None).count() if viewer else 0
            )
        ),
    }
