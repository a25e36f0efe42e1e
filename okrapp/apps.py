from django.apps import AppConfig


class OkrappConfig(AppConfig):
    """The project's core: organisation, teams, people, the page frame and system status."""

    name = "okrapp"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from okrapp import security_log

        security_log.connect_signals()
