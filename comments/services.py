"""Writes on comments: create, edit, delete; the mentions they make and whom those notify.

Each mentioned person gets an in-app notification at once (in the transaction) and, if they want it, an
e-mail from a Celery task enqueued after commit. Editing notifies only the people newly mentioned.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from comments import mentions
from comments.access import Target, can_see_target, target_of
from comments.models import BODY_LIMIT, Comment, Mention
from okrapp.http import Viewer
from okrapp.models import Membership, Notification

MENTION_LIMIT = 20  # people per comment: more is a broadcast, not a mention


def clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > BODY_LIMIT:
        raise ValidationError(
            {"body": f"A comment holds at most {BODY_LIMIT:,} characters; this one has {len(body):,}. Shorten it."}
        )
    return body


def resolve_mentions(*, body: str, organisation_id: int, target: Target) -> list[Membership]:
    """The people ``body`` mentions, each an active member who may see ``target``; otherwise a
    ValidationError on the body naming who cannot be mentioned and why."""
    found = mentions.find_mentions(body, mentions.active_people(organisation_id))
    problems = [
        f"{word} is nobody in this organisation: type @ and a person's full name or the part of their "
        "e-mail address before the @."
        for word in dict.fromkeys(found.unknown)
    ]
    people = list(found.people.values())
    if len(people) > MENTION_LIMIT:
        problems.append(f"A comment mentions at most {MENTION_LIMIT} people.")
    for person in people:
        reader = Viewer.load(person.user)
        if reader is None or not can_see_target(reader, target):
            problems.append(f"{person.user.full_name} cannot see this {_noun(target)}, so cannot be mentioned here.")
    if problems:
        raise ValidationError({"body": problems})
    return people


def _noun(target: Target) -> str:
    return {"key_result": "key result", "checkin": "check-in", "epic": "epic"}[target.kind]


@transaction.atomic
def comment_create(*, author: Membership, target: Target, body: str) -> Comment:
    body = clean_body(body)
    people = resolve_mentions(body=body, organisation_id=author.organisation_id, target=target)
    comment = Comment.objects.create(organisation_id=author.organisation_id, author=author, body=body, **target.filter)
    _mention(comment, target, [p for p in people if p.pk != author.pk])
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, body: str) -> Comment:
    """New text; only the people it mentions for the first time are notified."""
    if comment.deleted_at is not None:
        raise ValidationError("A deleted comment cannot be edited.")
    body = clean_body(body)
    target = target_of(comment)
    people = resolve_mentions(body=body, organisation_id=comment.organisation_id, target=target)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    already = set(comment.mentions.values_list("membership_id", flat=True))
    _mention(comment, target, [p for p in people if p.pk not in already and p.pk != comment.author_id])
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment) -> Comment:
    """Shown as “Comment deleted” from now on; the row and its history stay."""
    if comment.deleted_at is None:
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["deleted_at"])
    return comment


def comment_link(comment: Comment, target: Target) -> str:
    return f"{target.page_url}#comment-{comment.pk}"


def _mention(comment: Comment, target: Target, people: list[Membership]) -> None:
    from comments.tasks import send_mention_email

    author = comment.author.user.get_short_name()
    link = comment_link(comment, target)
    message = f"{author} mentioned you on {target.label}"
    if len(message) > 300:
        message = message[:299] + "…"
    for person in people:
        Mention.objects.create(comment=comment, membership=person)
        Notification.objects.create(
            organisation_id=comment.organisation_id, recipient=person, message=message, link=link
        )
        if person.email_mentions:
            transaction.on_commit(partial(send_mention_email.delay, comment.pk, person.pk))
