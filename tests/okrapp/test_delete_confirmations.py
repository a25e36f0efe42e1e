"""A structural delete names what goes with it and asks first: the GET confirmation deletes nothing, the
confirming POST does it. (The app deletes little: promote keeps the KR, comments are withdrawn, not
deleted; a webhook and its delivery log are the one thing a page deletes.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from okrapp import webhooks
from okrapp.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(cast) -> Webhook:
    found = webhooks.webhook_create(
        organisation_id=cast.org.pk,
        url="https://example.com/hook",
        events=[WebhookEvent.CHECKIN_SAVED],
        created_by_id=None,
    )
    states = [DeliveryState.DELIVERED] * 3 + [DeliveryState.FAILED] + [DeliveryState.PENDING] * 2
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=found, event=WebhookEvent.CHECKIN_SAVED, payload={}, state=state) for state in states
    )
    return found


def test_deleting_a_webhook_names_its_log_and_asks_first(login, cast, webhook, django_assert_max_num_queries):
    client = login(cast.admin)
    detail = client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    assert f'href="{reverse("webhook_delete", args=[webhook.pk])}"' in detail  # a link to the question, no POST
    with django_assert_max_num_queries(12):
        response = client.get(reverse("webhook_delete", args=[webhook.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "delivery log of 6 deliveries, 2 of them still waiting to be sent" in body
    assert "<title>Delete the webhook to example.com" in body
    assert "<script" not in body.split("<main")[1] and "style=" not in body  # CSP: nothing inline
    assert (Webhook.objects.count(), WebhookDelivery.objects.count()) == (1, 6)  # asking deleted nothing

    partial = client.get(reverse("webhook_delete", args=[webhook.pk]), headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section class="card notice" id="webhook-delete-confirm"')
    assert Webhook.objects.count() == 1

    response = client.post(reverse("webhook_delete", args=[webhook.pk]))
    assert response.status_code == 302 and response.url == reverse("webhook_list")
    assert (Webhook.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


def test_a_webhook_without_deliveries_says_so(login, cast):
    webhook = webhooks.webhook_create(
        organisation_id=cast.org.pk,
        url="https://example.com/quiet",
        events=[WebhookEvent.CHECKIN_SAVED],
        created_by_id=None,
    )
    body = login(cast.admin).get(reverse("webhook_delete", args=[webhook.pk])).content.decode()
    assert "delivery log of 0 deliveries." in body


@pytest.mark.parametrize(("who", "status"), [("lead", 403), ("member", 403), ("outsider", 404)])
def test_only_the_organisations_admins_see_the_question(login, cast, webhook, who, status):
    client = login(getattr(cast, who))
    assert client.get(reverse("webhook_delete", args=[webhook.pk])).status_code == status
    assert client.post(reverse("webhook_delete", args=[webhook.pk])).status_code == status
    assert Webhook.objects.count() == 1
