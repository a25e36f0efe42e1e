"""The demo's comments: a short discussion on a Checkout key result, mentioning Sam (member@example.com),
so the bell and the thread have something to show. Written through the service, once."""

from __future__ import annotations

from datetime import date

from comments.access import target_of_key_result
from comments.models import Comment
from comments.services import comment_create
from objectives.models import KeyResult
from okrapp.models import Membership, Organisation


def load_demo(organisation: Organisation, *, today: date) -> str:
    if Comment.objects.filter(organisation=organisation).exists():
        return "Demo comments: already there."
    lead = Membership.objects.filter(organisation=organisation, user__email="lead@example.com").first()
    member = Membership.objects.filter(organisation=organisation, user__email="member@example.com").first()
    kr = (
        KeyResult.objects.filter(organisation=organisation, objective__team__name="Checkout")
        .select_related("objective")
        .order_by("pk")
        .first()
    )
    if lead is None or member is None or kr is None:
        return "Demo comments: skipped (no Checkout key result yet)."
    target = target_of_key_result(kr)
    comment_create(
        author=lead,
        target=target,
        body="@Sam Okafor could you add last sprint's numbers before Friday?\n"
        "The dashboard is at https://example.com/checkout-dashboard",
    )
    comment_create(author=member, target=target, body="On it: the new figures land on Thursday.")
    return f"Demo comments: 2 on “{kr.title}”."
