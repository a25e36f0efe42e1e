"""Goals: cycles, value dimensions, objectives, key results and health metrics.

Declarative only. Computed columns (progress, status, confidence, light…) are written by
``objectives.services`` from ``objectives.progress``; lists sort on them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from objectives.progress import Bound, Direction, Kind, Light, Status, is_stretch
from okrapp.models import Membership, Organisation, Team
from okrapp.search_vectors import weighted_vector


class CycleKind(models.TextChoices):
    YEAR = "year", "Year"
    QUARTER = "quarter", "Quarter"
    CUSTOM = "custom", "Custom"


class CycleState(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Cycle(models.Model):
    """A named period objectives belong to; a quarter may sit inside a year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=CycleKind.choices, default=CycleKind.QUARTER)
    start_date = models.DateField()
    end_date = models.DateField()
    state = models.CharField(max_length=16, choices=CycleState.choices, default=CycleState.PLANNING)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The year a quarter belongs to.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-start_date", "name")
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="cycle_name_unique_per_organisation"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="cycle_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return self.name


class ValueDimension(models.Model):
    """One of the company's few strategic value pillars; company objectives name the one they serve."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="value_dimensions")
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=240, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "name")
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="value_dimension_unique_per_organisation")
        ]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    COMPANY = "company", "Company"
    TEAM = "team", "Team"
    PRIVATE = "private", "Private"


class ObjectiveState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


STATUS_CHOICES = [(s.value, s.label) for s in Status]
KIND_CHOICES = [(k.value, k.value.title()) for k in Kind]


class Objective(models.Model):
    """Qualitative and time-bound; belongs to a cycle and to the organisation (team empty) or a team."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="objectives")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objectives")
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="Empty for a company-level objective.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="owned_objectives")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.COMPANY)
    state = models.CharField(max_length=16, choices=ObjectiveState.choices, default=ObjectiveState.DRAFT)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="The objective this one is aligned to (the cascade).",
    )
    contributes_to: models.ManyToManyField[KeyResult, Any] = models.ManyToManyField(
        "KeyResult",
        blank=True,
        related_name="contributing_objectives",
        help_text="Key results of other objectives this one also moves (cross-team alignment).",
    )
    stretch = models.BooleanField(
        default=False, help_text="An ambitious objective: all its KRs read as stretch (0.7 at the end is a success)."
    )
    value_dimension = models.ForeignKey(
        ValueDimension, on_delete=models.SET_NULL, null=True, blank=True, related_name="objectives"
    )
    carried_over_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_over_to"
    )
    # Computed by objectives.services from objectives.progress.
    progress = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=Status.NOT_STARTED)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("title",)
        indexes = [
            models.Index(fields=["organisation", "cycle", "team"]),
            models.Index(fields=["organisation", "visibility"]),
            GinIndex(weighted_vector("title", "description"), name="objective_search"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="objective_not_own_parent"),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=1), name="objective_progress_0_1"
            ),
            models.CheckConstraint(
                condition=~Q(team__isnull=True, visibility="team"), name="company_objective_not_team_visible"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def level(self) -> str:
        return "Company" if self.team_id is None else "Team"


class Measure(models.TextChoices):
    LAG = "lag", "Lag (outcome)"
    LEAD = "lead", "Lead (early signal)"


class KeyResult(models.Model):
    """A measurable outcome of an objective: a metric, a guardrail or a milestone."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="key_results")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES, default=Kind.METRIC)
    owner = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_key_results"
    )
    contributors = models.ManyToManyField(Membership, blank=True, related_name="contributed_key_results")
    weight = models.FloatField(default=1.0)
    measure = models.CharField(max_length=8, choices=Measure.choices, default=Measure.LAG)
    stretch = models.BooleanField(default=False, help_text="An ambitious KR: 0.7 at the end is a success.")
    unit = models.CharField(max_length=20, blank=True, help_text="ms, %, €, users…")
    # metric
    start_value = models.FloatField(null=True, blank=True)
    target_value = models.FloatField(null=True, blank=True)
    current_value = models.FloatField(null=True, blank=True)
    # guardrail
    bound = models.FloatField(null=True, blank=True)
    bound_keep = models.CharField(
        max_length=8,
        choices=[(Bound.STAY_ABOVE.value, "Stay at or above"), (Bound.STAY_BELOW.value, "Stay at or below")],
        blank=True,
    )
    # milestone
    done = models.BooleanField(default=False)
    progress_from_aligned = models.BooleanField(
        default=False, help_text="Take progress from the objectives aligned to this KR (children and contributors)."
    )
    kfis: models.ManyToManyField[HealthMetric, Any] = models.ManyToManyField(
        "HealthMetric",
        blank=True,
        related_name="guarded_key_results",
        help_text="Key failure indicators: health metrics that must not get worse while this KR improves.",
    )
    position = models.PositiveIntegerField(default=0)
    # The series' summary, handed over by check-ins.
    confidence = models.FloatField(null=True, blank=True)
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    guardrail_kept = models.PositiveIntegerField(default=0)
    guardrail_total = models.PositiveIntegerField(default=0)
    # Computed by objectives.services from objectives.progress.
    progress = models.FloatField(default=0.0)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=Status.NOT_STARTED)
    computed_at = models.DateTimeField(null=True, blank=True)
    # Cycle close.
    grade = models.FloatField(null=True, blank=True)
    grade_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position", "pk")
        indexes = [
            models.Index(fields=["organisation", "status"]),
            GinIndex(weighted_vector("title", "description"), name="key_result_search"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="kr_weight_positive"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=1), name="kr_progress_0_1"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1), name="kr_confidence_0_1"
            ),
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__gte=0, grade__lte=1), name="kr_grade_0_1"
            ),
            models.CheckConstraint(
                condition=~Q(kind="metric", start_value=F("target_value")), name="kr_metric_target_differs_from_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reads_as_stretch(self) -> bool:
        """Its effective ambition (objectives.progress.is_stretch): marked itself or by its objective.
        Load the objective with it (select_related / prefetch) where KRs are listed."""
        return is_stretch(key_result_stretch=self.stretch, objective_stretch=self.objective.stretch)


class HealthMetric(models.Model):
    """A number a team watches without making it an OKR, with a computed traffic light."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="health_metrics")
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="health_metrics",
        help_text="Empty for a company-wide metric.",
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=240, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    direction = models.CharField(
        max_length=8,
        choices=[(Direction.HIGHER.value, "Higher is better"), (Direction.LOWER.value, "Lower is better")],
        default=Direction.HIGHER,
    )
    green_threshold = models.FloatField()
    amber_threshold = models.FloatField()
    owner = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_health_metrics"
    )
    # The latest reading (written by check-ins' readings) and its computed light.
    latest_value = models.FloatField(null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    light = models.CharField(max_length=8, choices=[(c.value, c.value.title()) for c in Light], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint("organisation", "team", Lower("name"), name="health_metric_unique_per_team"),
            models.CheckConstraint(
                condition=Q(direction="lower", green_threshold__lte=F("amber_threshold"))
                | Q(direction="higher", green_threshold__gte=F("amber_threshold")),
                name="health_thresholds_follow_direction",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RecomputeRequest(models.Model):
    """The outbox: a write that changes what an objective's numbers depend on adds a row here in its own
    transaction. After commit a task recomputes from it and deletes it only once that recompute has
    committed; a beat job drains rows left behind (Redis down, worker killed), so nothing is lost.

    Plain ids, not foreign keys: a deleted KR's objective still needs its recompute."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    objective_id = models.BigIntegerField(null=True, blank=True)
    key_result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(objective_id__isnull=False) | Q(key_result_id__isnull=False),
                name="recompute_request_names_something",
            )
        ]

    def __str__(self) -> str:
        return f"recompute objective {self.objective_id} / KR {self.key_result_id}"


class KeyResultSnapshot(models.Model):
    """A KR's state at the end of a day (in its organisation's time zone), for trends and heatmaps."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    value = models.FloatField(null=True, blank=True)
    progress = models.FloatField()
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES)

    class Meta:
        ordering = ("key_result", "day")
        constraints = [models.UniqueConstraint(fields=["key_result", "day"], name="one_snapshot_per_kr_per_day")]
        indexes = [models.Index(fields=["organisation", "day"])]

    def __str__(self) -> str:
        return f"KR {self.key_result_id} on {self.day}"


class ObjectiveSnapshot(models.Model):
    """An objective's state at the end of a day (in its organisation's time zone)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    progress = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES)

    class Meta:
        ordering = ("objective", "day")
        constraints = [models.UniqueConstraint(fields=["objective", "day"], name="one_snapshot_per_objective_per_day")]
        indexes = [models.Index(fields=["organisation", "day"])]

    def __str__(self) -> str:
        return f"objective {self.objective_id} on {self.day}"
