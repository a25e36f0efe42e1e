"""Writes of the series: check-ins and metric readings. Each hands the series' summary to
``objectives`` in the same transaction."""

from __future__ import annotations

import math
import zoneinfo
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from checkins.history import summarise
from checkins.models import CheckIn, MetricReading
from checkins.weeks import local_today, week_of
from objectives import progress as numbers
from objectives.models import CycleState, HealthMetric, KeyResult, Visibility
from objectives.progress import Direction, Kind
from objectives.services.outbox import recompute_request
from objectives.services.series import SeriesSummary, key_result_apply_series
from okrapp.http import Viewer
from okrapp.models import TeamRole, WebhookEvent
from okrapp.webhooks import webhook_emit

MAX_VALUE = 1e12  # beyond any real KR; keeps trend arithmetic finite


def can_check_in(viewer: Viewer, key_result: KeyResult, *, contributed: set[int] | None = None) -> bool:
    """Check-ins are written by the KR's owner, its contributors, or the lead of its objective's team.
    ``contributed`` (the KR ids the viewer contributes to) saves a query per KR on lists."""
    me = viewer.membership.pk
    if key_result.owner_id == me:
        return True
    team_id = key_result.objective.team_id
    if team_id is not None and viewer.team_roles.get(team_id) == TeamRole.LEAD:
        return True
    if contributed is not None:
        return key_result.pk in contributed
    return key_result.contributors.filter(pk=me).exists()


def series_summary(key_result: KeyResult) -> SeriesSummary:
    """The summary of a KR's check-ins in its cycle (see ``checkins.history.summarise``)."""
    checkins = CheckIn.objects.filter(key_result=key_result).only("week", "value", "done", "confidence", "updated_at")
    return summarise(key_result, list(checkins))


def _check(
    *, key_result: KeyResult, week: date, today: date, value: float | None, done: bool | None, confidence: float | None
) -> None:
    errors: dict[str, str] = {}
    cycle = key_result.objective.cycle
    if cycle.state == CycleState.CLOSED:
        raise ValidationError("This key result's cycle is closed: its check-ins can no longer change.")
    if week != week_of(week):
        errors["week"] = "Choose a week (its Monday)."
    elif week > week_of(today):
        errors["week"] = "That week has not started yet."
    elif week < week_of(cycle.start_date) or week > cycle.end_date:
        errors["week"] = (
            f"That week lies outside {cycle.name} ({cycle.start_date:%-d %b} – {cycle.end_date:%-d %b %Y})."
        )
    if confidence is None or not math.isfinite(confidence):
        errors["confidence"] = "Give your confidence, from 0.0 (no chance) to 1.0 (certain)."
    elif not 0 <= confidence <= 1:
        errors["confidence"] = "Confidence lies between 0.0 and 1.0."
    if key_result.kind == Kind.MILESTONE:
        if done is None:
            errors["done"] = "Say whether it is done."
    elif value is None or not math.isfinite(value):
        errors["value"] = "Enter this week's value as a number."
    elif abs(value) > MAX_VALUE:
        errors["value"] = "That number is too large for a key result's value."
    if errors:
        raise ValidationError(errors)


def checkin_save(
    *,
    viewer: Viewer,
    key_result: KeyResult,
    week: date | None = None,
    value: float | None = None,
    done: bool | None = None,
    confidence: float | None,
    what_changed: str = "",
    next_steps: str = "",
    blockers: str = "",
    today: date | None = None,
) -> CheckIn:
    """Record a KR's check-in for a week (this week by default); saving again in the same week updates
    it. The KR's current value and confidence follow its latest check-in."""
    if not can_check_in(viewer, key_result):
        raise PermissionDenied("Only the key result's owner, its contributors or the team lead check in on it.")
    today = today or local_today(viewer.organisation.time_zone)
    week = week or week_of(today)
    _check(key_result=key_result, week=week, today=today, value=value, done=done, confidence=confidence)
    with transaction.atomic():
        # The KR row lock serialises saves of one KR: a double click makes one check-in, not two.
        locked = (
            KeyResult.objects.select_for_update(of=("self",))
            .select_related("objective__cycle", "objective__organisation", "organisation")
            .get(pk=key_result.pk)
        )
        if locked.objective.cycle.state == CycleState.CLOSED:  # closed while we waited for the lock
            raise ValidationError("This key result's cycle is closed: its check-ins can no longer change.")
        checkin, _ = CheckIn.objects.update_or_create(
            key_result=locked,
            week=week,
            defaults={
                "organisation_id": locked.organisation_id,
                "value": None if locked.kind == Kind.MILESTONE else value,
                "done": done if locked.kind == Kind.MILESTONE else None,
                "confidence": confidence,
                "what_changed": what_changed.strip(),
                "next_steps": next_steps.strip(),
                "blockers": blockers.strip(),
                "author": viewer.membership,
            },
        )
        _emit_checkin_saved(locked, checkin, author=viewer.user.full_name)
        key_result_apply_series(key_result_id=locked.pk, summary=series_summary(locked), today=today)
    return checkin


def _emit_checkin_saved(key_result: KeyResult, checkin: CheckIn, *, author: str) -> None:
    """The "check-in saved" webhook event (in the write's transaction); nothing of a private objective."""
    if key_result.objective.visibility == Visibility.PRIVATE:  # a webhook leaks nothing private
        return
    webhook_emit(
        organisation_id=key_result.organisation_id,
        event=WebhookEvent.CHECKIN_SAVED,
        data={
            "key_result": {"id": key_result.pk, "title": key_result.title},
            "objective": {"id": key_result.objective_id, "title": key_result.objective.title},
            "week": checkin.week.isoformat(),
            "value": checkin.value,
            "done": checkin.done,
            "confidence": checkin.confidence,
            "author": author,
        },
    )


# --- Metric readings -------------------------------------------------------------------------------


def reading_save(
    *, metric: HealthMetric, taken_on: date, value: float, note: str = "", author_id: int | None, today: date
) -> MetricReading:
    """Record a dated value of a health metric (one per day: the same day again replaces it); the
    metric's latest value and light follow the newest reading, and KRs it guards are recomputed."""
    errors: dict[str, str] = {}
    if taken_on > today:
        errors["taken_on"] = "That day has not come yet."
    if not math.isfinite(value):
        errors["value"] = "Enter the value as a number."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = HealthMetric.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=metric.pk)
        reading, _ = MetricReading.objects.update_or_create(
            metric=locked,
            taken_on=taken_on,
            defaults={
                "organisation_id": locked.organisation_id,
                "value": value,
                "note": note.strip(),
                "author_id": author_id,
            },
        )
        newest = MetricReading.objects.filter(metric=locked).order_by("-taken_on", "-created_at").first()
        locked.latest_value = newest.value if newest else None
        locked.latest_at = (
            None
            if newest is None
            else datetime.combine(newest.taken_on, time.min).replace(
                tzinfo=zoneinfo.ZoneInfo(locked.organisation.time_zone)
            )
        )
        light = numbers.health_light(
            value=locked.latest_value,
            direction=Direction(locked.direction),
            green=locked.green_threshold,
            amber=locked.amber_threshold,
        )
        locked.light = light.value if light else ""
        locked.save(update_fields=["latest_value", "latest_at", "light"])
        # The KRs it guards as a key failure indicator (their status follows its light), and above them.
        guarded = KeyResult.objects.filter(kfis=locked).exclude(objective__cycle__state=CycleState.CLOSED)
        recompute_request(organisation_id=locked.organisation_id, key_result_ids=guarded.values_list("pk", flat=True))
    return reading


# --- Pushes by integrations (the API) ---------------------------------------------------------------


def value_push(*, viewer: Viewer, key_result: KeyResult, value: float, at: datetime) -> tuple[CheckIn, bool]:
    """A measured value pushed by an integration: it lands in the week of ``at`` (in the organisation's
    time zone) as that week's value; the confidence stays as a person last set it. Idempotent: a
    timestamp no later than the one already recorded for that week changes nothing. Returns the week's
    check-in and whether it changed."""
    if not can_check_in(viewer, key_result):
        raise PermissionDenied("Only the key result's owner, its contributors or the team lead push its values.")
    if key_result.kind == Kind.MILESTONE:
        raise ValidationError({"value": "A milestone is done or not: check in on it instead of pushing a value."})
    if key_result.progress_from_aligned:
        raise ValidationError({"value": "This key result's progress comes from the objectives aligned to it."})
    zone = zoneinfo.ZoneInfo(viewer.organisation.time_zone)
    today = local_today(viewer.organisation.time_zone)
    week = week_of(at.astimezone(zone).date())
    with transaction.atomic():
        locked = (
            KeyResult.objects.select_for_update(of=("self",))
            .select_related("objective__cycle", "organisation")
            .get(pk=key_result.pk)
        )
        existing = CheckIn.objects.filter(key_result=locked, week=week).first()
        if existing is not None and existing.pushed_at is not None and at <= existing.pushed_at:
            return existing, False
        earlier = CheckIn.objects.filter(key_result=locked, week__lt=week, confidence__isnull=False).order_by("-week")
        confidence = existing.confidence if existing is not None else getattr(earlier.first(), "confidence", None)
        _check(key_result=locked, week=week, today=today, value=value, done=None, confidence=confidence or 0.0)
        checkin, _ = CheckIn.objects.update_or_create(
            key_result=locked,
            week=week,
            defaults={
                "organisation_id": locked.organisation_id,
                "value": value,
                "confidence": confidence,
                "pushed_at": at,
                **({} if existing is not None else {"author": viewer.membership}),
            },
        )
        _emit_checkin_saved(locked, checkin, author=viewer.user.full_name)
        key_result_apply_series(key_result_id=locked.pk, summary=series_summary(locked), today=today)
    return checkin, True


def reading_push(*, viewer: Viewer, metric: HealthMetric, value: float, at: datetime) -> tuple[MetricReading, bool]:
    """A reading pushed by an integration, on the day of ``at`` (the organisation's time zone); the
    day's latest timestamp wins and the same timestamp again changes nothing. Returns the day's reading
    and whether it changed."""
    day = at.astimezone(zoneinfo.ZoneInfo(viewer.organisation.time_zone)).date()
    with transaction.atomic():
        HealthMetric.objects.select_for_update().filter(pk=metric.pk).first()  # one push of a metric at a time
        existing = MetricReading.objects.filter(metric=metric, taken_on=day).first()
        if existing is not None and existing.taken_at is not None and at <= existing.taken_at:
            return existing, False
        reading = reading_save(
            metric=metric,
            taken_on=day,
            value=value,
            author_id=viewer.membership.pk,
            today=local_today(viewer.organisation.time_zone),
        )
        reading.taken_at = at
        reading.save(update_fields=["taken_at"])
    return reading, True
