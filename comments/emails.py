"""The e-mail telling someone a comment mentions them (plain text, with a one-click unsubscribe)."""

from __future__ import annotations

from django.core.mail import EmailMessage

from comments.access import target_of
from comments.models import Comment
from comments.services import comment_link
from okrapp.models import Membership
from okrapp.unsubscribe import unsubscribe_headers, unsubscribe_url

EXCERPT = 500  # characters of the comment quoted in the e-mail


def mention_email_send(*, comment_id: int, membership_id: int, site_url: str) -> bool:
    comment = (
        Comment.objects.filter(pk=comment_id, deleted_at=None)
        .select_related("author__user", "key_result__objective", "checkin__key_result__objective", "epic")
        .first()
    )
    person = (
        Membership.objects.select_related("user")
        .filter(pk=membership_id, deactivated_at=None, email_mentions=True)
        .first()
    )
    if comment is None or person is None or person.organisation_id != comment.organisation_id:
        return False
    target = target_of(comment)
    author = comment.author.user.full_name or comment.author.user.email
    excerpt = comment.body if len(comment.body) <= EXCERPT else comment.body[:EXCERPT] + "…"
    quoted = "\n".join(f"> {line}" for line in excerpt.splitlines())
    body = (
        f"Hello {person.user.get_short_name()},\n\n{author} mentioned you on {target.label}:\n\n{quoted}\n\n"
        f"Read and answer it here: {site_url}{comment_link(comment, target)}\n\n"
        f"--\nStop these e-mails: {unsubscribe_url(person, 'mentions')}\n"
    )
    EmailMessage(
        subject=f"{author} mentioned you on {target.label}"[:200],
        body=body,
        to=[person.user.email],
        headers=unsubscribe_headers(person, "mentions"),
    ).send()
    return True
