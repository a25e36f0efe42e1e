"""Dates in an organisation's time zone: "today", weeks, staleness and reminders all use it."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.utils import timezone

from okrapp.models import Organisation


def org_today(organisation: Organisation, now: datetime | None = None) -> date:
    """Today's date where the organisation is (its IANA time zone)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def org_date(organisation: Organisation, moment: datetime) -> date:
    """The organisation's calendar date of a moment."""
    return moment.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
