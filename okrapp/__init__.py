"""The project's core: settings, URLs, the Celery app and the organisation model."""

from .celery import app as celery_app

__all__ = ("celery_app",)
