"""ISO weeks in the organisation's time zone. Pure helpers; "today" is always passed in or derived
from an explicit time zone."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.utils import timezone

from okrapp.parsing import MAX_CYCLE_DAYS


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def local_today(time_zone: str, now: datetime | None = None) -> date:
    """Today's date in an organisation's time zone."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def weeks_between(start: date, end: date) -> list[date]:
    """The Mondays of every ISO week that overlaps [start, end], oldest first."""
    first, last = week_of(start), week_of(end)
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def drawn_weeks(start: date, end: date, today: date) -> list[date]:
    """The weeks a page draws of a cycle [start, end] as of ``today``: from its start up to today (or
    its end), and at most its last MAX_CYCLE_DAYS. Cycles are at most that long, but one stored before
    the rule draws its latest two years rather than a column for every week since its start."""
    last = min(end, today)
    if last < start:
        return []
    return weeks_between(max(start, last - timedelta(days=MAX_CYCLE_DAYS - 1)), last)


def week_label(week: date) -> str:
    """'W47 · Mon 16 Nov' — the ISO week number and its Monday."""
    return f"W{week.isocalendar().week} · {week:%a} {week.day} {week:%b}"
