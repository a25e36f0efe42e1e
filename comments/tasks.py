"""Celery tasks of comments."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from comments import emails


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def send_mention_email(comment_id: int, membership_id: int) -> bool:
    """E-mail one person that a comment mentions them (enqueued after commit); False when nothing
    was sent: the comment was deleted meanwhile, or the person turned mention e-mails off."""
    return emails.mention_email_send(comment_id=comment_id, membership_id=membership_id, site_url=settings.SITE_URL)
