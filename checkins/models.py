"""The series: weekly check-ins on key results and dated readings of health metrics.

Declarative only. Writes go through ``checkins.services``, which hands each series' summary to
``objectives`` (the owner of the KR's state) in the same transaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from objectives.models import HealthMetric, KeyResult
from okrapp.models import Membership, Organisation


class CheckIn(models.Model):
    """One per key result per ISO week (``week`` is that week's Monday); saving again updates it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="checkins")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="checkins")
    week = models.DateField(help_text="The Monday of the ISO week, in the organisation's time zone.")
    value = models.FloatField(null=True, blank=True, help_text="Metric and guardrail: the value this week.")
    done = models.BooleanField(null=True, blank=True, help_text="Milestone: done or not.")
    confidence = models.FloatField(null=True, blank=True)
    what_changed = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    author = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="checkins")
    pushed_at = models.DateTimeField(
        null=True, blank=True, help_text="The timestamp of the latest value pushed through the API this week."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("key_result", "-week")
        constraints = [
            models.UniqueConstraint(fields=["key_result", "week"], name="one_checkin_per_kr_per_week"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="checkin_confidence_0_1",
            ),
            models.CheckConstraint(condition=Q(week__week_day=2), name="checkin_week_is_a_monday"),
        ]
        indexes = [models.Index(fields=["organisation", "week"])]

    def __str__(self) -> str:
        return f"{self.key_result} — week of {self.week:%d %b %Y}"


class MetricReading(models.Model):
    """A dated value of a health metric, entered by hand (or, later, pushed by the API)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="metric_readings")
    metric = models.ForeignKey(HealthMetric, on_delete=models.CASCADE, related_name="readings")
    taken_on = models.DateField()
    value = models.FloatField()
    note = models.CharField(max_length=240, blank=True)
    author = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    taken_at = models.DateTimeField(
        null=True, blank=True, help_text="The timestamp of a reading pushed through the API (the day's latest wins)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("metric", "-taken_on", "-created_at")
        constraints = [models.UniqueConstraint(fields=["metric", "taken_on"], name="one_reading_per_metric_per_day")]

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} on {self.taken_on}"


class ReminderSent(models.Model):
    """One row per person per ISO week that got a check-in reminder: the unique constraint is what
    makes "never two" hold when the job runs twice or two workers run it at once."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "week"], name="one_reminder_per_person_per_week")]

    def __str__(self) -> str:
        return f"reminder for {self.membership_id} in week of {self.week}"


class DigestSent(models.Model):
    """One weekly digest per person per ISO week (the unique constraint keeps it to one)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "week"], name="one_digest_per_person_per_week")]

    def __str__(self) -> str:
        return f"digest for {self.membership_id} in week of {self.week}"
