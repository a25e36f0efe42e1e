from django.apps import AppConfig


class BacklogConfig(AppConfig):
    """Themes, epics, stories and sprints, linked to key results (depends on objectives)."""

    name = "backlog"

    def ready(self) -> None:
        from backlog import reports  # noqa: F401 - registers the sprint report task (not in tasks.py)
        from backlog.api import delivery_facts
        from backlog.panels import key_result_work_panel
        from backlog.snapshots import coverage_snapshots_take
        from objectives.facts import register_key_result_facts
        from objectives.panels import register_key_result_panel
        from objectives.services.snapshots import register_snapshot_extra

        register_key_result_panel(key_result_work_panel)
        register_snapshot_extra(coverage_snapshots_take)
        register_key_result_facts(delivery_facts)
