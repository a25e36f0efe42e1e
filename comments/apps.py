from django.apps import AppConfig


class CommentsConfig(AppConfig):
    """Comments with @mentions on key results, check-ins and epics. Built on objectives, checkins and
    backlog (their panel registries); nothing imports it."""

    name = "comments"

    def ready(self) -> None:
        from backlog.epic_panels import register_epic_panel
        from comments.panels import epic_comments_panel, key_result_comments_panel
        from objectives.panels import register_key_result_panel

        register_key_result_panel(key_result_comments_panel)
        register_epic_panel(epic_comments_panel)
