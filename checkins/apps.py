from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    """Weekly check-ins and metric readings: the series behind the numbers (depends on objectives)."""

    name = "checkins"

    def ready(self) -> None:
        from checkins.api import forecast_facts
        from checkins.history import History
        from checkins.services import series_summary
        from objectives.facts import register_key_result_facts
        from objectives.services.series import register_series_provider

        register_series_provider(series_summary, History)
        register_key_result_facts(forecast_facts)
