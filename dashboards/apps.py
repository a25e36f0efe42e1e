from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Pages that combine apps (team page; later the cascade, heatmap, health board): reads only."""

    name = "dashboards"
