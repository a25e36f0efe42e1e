"""Who may see, write and change comments. A comment is exactly as visible as its target: a key
result's (its objective's visibility), a check-in's (its key result's), an epic's (the backlog's rule).
Anyone who may see the target reads its thread; everyone but guests may comment (a guest is invited
to look, not to discuss); only the author edits or deletes a comment. What one may not see answers
404, what one sees but may not change 403."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from backlog.access import access_epic, can_see_team
from backlog.models import Epic
from checkins.models import CheckIn
from checkins.weeks import week_label
from comments.models import Comment
from objectives.access import access_key_result
from objectives.models import KeyResult
from objectives.visibility import visible_key_results
from okrapp.http import Viewer

KINDS = ("key_result", "checkin", "epic")


@dataclass(frozen=True)
class Target:
    """What a thread hangs on: one key result, check-in or epic."""

    kind: str  # one of KINDS
    obj: KeyResult | CheckIn | Epic
    team_id: int | None  # the team whose guests only read

    @property
    def filter(self) -> dict[str, int]:
        return {f"{self.kind}_id": self.obj.pk}

    @property
    def label(self) -> str:
        """In words, for notifications: “KR “Checkout p95 under 400 ms””."""
        if isinstance(self.obj, KeyResult):
            return f"KR “{self.obj.title}”"
        if isinstance(self.obj, CheckIn):
            return f"the check-in of {week_label(self.obj.week)} on KR “{self.obj.key_result.title}”"
        return f"epic “{self.obj.title}”"

    @property
    def page_url(self) -> str:
        """Where the thread is read: the key result or epic page; a check-in's thread page of its own."""
        if isinstance(self.obj, KeyResult):
            return reverse("key_result_detail", args=[self.obj.pk])
        if isinstance(self.obj, CheckIn):
            return reverse("comment_thread_checkin", args=[self.obj.pk])
        return reverse("epic_detail", args=[self.obj.pk])

    @property
    def thread_url(self) -> str:
        return reverse(f"comment_thread_{self.kind}", args=[self.obj.pk])


def target_of_key_result(kr: KeyResult) -> Target:
    return Target("key_result", kr, kr.objective.team_id)


def target_of_epic(epic: Epic) -> Target:
    return Target("epic", epic, epic.team_id)


def access_target(viewer: Viewer, kind: str, pk: int, *, write: bool = False) -> Target:
    """The target ``viewer`` may see (404 otherwise); with ``write``, one they may comment on (403)."""
    if kind == "key_result":
        target = target_of_key_result(access_key_result(viewer, pk))
    elif kind == "checkin":
        checkin = (
            CheckIn.objects.filter(organisation_id=viewer.organisation_id, pk=pk)
            .select_related("key_result__objective")
            .first()
        )
        if checkin is None:
            raise Http404("No such check-in.")
        access_key_result(viewer, checkin.key_result_id)  # 404 unless its key result is visible
        target = Target("checkin", checkin, checkin.key_result.objective.team_id)
    elif kind == "epic":
        target = target_of_epic(access_epic(viewer, pk))
    else:
        raise Http404("No such thread.")
    if write and not can_comment(viewer):
        raise PermissionDenied("Guests read the discussion; team members and leads take part in it.")
    return target


def can_comment(viewer: Viewer) -> bool:
    return not viewer.is_guest_only


def target_of(comment: Comment) -> Target:
    if comment.key_result_id is not None:
        return target_of_key_result(comment.key_result)  # type: ignore[arg-type]
    if comment.checkin_id is not None:
        checkin = comment.checkin
        assert checkin is not None
        return Target("checkin", checkin, checkin.key_result.objective.team_id)
    assert comment.epic is not None
    return target_of_epic(comment.epic)


def access_comment(viewer: Viewer, pk: int, *, write: bool = False) -> Comment:
    """A comment on a target ``viewer`` may see (404 otherwise); with ``write``, their own (403)."""
    comment = (
        Comment.objects.filter(organisation_id=viewer.organisation_id, pk=pk)
        .select_related("author__user", "key_result__objective", "checkin__key_result__objective", "epic")
        .first()
    )
    if comment is None or not can_see_target(viewer, target_of(comment)):
        raise Http404("No such comment.")
    if write:
        if comment.author_id != viewer.membership.pk:
            raise PermissionDenied("Only its author changes a comment.")
        if comment.deleted_at is not None:
            raise Http404("This comment was deleted.")
    return comment


def can_see_target(viewer: Viewer, target: Target) -> bool:
    """The visibility rule alone (no exception): for mentions, whose reader is not the one asking."""
    if isinstance(target.obj, Epic):
        return target.obj.organisation_id == viewer.organisation_id and can_see_team(viewer, target.obj.team_id)
    kr_id = target.obj.pk if isinstance(target.obj, KeyResult) else target.obj.key_result_id
    return visible_key_results(viewer).filter(pk=kr_id).exists()
