from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    """Weekly check-ins and metric readings: the series behind the numbers (depends on objectives)."""

    name = "checkins"
