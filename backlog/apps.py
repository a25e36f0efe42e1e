from django.apps import AppConfig


class BacklogConfig(AppConfig):
    """Themes, epics, stories and sprints, linked to key results (depends on objectives)."""

    name = "backlog"
