from django.apps import AppConfig


class ObjectivesConfig(AppConfig):
    """Cycles, objectives, key results, health metrics and the numbers (built on okrapp)."""

    name = "objectives"

    def ready(self) -> None:
        from objectives.handover import goal_handover_groups
        from objectives.status import status_facts
        from okrapp.handover import register_handover_provider
        from okrapp.system import register_status_provider

        register_status_provider(status_facts)
        register_handover_provider(goal_handover_groups)
