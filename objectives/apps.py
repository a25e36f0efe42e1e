from django.apps import AppConfig


class ObjectivesConfig(AppConfig):
    """Cycles, objectives, key results, health metrics and the numbers (built on okrapp)."""

    name = "objectives"

    def ready(self) -> None:
        from objectives.status import status_facts
        from okrapp.system import register_status_provider

        register_status_provider(status_facts)
