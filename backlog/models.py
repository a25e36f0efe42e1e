"""The backlog: themes on a NOW/NEXT/LATER roadmap, epics with mission briefings, stories, sprints, and
their links to key results. Declarative only; writes go through ``backlog.services``."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q

from objectives.models import KeyResult, Objective
from okrapp.models import Membership, Organisation, Team
from okrapp.search_vectors import weighted_vector


class Lane(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


class Theme(models.Model):
    """A broad problem area on the roadmap, parent of epics, linked to the objectives it serves."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="themes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.LATER)
    position = models.PositiveIntegerField(default=0, help_text="Order within its lane.")
    objectives: models.ManyToManyField[Objective, Any] = models.ManyToManyField(
        Objective, blank=True, related_name="themes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("lane", "position", "pk")
        indexes = [
            models.Index(fields=["organisation", "lane", "position"]),
            GinIndex(weighted_vector("title", "description"), name="theme_search"),
        ]

    def __str__(self) -> str:
        return self.title


class EpicStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Epic(models.Model):
    """An initiative of a team, with a mission briefing (context, higher intent, my intent, key implied
    tasks, boundaries); it links to KRs, and its stories serve them too."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="epics")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="epics")
    theme = models.ForeignKey(Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="epics")
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children", help_text="A parent epic."
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=EpicStatus.choices, default=EpicStatus.OPEN)
    owner = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The mission briefing.
    context = models.TextField(blank=True, help_text="The situation: what is going on and why it matters now.")
    higher_intent = models.TextField(blank=True, help_text="The intent one level up: what the parent wants.")
    my_intent = models.TextField(blank=True, help_text="What this epic sets out to achieve, and why.")
    key_implied_tasks = models.TextField(blank=True, help_text="What must be done for the intent to hold.")
    boundaries = models.TextField(blank=True, help_text="What is off limits: constraints and freedoms.")
    rank = models.FloatField(default=0.0)
    external_key = models.CharField(max_length=40, blank=True, help_text="The issue key in Jira, when imported.")
    key_results: models.ManyToManyField[KeyResult, Any] = models.ManyToManyField(
        KeyResult, through="EpicLink", related_name="epics", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("rank", "pk")
        indexes = [
            models.Index(fields=["organisation", "team", "status"]),
            GinIndex(weighted_vector("title", "context", "my_intent"), name="epic_search"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_key"], condition=~Q(external_key=""), name="epic_key_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="epic_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.title


class SprintState(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Sprint(models.Model):
    """A team's iteration with dates, a goal and the KRs it focuses on."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sprints")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="sprints")
    name = models.CharField(max_length=80)
    start_date = models.DateField()
    end_date = models.DateField()
    goal = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=SprintState.choices, default=SprintState.PLANNED)
    focus_key_results: models.ManyToManyField[KeyResult, Any] = models.ManyToManyField(
        KeyResult, blank=True, related_name="focus_of_sprints"
    )
    committed_points = models.FloatField(
        null=True, blank=True, help_text="Estimated points in the sprint when it started (its commitment)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_points = models.FloatField(null=True, blank=True, help_text="Points done when it closed.")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-start_date", "pk")
        indexes = [models.Index(fields=["organisation", "team", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="sprint_ends_after_it_starts"),
            models.UniqueConstraint("team", "name", name="sprint_name_unique_per_team"),
            models.UniqueConstraint("team", condition=Q(state="active"), name="one_active_sprint_per_team"),
        ]

    def __str__(self) -> str:
        return self.name


class StoryStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Story(models.Model):
    """A backlog item: points, status (with when it was done), rank, optional epic and sprint. It serves
    its own KRs plus its epic's."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="stories")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="stories")
    epic = models.ForeignKey(Epic, on_delete=models.SET_NULL, null=True, blank=True, related_name="stories")
    sprint = models.ForeignKey(Sprint, on_delete=models.SET_NULL, null=True, blank=True, related_name="stories")
    sprint_added_at = models.DateTimeField(
        null=True, blank=True, help_text="When it entered its sprint: after the start, it is scope added."
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    points = models.FloatField(null=True, blank=True, help_text="Empty while not estimated.")
    status = models.CharField(max_length=16, choices=StoryStatus.choices, default=StoryStatus.TODO)
    done_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A fractional index (backlog.ordering): moving a story writes its own key only. The C collation
    # compares keys bytewise, which is the order the keys are generated in.
    rank = models.CharField(max_length=64, db_collation="C", help_text="Backlog order: lower comes first.")
    external_key = models.CharField(max_length=40, blank=True, help_text="The issue key in Jira, when imported.")
    key_results: models.ManyToManyField[KeyResult, Any] = models.ManyToManyField(
        KeyResult, through="StoryLink", related_name="stories", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("rank", "pk")
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["organisation", "team", "status", "rank"]),
            models.Index(fields=["sprint", "status"]),
            models.Index(fields=["assignee", "status"]),
            GinIndex(weighted_vector("title", "description"), name="story_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0), name="story_points_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) | (~Q(status="done") & Q(done_at__isnull=True)),
                name="story_done_at_iff_done",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_key"], condition=~Q(external_key=""), name="story_key_unique"
            ),
            models.UniqueConstraint(fields=["team", "rank"], name="story_rank_unique_per_team"),
        ]

    def __str__(self) -> str:
        return self.title


class LinkImpact(models.Model):
    """A link from work to a KR, with its expected impact: a share of the KR, or an amount in its unit."""

    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="+")
    impact_share = models.FloatField(null=True, blank=True, help_text="A share of the KR, 0–1.")
    impact_amount = models.FloatField(null=True, blank=True, help_text="In the KR's unit, e.g. −100 (ms).")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class EpicLink(LinkImpact):
    epic = models.ForeignKey(Epic, on_delete=models.CASCADE, related_name="links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["epic", "key_result"], name="one_link_per_epic_and_kr"),
            models.CheckConstraint(
                condition=Q(impact_share__isnull=True) | Q(impact_amount__isnull=True), name="epic_link_one_impact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.epic_id} → KR {self.key_result_id}"


class StoryLink(LinkImpact):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "key_result"], name="one_link_per_story_and_kr"),
            models.CheckConstraint(
                condition=Q(impact_share__isnull=True) | Q(impact_amount__isnull=True), name="story_link_one_impact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.story_id} → KR {self.key_result_id}"


class SprintReport(models.Model):
    """The "KR delta" report written when a sprint closes: stories shipped, KRs moved, confidence changes."""

    sprint = models.OneToOneField(Sprint, on_delete=models.CASCADE, related_name="report")
    written_at = models.DateTimeField(auto_now_add=True)
    shipped = models.JSONField(default=list, help_text="Stories done in the sprint: id, title, points.")
    key_results = models.JSONField(
        default=list, help_text="Per KR: id, progress and confidence at the start and at the end."
    )

    def __str__(self) -> str:
        return f"KR delta of {self.sprint}"


class ImportState(models.TextChoices):
    PARSING = "parsing", "Reading the file"
    PREVIEW = "preview", "Ready to confirm"
    FAILED = "failed", "Refused"
    APPLYING = "applying", "Importing"
    DONE = "done", "Imported"


class JiraImport(models.Model):
    """A Jira CSV upload, stored in PostgreSQL so any worker can read it; parsed by a Celery job into a
    preview the product owner confirms (with the status mapping), then applied all or nothing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", help_text="Where the work goes.")
    uploaded_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    filename = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content = models.BinaryField(help_text="The file as uploaded (size capped).")
    state = models.CharField(max_length=12, choices=ImportState.choices, default=ImportState.PARSING)
    progress = models.PositiveIntegerField(default=0, help_text="Rows handled so far.")
    total = models.PositiveIntegerField(default=0, help_text="Rows in the file.")
    errors = models.JSONField(default=list, help_text="Bad rows: line number and reason.")
    preview = models.JSONField(default=dict, help_text="Counts, statuses found, ignored columns.")
    status_map = models.JSONField(default=dict, help_text="Jira status → todo / in_progress / done.")
    result = models.JSONField(default=dict, help_text="What the import created and updated.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"


class CoverageSnapshot(models.Model):
    """A team's backlog coverage at the end of a day (the organisation's time zone), written by the daily
    snapshot job; "since last week" on the cascade reads it. Same definition as the live figure."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    stories = models.PositiveIntegerField(help_text="Open stories.")
    linked = models.PositiveIntegerField(help_text="Open stories serving a KR.")
    points = models.FloatField(help_text="Estimated open points.")
    linked_points = models.FloatField(help_text="Estimated open points serving a KR.")

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["team", "day"], name="coverage_snapshot_one_per_team_day"),
            models.CheckConstraint(condition=Q(linked__lte=F("stories")), name="coverage_snapshot_linked_le_stories"),
        ]

    def __str__(self) -> str:
        return f"{self.team} on {self.day}: {self.linked}/{self.stories}"
