"""Celery tasks of the series."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from checkins import reminders


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def send_checkin_reminders() -> int:
    """Beat runs this hourly; each person is reminded at most once per week (see ReminderSent)."""
    return reminders.send_reminders(site_url=settings.SITE_URL).reminded


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def send_weekly_digests() -> int:
    """Beat runs this hourly; on Monday morning each lead and leader gets last week's digest, once."""
    from checkins import digest

    return digest.send_digests(site_url=settings.SITE_URL)
