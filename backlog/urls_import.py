"""Jira CSV import and CSV export of a team's backlog."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
