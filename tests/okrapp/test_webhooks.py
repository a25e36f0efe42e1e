"""Outbound webhooks: signing, the admin pages, which writes emit what (never anything private), sending
with retries, and one delivery through a real worker to a local receiver that fails once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from checkins import services as checkin_services
from objectives import services as objective_services
from objectives.services import jobs
from okrapp import webhooks
from okrapp.http import Viewer
from okrapp.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent
from tests.conftest import TODAY, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
ALL_EVENTS = list(WebhookEvent.values)


# --- A receiver on 127.0.0.1 -----------------------------------------------------------------------


class Receiver:
    """A local HTTP server answering with the given statuses in turn (the last one repeats), keeping
    every request it got as (headers, raw body)."""

    def __init__(self, statuses: list[int], *, location: str = "") -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                answer = b"thanks" if status < 300 else b"receiver broke: " + b"x" * 3000
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/okr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    started: list[Receiver] = []

    def make(statuses: list[int], **kwargs: str) -> Receiver:
        started.append(Receiver(statuses, **kwargs))
        return started[-1]

    yield make
    for receiver in started:
        receiver.stop()


def receiver_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the signature from the raw body and compare in constant time."""
    timestamp = headers["X-Webhook-Timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), headers["X-Webhook-Signature"])


# --- Fixtures --------------------------------------------------------------------------------------


def hook(organisation, *, events=ALL_EVENTS, active=True, url="https://example.com/hook") -> Webhook:
    webhook = webhooks.webhook_create(organisation_id=organisation.pk, url=url, events=events, created_by_id=None)
    if not active:
        webhooks.webhook_set_active(webhook=webhook, active=False)
    return webhook


@pytest.fixture
def latency(cast, okrs):
    return objective_services.key_result_create(
        objective=okrs[2], title="API p95 latency", start_value=800, target_value=300, owner=cast.member, today=TODAY
    )


@pytest.fixture
def private_kr(cast, quarter):
    secret_objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Quietly replace the vendor",
        owner=cast.member,
        visibility="private",
        state="active",
    )
    return objective_services.key_result_create(
        objective=secret_objective, title="Vendor contract ended", start_value=0, target_value=1, owner=cast.member
    )


@pytest.fixture
def published(monkeypatch):
    """The (delivery id, attempts) pairs queued after commit, instead of a broker."""
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(webhooks, "deliveries_publish", lambda items: queued.extend(items) or len(queued))
    monkeypatch.setattr("objectives.services.outbox.publish_recompute", lambda ids: True)
    return queued


def check_in(membership, kr, **values):
    values.setdefault("confidence", 0.8)
    return checkin_services.checkin_save(viewer=Viewer.load(membership.user), key_result=kr, today=TODAY, **values)


def deliveries(event: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event=event).order_by("pk"))


# --- Signing ---------------------------------------------------------------------------------------


def test_the_signature_verifies_as_a_receiver_would_and_a_changed_body_does_not():
    secret, timestamp, body = "ab" * 32, int(time.time()), b'{"event":"checkin.saved","id":7}'
    signature = webhooks.sign(secret=secret, timestamp=timestamp, body=body)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, f"sha256={expected}")
    headers = {"X-Webhook-Timestamp": str(timestamp), "X-Webhook-Signature": signature}
    assert receiver_verifies(secret, headers, body)
    assert not receiver_verifies(secret, headers, body.replace(b"7", b"8"))
    assert not receiver_verifies("cd" * 32, headers, body)
    assert not receiver_verifies(secret, {**headers, "X-Webhook-Timestamp": str(timestamp + 1)}, body)


def test_a_delivery_carries_event_id_timestamp_and_signature_headers(cast, published):
    webhook = hook(cast.org)
    [delivery_id] = webhooks.webhook_emit(organisation_id=cast.org.pk, event="objective.closed", data={"x": 1})
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    body = webhooks.encode_payload(delivery.payload)
    headers = webhooks.request_headers(delivery=delivery, body=body, timestamp=int(time.time()))
    assert headers["X-Webhook-Event"] == "objective.closed"
    assert headers["X-Webhook-Delivery"] == str(delivery_id)
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"].startswith("okrapp-webhooks")
    assert receiver_verifies(webhook.secret, headers, body)
    payload = json.loads(body)
    assert payload["id"] == delivery_id and payload["event"] == "objective.closed"
    assert payload["organisation"] == cast.org.pk and payload["data"] == {"x": 1}
    assert timezone.datetime.fromisoformat(payload["occurred_at"]).tzinfo is not None


# --- The pages -------------------------------------------------------------------------------------


def test_admin_adds_a_webhook_and_sees_its_secret(login, cast):
    client = login(cast.admin)
    page = client.get(reverse("webhook_list"))
    assert page.status_code == 200 and "No webhooks yet" in page.content.decode()
    response = client.post(
        reverse("webhook_list"),
        {"url": "https://hooks.example.com/okr", "events": ["checkin.saved", "objective.closed"]},
    )
    webhook = Webhook.objects.get()
    assert response.status_code == 302 and response.url == reverse("webhook_detail", args=[webhook.pk])
    assert (webhook.organisation, webhook.created_by, webhook.active) == (cast.org, cast.admin, True)
    assert webhook.events == ["checkin.saved", "objective.closed"]
    assert len(webhook.secret) == 64 and int(webhook.secret, 16) >= 0
    detail = client.get(response.url).content.decode()
    assert webhook.secret in detail and "https://hooks.example.com/okr" in detail
    assert "Check-in saved, Objective closed" in detail and "Nothing sent yet" in detail
    listing = client.get(reverse("webhook_list")).content.decode()
    assert "https://hooks.example.com/okr" in listing and webhook.secret not in listing
    assert reverse("webhook_list") in client.get(reverse("organisation_settings")).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"url": "ftp://files.example.com/x", "events": ["checkin.saved"]}, "url", "Use an http:// or https://"),
        ({"url": "not a url", "events": ["checkin.saved"]}, "url", "Enter a full web address"),
        ({"url": "", "events": ["checkin.saved"]}, "url", "Enter the address that receives the events."),
        (
            {"url": "https://example.com/" + "a" * 500, "events": ["checkin.saved"]},
            "url",
            "Keep the address to 500 characters at most.",
        ),
        ({"url": "https://example.com/hook"}, "events", "Choose at least one event to send."),
        ({"url": "https://example.com/hook", "events": ["story.done"]}, "events", "Select a valid choice."),
    ],
)
def test_a_bad_webhook_is_refused_with_a_message_next_to_the_field(login, cast, data, field, message):
    response = login(cast.admin).post(reverse("webhook_list"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert f'id="id_{field}_error"' in body
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("who", ["leadership", "lead", "member"])
def test_only_admins_manage_webhooks(login, cast, who):
    webhook = hook(cast.org)
    client = login(getattr(cast, who))
    assert client.get(reverse("webhook_list")).status_code == 403
    assert client.post(reverse("webhook_list"), {"url": "https://x.example", "events": ALL_EVENTS}).status_code == 403
    assert client.get(reverse("webhook_detail", args=[webhook.pk])).status_code == 403
    assert client.post(reverse("webhook_delete", args=[webhook.pk])).status_code == 403
    assert Webhook.objects.count() == 1


def test_another_organisations_webhook_is_a_404(login, cast):
    webhook = hook(cast.org)
    client = login(cast.outsider)  # an admin, of Globex
    assert client.get(reverse("webhook_detail", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("webhook_active", args=[webhook.pk]), {"active": "0"}).status_code == 404
    assert client.post(reverse("webhook_delete", args=[webhook.pk])).status_code == 404
    assert webhook.url not in client.get(reverse("webhook_list")).content.decode()
    webhook.refresh_from_db()
    assert webhook.active


def test_switch_off_on_and_delete(login, cast):
    webhook = hook(cast.org)
    client = login(cast.admin)
    assert client.get(reverse("webhook_active", args=[webhook.pk])).status_code == 405
    assert client.post(reverse("webhook_active", args=[webhook.pk]), {"active": "0"}).status_code == 302
    webhook.refresh_from_db()
    assert not webhook.active
    assert "Switch on" in client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    client.post(reverse("webhook_active", args=[webhook.pk]), {"active": "1"})
    webhook.refresh_from_db()
    assert webhook.active
    page = client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    assert reverse("webhook_delete", args=[webhook.pk]) in page and "Switch off" in page
    response = client.post(reverse("webhook_delete", args=[webhook.pk]))
    assert response.status_code == 302 and response.url == reverse("webhook_list")
    assert not Webhook.objects.exists()


def test_the_delivery_log_shows_state_attempts_answer_and_htmx_gets_only_the_log(
    login, cast, published, django_assert_max_num_queries
):
    webhook = hook(cast.org)
    first, second, third = (
        webhooks.webhook_emit(organisation_id=cast.org.pk, event="checkin.saved", data={"n": n})[0] for n in range(3)
    )
    WebhookDelivery.objects.filter(pk=first).update(
        state=DeliveryState.DELIVERED, attempts=1, response_status=204, finished_at=timezone.now()
    )
    WebhookDelivery.objects.filter(pk=second).update(
        state=DeliveryState.FAILED, attempts=6, response_status=503, duration_ms=1234, error="HTTP 503: <down>"
    )
    WebhookDelivery.objects.filter(pk=third).update(attempts=2, error="Connection refused: nothing listens")
    client = login(cast.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    for text in ("Delivered", "Failed", "Retrying", "204", "503", "1234 ms", "Connection refused: nothing listens"):
        assert text in page
    assert "status status-ok" in page and "status status-off" in page and "status status-risk" in page
    assert "HTTP 503: &lt;down&gt;" in page  # escaped
    assert 'hx-trigger="every 10s"' in page  # polls while one is waiting
    partial = client.get(reverse("webhook_detail", args=[webhook.pk]), **HTMX).content.decode()
    assert partial.lstrip().startswith('<section class="card" id="deliveries"') and "<html" not in partial
    listing = client.get(reverse("webhook_list")).content.decode()
    assert "Retrying" in listing  # the latest delivery's state


# --- What emits what -------------------------------------------------------------------------------


def test_a_checkin_records_a_delivery_for_each_subscribed_active_webhook_only(
    cast, latency, published, django_capture_on_commit_callbacks
):
    subscribed = hook(cast.org, events=["checkin.saved"], url="https://a.example/hook")
    hook(cast.org, events=["checkin.saved"], active=False, url="https://off.example/hook")
    hook(cast.org, events=["objective.closed"], url="https://other-event.example/hook")
    hook(cast.outsider_org, events=ALL_EVENTS, url="https://globex.example/hook")
    with django_capture_on_commit_callbacks(execute=True):
        check_in(cast.member, latency, value=500, confidence=0.6)
    [delivery] = deliveries("checkin.saved")
    assert delivery.webhook == subscribed and delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert delivery.payload["id"] == delivery.pk and delivery.payload["organisation"] == cast.org.pk
    assert delivery.payload["data"] == {
        "key_result": {"id": latency.pk, "title": "API p95 latency"},
        "objective": {"id": latency.objective_id, "title": "Checkout is fast"},
        "week": "2026-11-16",
        "value": 500.0,
        "done": None,
        "confidence": 0.6,
        "author": "Member",
    }
    assert (delivery.pk, 0) in published  # queued only once the check-in committed
    assert WebhookDelivery.objects.count() == 1  # the other webhooks got nothing


def test_nothing_is_queued_before_commit_and_nothing_when_nobody_listens(
    cast, latency, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        check_in(cast.member, latency, value=500)
    assert not WebhookDelivery.objects.exists() and published == []
    hook(cast.org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        check_in(cast.member, latency, value=450)
    assert WebhookDelivery.objects.filter(event="checkin.saved").count() == 1
    assert published == []  # not before the commit
    for callback in callbacks:
        callback()
    assert len(published) == WebhookDelivery.objects.count()


def test_a_status_change_is_sent_from_the_checkin_and_from_the_sweep(cast, latency, published):
    hook(cast.org, events=["key_result.status_changed"])
    check_in(cast.member, latency, value=500, confidence=0.6)
    [first] = deliveries("key_result.status_changed")
    assert first.payload["data"] == {
        "key_result": {"id": latency.pk, "title": "API p95 latency"},
        "objective": {"id": latency.objective_id, "title": "Checkout is fast"},
        "old_status": "not_started",
        "new_status": "at_risk",
    }
    check_in(cast.member, latency, value=500, confidence=0.6)  # the same again: no change, no event
    assert len(deliveries("key_result.status_changed")) == 1
    jobs.sweep(today=TODAY + timedelta(days=30))  # no check-in for a month: stale, through the engine
    changes = [d.payload["data"] for d in deliveries("key_result.status_changed")[1:]]
    assert changes == [
        {
            "key_result": {"id": latency.pk, "title": "API p95 latency"},
            "objective": {"id": latency.objective_id, "title": "Checkout is fast"},
            "old_status": "at_risk",
            "new_status": "stale",
        }
    ]
    assert jobs.sweep(today=TODAY + timedelta(days=30))[0] == 0
    assert len(deliveries("key_result.status_changed")) == 1 + len(changes)  # a second sweep sends nothing


def test_nothing_private_is_ever_sent(cast, okrs, quarter, private_kr, published):
    hook(cast.org)
    check_in(cast.member, private_kr, value=1, confidence=0.9)
    jobs.sweep(today=TODAY + timedelta(days=30))
    objective_services.cycle_close(cycle=quarter)
    sent = [d.payload["data"] for d in WebhookDelivery.objects.all()]
    assert "vendor" not in json.dumps(sent).lower()
    assert private_kr.objective_id not in {data["objective"]["id"] for data in sent}
    assert private_kr.pk not in {data["key_result"]["id"] for data in sent if "key_result" in data}
    assert {data["objective"]["id"] for data in sent} == {o.pk for o in okrs}  # closed: the three others only
    assert {d.event for d in WebhookDelivery.objects.all()} == {"objective.closed"}


def test_closing_a_cycle_sends_each_objective_with_its_grades(cast, okrs, quarter, latency, published):
    hook(cast.org, events=["objective.closed"])
    objective_services.cycle_close(cycle=quarter, grades={latency.pk: (0.7, "Nearly there")})
    by_objective = {d.payload["data"]["objective"]["id"]: d.payload["data"] for d in deliveries("objective.closed")}
    assert set(by_objective) == {o.pk for o in okrs}
    team = by_objective[okrs[2].pk]
    assert team["cycle"] == {"id": quarter.pk, "name": "Q4 2026"} and team["team"] == cast.team.pk
    assert team["key_results"] == [{"id": latency.pk, "title": "API p95 latency", "grade": 0.7}]


def test_closing_one_objective_sends_it_once(cast, okrs, published):
    hook(cast.org, events=["objective.closed"])
    team = okrs[2]

    def update(state: str, visibility: str = "team") -> None:
        objective_services.objective_update(
            objective=team, title=team.title, owner=team.owner, visibility=visibility, state=state, parent=team.parent
        )

    update("active")
    assert deliveries("objective.closed") == []
    update("closed")
    update("closed")  # closed already: not again
    [delivery] = deliveries("objective.closed")
    assert delivery.payload["data"]["objective"] == {"id": team.pk, "title": "Checkout is fast"}
    update("active", visibility="private")
    update("closed", visibility="private")
    assert len(deliveries("objective.closed")) == 1


def test_an_unknown_event_is_a_programming_error(cast):
    with pytest.raises(ValueError, match="unknown webhook event"):
        webhooks.webhook_emit(organisation_id=cast.org.pk, event="story.done", data={})


# --- Sending (in this process) ---------------------------------------------------------------------


def emitted(cast, url: str) -> tuple[Webhook, WebhookDelivery]:
    """A new webhook and one delivery recorded for it alone."""
    webhook = hook(cast.org, url=url)
    Webhook.objects.exclude(pk=webhook.pk).update(events=[])  # earlier ones of the test hear nothing more
    [pk] = webhooks.webhook_emit(organisation_id=cast.org.pk, event="checkin.saved", data={"value": 1})
    return webhook, WebhookDelivery.objects.get(pk=pk)


@override_settings(WEBHOOKS_ALLOW_INTERNAL=True)  # the receiver listens on 127.0.0.1
def test_a_failed_attempt_is_recorded_and_retried_with_backoff_until_delivered(
    cast, published, receiver_factory, monkeypatch
):
    monkeypatch.setattr(webhooks, "RETRY_BASE_SECONDS", 30)
    receiver = receiver_factory([500, 502, 200])
    webhook, delivery = emitted(cast, receiver.url)
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=0) == webhooks.NextAttempt(1, 30)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.error == "HTTP 500: Internal Server Error" and delivery.duration_ms is not None
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=0) is None  # a duplicate of attempt 1
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=1) == webhooks.NextAttempt(2, 60)
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=2) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert delivery.error == "" and delivery.finished_at is not None
    assert webhooks.delivery_send(delivery_id=delivery.pk) is None  # delivered: never sent again
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert receiver_verifies(webhook.secret, headers, body)
        assert headers["X-Webhook-Delivery"] == str(delivery.pk)
        assert json.loads(body) == delivery.payload


@override_settings(WEBHOOKS_ALLOW_INTERNAL=True)
def test_after_the_last_attempt_the_delivery_has_failed(cast, published, receiver_factory):
    receiver = receiver_factory([503])
    _, delivery = emitted(cast, receiver.url)
    for attempt in range(webhooks.MAX_ATTEMPTS - 1):
        assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=attempt) is not None
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=webhooks.MAX_ATTEMPTS - 1) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert delivery.finished_at is not None
    assert webhooks.delivery_send(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


@override_settings(WEBHOOKS_ALLOW_INTERNAL=True)
def test_network_errors_and_redirects_are_failed_attempts(cast, published, receiver_factory):
    _, refused = emitted(cast, "http://127.0.0.1:1/nobody-listens")
    assert webhooks.delivery_send(delivery_id=refused.pk) is not None
    refused.refresh_from_db()
    assert refused.response_status is None and "refused" in refused.error.lower()
    redirecting = receiver_factory([302], location="https://elsewhere.example/")
    _, moved = emitted(cast, redirecting.url)
    assert webhooks.delivery_send(delivery_id=moved.pk) is not None
    moved.refresh_from_db()
    assert (moved.response_status, moved.state) == (302, "pending") and "redirect (not followed)" in moved.error


def test_a_switched_off_webhook_sends_nothing_more(cast, published, receiver_factory):
    receiver = receiver_factory([200])
    webhook, delivery = emitted(cast, receiver.url)
    webhooks.webhook_set_active(webhook=webhook, active=False)
    assert webhooks.webhook_emit(organisation_id=cast.org.pk, event="checkin.saved", data={}) == []
    assert webhooks.delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "deactivated" in delivery.error and receiver.requests == []


def test_the_redelivery_job_queues_only_what_no_task_will_send(cast, published, monkeypatch):
    monkeypatch.setattr(webhooks, "RETRY_BASE_SECONDS", 30)  # 4 attempts: about 8 minutes of backoff
    hook(cast.org)
    ids = [webhooks.webhook_emit(organisation_id=cast.org.pk, event="checkin.saved", data={})[0] for _ in range(4)]
    fresh, lost, retrying, overdue = ids
    long_ago = timezone.now() - timedelta(hours=2)
    WebhookDelivery.objects.filter(pk=lost).update(created_at=timezone.now() - timedelta(minutes=6))
    WebhookDelivery.objects.filter(pk=retrying).update(created_at=timezone.now() - timedelta(minutes=6), attempts=4)
    WebhookDelivery.objects.filter(pk=overdue).update(created_at=long_ago, attempts=4)
    finished = webhooks.webhook_emit(organisation_id=cast.org.pk, event="checkin.saved", data={})[0]
    WebhookDelivery.objects.filter(pk=finished).update(
        state="delivered", finished_at=timezone.now() - webhooks.KEEP_FINISHED - timedelta(days=1)
    )
    published.clear()
    result = webhooks.webhooks_redeliver()
    assert published == [(overdue, 4), (lost, 0)]  # oldest first; the fresh one and one in its backoff wait
    assert (result.queued, result.pruned) == (2, 1) and not WebhookDelivery.objects.filter(pk=finished).exists()
    assert fresh in set(WebhookDelivery.objects.values_list("pk", flat=True))


def test_a_broker_down_at_commit_is_logged_not_raised(cast, monkeypatch, caplog):
    from kombu.exceptions import OperationalError

    from okrapp.tasks import deliver_webhook

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_webhook, "apply_async", down)
    assert webhooks.deliveries_publish([(1, 0), (2, 0)]) == 0
    assert "not queued" in caplog.text and "redelivery job" in caplog.text


# --- A real worker ---------------------------------------------------------------------------------


@pytest.fixture
def fast_retry_worker(monkeypatch):
    """A worker whose webhook backoff starts at one second, delivering to this machine's receiver (the
    worker reads both from its environment)."""
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("WEBHOOKS_ALLOW_INTERNAL", "on")
    process = start_worker()
    yield process
    stop_worker(process)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_checkin_after_one_failure(cast, latency, receiver_factory, fast_retry_worker):
    receiver = receiver_factory([500, 200])
    webhook = hook(cast.org, events=["checkin.saved"], url=receiver.url)
    check_in(cast.member, latency, value=500, confidence=0.6)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    done = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, state="delivered").first(), timeout=15)
    if done is None:
        fast_retry_worker.kill()
        output = fast_retry_worker.stdout.read() if fast_retry_worker.stdout else ""
        pytest.fail(f"not delivered: {WebhookDelivery.objects.filter(pk=delivery.pk).values().first()}\n{output}")
    assert (done.attempts, done.response_status, done.error) == (2, 200, "")
    assert done.duration_ms is not None
    assert done.finished_at is not None
    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        assert receiver_verifies(webhook.secret, headers, body)
        assert headers["X-Webhook-Event"] == "checkin.saved" and headers["X-Webhook-Delivery"] == str(delivery.pk)
        assert json.loads(body)["data"]["key_result"] == {"id": latency.pk, "title": "API p95 latency"}
    time.sleep(1.5)  # a duplicate retry would have arrived by now
    assert len(receiver.requests) == 2


# --- Finding 1 of issue 19: server-side request forgery ----------------------------------------------


def test_finding_1_a_webhook_to_the_servers_own_loopback_is_refused_and_sends_nothing(
    login, cast, published, receiver_factory
):
    """Default settings: an admin registering http://127.0.0.1:<port>/ is refused next to the field; a row
    that exists anyway (registered before, or by another door) is refused at send time: the local server
    sees no request, and the page shows the refusal in words, no answer's body."""
    receiver = receiver_factory([200])
    client = login(cast.admin)
    response = client.post(reverse("webhook_list"), {"url": receiver.url, "events": ["checkin.saved"]})
    assert response.status_code == 422
    body = response.content.decode()
    assert "127.0.0.1 is a loopback address" in body and 'id="id_url_error"' in body
    assert not Webhook.objects.exists()
    webhook, delivery = emitted(cast, receiver.url)
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=0) is None  # refused: not retried
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("failed", 1, None)
    assert delivery.error == "Refused: 127.0.0.1 is a loopback address." and delivery.finished_at is not None
    assert receiver.requests == []
    page = client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    assert "Refused: 127.0.0.1 is a loopback address." in page and "thanks" not in page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://127.0.0.1:8000/healthz",
            "Refused: 127.0.0.1 is a loopback address. Webhooks go only to addresses on the public internet.",
        ),
        ("http://169.254.169.254/latest/meta-data/", "Refused: 169.254.169.254 is a cloud metadata address."),
        ("http://[::1]:8000/", "Refused: ::1 is a loopback address."),
        ("http://[::ffff:7f00:1]/", "Refused: ::ffff:7f00:1 is an IPv6 form of 127.0.0.1, a loopback address."),
        ("https://10.1.2.3/hook", "Refused: 10.1.2.3 is a private network address."),
        ("http://100.64.0.9/", "Refused: 100.64.0.9 is a shared address (carrier-grade NAT, 100.64.0.0/10)."),
        ("http://localhost:8000/", "Refused: localhost resolves to 127.0.0.1, a loopback address."),
        ("https://intranet.example.com/hook", "Refused: intranet.example.com resolves to 10.0.0.5, a private"),
        ("https://ops:secret@hooks.example.com/", "Refused: the address holds a user name or password"),
        ("https://nowhere.invalid/hook", "No address found for nowhere.invalid: check the host name."),
    ],
)
def test_an_internal_address_is_refused_next_to_the_field(login, cast, webhook_network, url, message):
    webhook_network["intranet.example.com"] = ["93.184.215.14", "10.0.0.5"]  # ANY internal answer refuses
    response = login(cast.admin).post(reverse("webhook_list"), {"url": url, "events": ["checkin.saved"]})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_url_error"' in body and message.replace("'", "&#x27;") in body
    assert not Webhook.objects.exists()


def test_a_self_hoster_may_allow_internal_addresses_but_never_metadata(login, cast, settings):
    settings.WEBHOOKS_ALLOW_INTERNAL = True
    client = login(cast.admin)
    response = client.post(reverse("webhook_list"), {"url": "http://10.1.2.3:8080/hook", "events": ["checkin.saved"]})
    assert response.status_code == 302 and Webhook.objects.get().url == "http://10.1.2.3:8080/hook"
    refused = client.post(reverse("webhook_list"), {"url": "http://169.254.169.254/", "events": ["checkin.saved"]})
    assert refused.status_code == 422 and "169.254.169.254 is a cloud metadata address" in refused.content.decode()
    assert "also delivers to addresses on its own network" in client.get(response.url).content.decode()


def test_a_name_that_resolves_internal_by_delivery_time_is_refused_then(cast, published, webhook_network, monkeypatch):
    """Registered while public, the name now answers 127.0.0.1: each attempt checks again, sends nothing
    and fails at once (a refused address stays refused: no retries)."""
    webhook_network["hooks.example.com"] = ["93.184.215.14"]
    _, delivery = emitted(cast, "https://hooks.example.com/okr")
    webhook_network["hooks.example.com"] = ["93.184.215.14", "127.0.0.1"]
    dialled: list[object] = []
    monkeypatch.setattr("okrapp.webhook_transport.open_socket", lambda *args: dialled.append(args))
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=0) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status, delivery.duration_ms) == (
        "failed",
        1,
        None,
        None,
    )
    assert delivery.error == "Refused: hooks.example.com resolves to 127.0.0.1, a loopback address."
    assert dialled == []


def test_a_name_without_an_address_is_a_failed_attempt_that_is_retried(cast, published):
    _, delivery = emitted(cast, "https://gone.invalid/okr")
    assert webhooks.delivery_send(delivery_id=delivery.pk, attempt=0) is not None  # DNS may come back
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.error == "Not sent: no address found for gone.invalid."


@override_settings(WEBHOOKS_ALLOW_INTERNAL=True)
def test_the_log_keeps_status_and_time_but_never_the_answers_body(login, cast, published, receiver_factory):
    receiver = receiver_factory([500])  # answers "receiver broke: xxx…"
    webhook, delivery = emitted(cast, receiver.url)
    webhooks.delivery_send(delivery_id=delivery.pk, attempt=0)
    assert len(receiver.requests) == 1
    stored = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()
    assert not any("receiver broke" in str(value) for value in stored.values())
    assert stored["response_status"] == 500 and stored["duration_ms"] is not None
    page = login(cast.admin).get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    assert "HTTP 500: Internal Server Error" in page and f"{stored['duration_ms']} ms" in page
    assert "receiver broke" not in page
