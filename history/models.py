"""Change history: what people write on objectives, key results, check-ins, stories, the links of work
to key results and memberships, and the lists people keep (an objective's contributions, a key
result's contributors and KFIs, a theme's objectives, a sprint's focus key results), recorded by
PostgreSQL triggers (django-pghistory), so every write path is caught: forms, the API, imports, jobs,
``QuerySet.update()``, ``.set()``, raw SQL.

Each tracked model has a proxy here, so the triggers and the event tables live in this app's
migrations, not in the apps they watch; a list's rows (the many-to-many tables Django makes) are
tracked the same way, as added (insert) and removed (delete). Only the fields people write are recorded: the computed
columns (progress, status, computed_at…) and the series' summary a check-in writes onto its KR
(current value, confidence…; the check-in's own history shows those) are left out, and an update
that changes none of the recorded fields writes no row. So the sweep writes no history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pghistory

from backlog.models import EpicLink, Sprint, Story, StoryLink, Theme
from checkins.models import CheckIn
from comments.models import Comment
from objectives.models import KeyResult, Objective
from okrapp.models import Membership, TeamMembership

# The event models pghistory creates in this module (model_name below), declared for the type checker.
ObjectiveEvent: Any
KeyResultEvent: Any
CheckInEvent: Any
StoryEvent: Any
StoryLinkEvent: Any
EpicLinkEvent: Any
MembershipEvent: Any
TeamMembershipEvent: Any
CommentEvent: Any
ContributionEvent: Any
ContributorEvent: Any
KfiEvent: Any
ThemeObjectiveEvent: Any
SprintFocusEvent: Any


def _trackers() -> tuple[pghistory.RowEvent, ...]:
    # Fresh instances per model: pghistory keeps per-model state on them.
    return pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()


def _tracked(model_name: str, fields: tuple[str, ...]) -> Callable[[type[Any]], type[Any]]:
    return pghistory.track(
        *_trackers(),
        fields=list(fields),
        model_name=model_name,
        obj_field=pghistory.ObjForeignKey(related_name="+"),
    )


def _tracked_list(model_name: str, fields: tuple[str, ...]) -> Callable[[type[Any]], type[Any]]:
    """A list's row is added or removed, never changed: its two ends are all there is to record."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.DeleteEvent(), fields=list(fields), model_name=model_name, obj_field=None
    )


# What each tracked model records. The rest of its fields are computed or fixed at creation (see
# NOT_RECORDED); a test checks every field is in one of the two, so a new column is a decision.
OBJECTIVE_FIELDS = ("title", "description", "owner", "visibility", "state", "parent", "value_dimension", "stretch")
KEY_RESULT_FIELDS = (
    "objective",
    "title",
    "description",
    "kind",
    "owner",
    "weight",
    "measure",
    "stretch",
    "unit",
    "start_value",
    "target_value",
    "bound",
    "bound_keep",
    "progress_from_aligned",
    "grade",
    "grade_reason",
)
CHECKIN_FIELDS = (
    "key_result",
    "week",
    "value",
    "done",
    "confidence",
    "what_changed",
    "next_steps",
    "blockers",
    "author",
)
LINK_FIELDS = ("key_result", "impact_share", "impact_amount", "note")
STORY_FIELDS = ("team", "epic", "sprint", "title", "description", "points", "status", "assignee")
MEMBERSHIP_FIELDS = ("organisation", "user", "role", "job_title", "deactivated_at")
TEAM_MEMBERSHIP_FIELDS = ("team", "membership", "role")
COMMENT_FIELDS = ("author", "body", "key_result", "checkin", "epic", "edited_at", "deleted_at")

NOT_RECORDED = {
    "objective": {
        "id", "organisation", "cycle", "team", "carried_over_from", "created_at",  # fixed at creation
        "progress", "confidence", "status", "computed_at", "updated_at",  # computed
    },
    "key result": {
        "id", "organisation", "created_at", "updated_at",
        "position",  # the order on the page, rewritten for every KR when one moves
        "progress", "status", "computed_at",  # computed
        "current_value", "done", "confidence", "last_checkin_at", "guardrail_kept", "guardrail_total",  # the series
    },
    "check-in": {"id", "organisation", "pushed_at", "created_at", "updated_at"},
    "link": {"id", "created_at"},
    "story": {
        "id", "organisation", "external_key", "created_at", "updated_at",
        "done_at",  # follows the status
        "sprint_added_at",  # follows the sprint
        "rank",  # the backlog's order, rewritten for many stories at once
    },
    "membership": {
        "id", "created_at",
        "email_reminders", "email_digest", "email_mentions",  # the person's own e-mail preferences
    },
    "team membership": {"id", "created_at"},
    "comment": {"id", "organisation", "created_at"},
    "list": {"id"},  # a list's row: its two ends are recorded
}  # fmt: skip
CONTRIBUTION_FIELDS = ("objective", "keyresult")  # an objective contributes to a KR
CONTRIBUTOR_FIELDS = ("keyresult", "membership")
KFI_FIELDS = ("keyresult", "healthmetric")
THEME_OBJECTIVE_FIELDS = ("theme", "objective")
SPRINT_FOCUS_FIELDS = ("sprint", "keyresult")


@_tracked("ObjectiveEvent", OBJECTIVE_FIELDS)
class TrackedObjective(Objective):
    class Meta:
        proxy = True


@_tracked("KeyResultEvent", KEY_RESULT_FIELDS)
class TrackedKeyResult(KeyResult):
    class Meta:
        proxy = True


@_tracked("CheckInEvent", CHECKIN_FIELDS)
class TrackedCheckIn(CheckIn):
    class Meta:
        proxy = True


@_tracked("StoryEvent", STORY_FIELDS)
class TrackedStory(Story):
    class Meta:
        proxy = True


@_tracked("StoryLinkEvent", ("story", *LINK_FIELDS))
class TrackedStoryLink(StoryLink):
    class Meta:
        proxy = True


@_tracked("EpicLinkEvent", ("epic", *LINK_FIELDS))
class TrackedEpicLink(EpicLink):
    class Meta:
        proxy = True


@_tracked("MembershipEvent", MEMBERSHIP_FIELDS)
class TrackedMembership(Membership):
    class Meta:
        proxy = True


@_tracked("TeamMembershipEvent", TEAM_MEMBERSHIP_FIELDS)
class TrackedTeamMembership(TeamMembership):
    class Meta:
        proxy = True


@_tracked("CommentEvent", COMMENT_FIELDS)
class TrackedComment(Comment):
    class Meta:
        proxy = True


# The lists: Django's own many-to-many tables, tracked through proxies like the models above.


@_tracked_list("ContributionEvent", CONTRIBUTION_FIELDS)
class TrackedContribution(Objective.contributes_to.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True


@_tracked_list("ContributorEvent", CONTRIBUTOR_FIELDS)
class TrackedContributor(KeyResult.contributors.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True


@_tracked_list("KfiEvent", KFI_FIELDS)
class TrackedKfi(KeyResult.kfis.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True


@_tracked_list("ThemeObjectiveEvent", THEME_OBJECTIVE_FIELDS)
class TrackedThemeObjective(Theme.objectives.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True


@_tracked_list("SprintFocusEvent", SPRINT_FOCUS_FIELDS)
class TrackedSprintFocus(Sprint.focus_key_results.through):  # type: ignore[name-defined]
    class Meta:
        proxy = True
