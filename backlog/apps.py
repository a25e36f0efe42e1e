from django.apps import AppConfig


class BacklogConfig(AppConfig):
    """Themes, epics, stories and sprints, linked to key results (depends on objectives)."""

    name = "backlog"

    def ready(self) -> None:
        from backlog import reports  # noqa: F401 - registers the sprint report task (not in tasks.py)
        from backlog.api import delivery_facts
        from backlog.assignees import my_stories_section
        from backlog.handover import work_handover_groups
        from backlog.panels import key_result_work_panel
        from backlog.snapshots import coverage_snapshots_take
        from objectives.facts import register_key_result_facts
        from objectives.panels import register_key_result_panel
        from objectives.services.snapshots import register_snapshot_extra
        from okrapp.handover import register_handover_provider
        from okrapp.my_week import register_my_week_section

        register_key_result_panel(key_result_work_panel)
        register_my_week_section(my_stories_section)
        register_snapshot_extra(coverage_snapshots_take)
        register_key_result_facts(delivery_facts)
        register_handover_provider(work_handover_groups)
