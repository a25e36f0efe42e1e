"""Comments on a key result, a check-in or an epic, and the people each one mentions.

A comment is plain text (escaped wherever it is shown) and exactly as visible as its target. Deleting
one keeps the row (and its history) and shows "Comment deleted" in its place.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from backlog.models import Epic
from checkins.models import CheckIn
from objectives.models import KeyResult
from okrapp.models import Membership, Organisation

BODY_LIMIT = 5000  # characters


class Comment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    # Exactly one target (the check constraint below).
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    epic = models.ForeignKey(Epic, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(key_result__isnull=False, checkin__isnull=True, epic__isnull=True)
                    | Q(key_result__isnull=True, checkin__isnull=False, epic__isnull=True)
                    | Q(key_result__isnull=True, checkin__isnull=True, epic__isnull=False)
                ),
                name="comment_has_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_LIMIT), name="comment_body_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id}"


class Mention(models.Model):
    """A person a comment mentioned (and notified): one row per comment and person."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="mentions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = [models.UniqueConstraint(fields=["comment", "membership"], name="one_mention_per_person")]

    def __str__(self) -> str:
        return f"mention of {self.membership_id} in comment {self.comment_id}"
