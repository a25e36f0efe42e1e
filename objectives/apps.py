from django.apps import AppConfig


class ObjectivesConfig(AppConfig):
    """Cycles, objectives, key results, health metrics and the numbers (built on okrapp)."""

    name = "objectives"
