"""Comments' writes: create, edit, delete, mentions and their refusals (nothing saved), notifications."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from comments import services
from comments.access import target_of_epic, target_of_key_result
from comments.mentions import find_mentions
from comments.models import Comment, Mention
from comments.tasks import send_mention_email
from okrapp.models import Notification
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_create_with_a_mention_notifies_in_app_and_enqueues_the_email_after_commit(
    cast, kr, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(send_mention_email, "delay", lambda *args: enqueued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment = services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Member look")
        assert enqueued == []  # nothing before the commit
    assert [m.membership for m in Mention.objects.filter(comment=comment)] == [cast.member]
    note = Notification.objects.get(recipient=cast.member)
    assert note.message == "Lead mentioned you on KR “Checkout p95 under 400 ms”"
    assert note.link == f"/key-results/{kr.pk}/#comment-{comment.pk}"
    for callback in callbacks:
        callback()
    assert enqueued == [(comment.pk, cast.member.pk)]


def test_no_email_task_for_who_turned_mention_emails_off(cast, kr, monkeypatch, django_capture_on_commit_callbacks):
    cast.member.email_mentions = False
    cast.member.save()
    enqueued = []
    monkeypatch.setattr(send_mention_email, "delay", lambda *args: enqueued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@member.")
    assert enqueued == [] and Notification.objects.filter(recipient=cast.member).count() == 1


def test_edit_notifies_only_the_newly_mentioned(cast, kr):
    comment = services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Member first")
    services.comment_edit(comment=comment, body="@Member and @Mate now")
    assert Notification.objects.filter(recipient=cast.member).count() == 1
    assert Notification.objects.filter(recipient=cast.teammate).count() == 1
    comment.refresh_from_db()
    assert comment.edited_at is not None and comment.body == "@Member and @Mate now"


def test_delete_keeps_the_row(cast, epic):
    comment = services.comment_create(author=cast.lead, target=target_of_epic(epic), body="Plan it")
    services.comment_delete(comment=comment)
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "Plan it"
    with pytest.raises(ValidationError):
        services.comment_edit(comment=comment, body="again")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 100_000, "at most 5,000 characters; this one has 100,000"),
        ("   ", "Write something first."),
        ("Ping @Nobody here", "@Nobody is nobody in this organisation"),
    ],
)
def test_refusals_save_nothing(cast, kr, body, message):
    with pytest.raises(ValidationError) as refused:
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body=body)
    assert message in " ".join(refused.value.message_dict["body"])
    assert not Comment.objects.exists() and not Notification.objects.exists()


def test_a_person_of_another_organisation_cannot_be_mentioned(cast, kr):
    MembershipFactory(organisation=cast.outsider_org, user__email="zed@globex.test", user__full_name="Zed Globex")
    with pytest.raises(ValidationError, match="@Zed is nobody"):
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Zed Globex hi")
    assert not Comment.objects.exists()


def test_who_may_not_see_the_target_cannot_be_mentioned(cast, kr, private_kr):
    with pytest.raises(ValidationError, match="Growth cannot see this key result"):
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Growth fyi")
    with pytest.raises(ValidationError, match="Member cannot see this key result"):
        services.comment_create(author=cast.lead, target=target_of_key_result(private_kr), body="@member fyi")
    assert not Comment.objects.exists() and not Notification.objects.exists()


def test_a_deactivated_person_cannot_be_mentioned(cast, kr):
    from django.utils import timezone

    cast.teammate.deactivated_at = timezone.now()
    cast.teammate.save()
    with pytest.raises(ValidationError, match="@Mate is nobody"):
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Mate?")


def test_mention_rule_longest_name_wins_and_emails_are_not_mentions(cast):
    ana = MembershipFactory(organisation=cast.org, user__email="ana@acme.test", user__full_name="Ana")
    ana_lima = MembershipFactory(organisation=cast.org, user__email="al@acme.test", user__full_name="Ana Lima")
    people = [ana, ana_lima]
    assert list(find_mentions("Hi @ana lima, see", people).people) == [ana_lima.pk]
    assert list(find_mentions("Hi @Ana, see", people).people) == [ana.pk]
    found = find_mentions("mail ana@acme.test, meet @ 3pm", people)
    assert not found.people and not found.unknown
