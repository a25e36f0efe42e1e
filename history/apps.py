from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """Change history (pghistory triggers) and its panels on the objective and key result pages.
    Built on objectives, backlog and checkins; nothing imports it."""

    name = "history"
    verbose_name = "Change history"

    def ready(self) -> None:
        from history.editors import last_editor
        from history.panels import key_result_history_panel, objective_history_panel
        from objectives.panels import register_key_result_panel, register_objective_panel
        from okrapp.versioning import register_editor_provider

        register_objective_panel(objective_history_panel)
        register_key_result_panel(key_result_history_panel)
        register_editor_provider(last_editor)
