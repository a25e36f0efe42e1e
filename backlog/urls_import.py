"""Jira CSV import and CSV export of a team's backlog."""

from django.urls import URLPattern, path

from backlog import views_import

urlpatterns: list[URLPattern] = [
    path("teams/<int:pk>/backlog/import/", views_import.import_form, name="backlog_import"),
    path("teams/<int:pk>/backlog/export.csv", views_import.export_csv, name="backlog_export"),
    path("backlog/imports/<int:pk>/", views_import.import_detail, name="backlog_import_detail"),
]
