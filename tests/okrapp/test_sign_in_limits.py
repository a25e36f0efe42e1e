"""Sign-in limits beyond one account: a per-address limit across accounts (higher than the per-account
one, page and API token endpoint together), and the password reset throttled per account and address."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from okrapp.models import SecurityEvent, SecurityEventKind
from tests.factories import PASSWORD
from tests.okrapp.test_env import assert_one_line_exit_2

pytestmark = pytest.mark.django_db

HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20  # the defaults, asserted below; the tests count against these


@pytest.fixture(autouse=True)
def fresh_throttles():
    """The API's per-address throttle counts in the cache, which outlives each test's transaction."""
    cache.clear()


def sign_in(client, email: str, password: str, address: str = HOME):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def spray(client, count: int, address: str = HOME, start: int = 0) -> list[int]:
    """One wrong password each for ``count`` different accounts (most of them nobody's) from one address."""
    return [sign_in(client, f"person{n}@acme.test", "wrong", address).status_code for n in range(start, start + count)]


def test_the_address_limit_comes_from_the_environment_and_sits_above_the_account_limit():
    assert settings.AXES_FAILURE_LIMIT == ACCOUNT_LIMIT
    assert getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", None) == ADDRESS_LIMIT


@pytest.mark.parametrize(("value", "expected"), [("-1", "LOGIN_ADDRESS_FAILURE_LIMIT"), ("5", "higher than")])
def test_a_bad_address_limit_stops_start_up(value, expected):
    assert_one_line_exit_2(["manage.py", "check"], {"LOGIN_ADDRESS_FAILURE_LIMIT": value}, expected)


def test_one_try_each_for_25_accounts_from_one_address_locks_the_address(client, cast):
    statuses = spray(client, 25)
    # Every try below the limit is an ordinary refusal; the one that reaches it and all after: locked.
    assert statuses[: ADDRESS_LIMIT - 1] == [422] * (ADDRESS_LIMIT - 1)
    assert statuses[ADDRESS_LIMIT - 1 :] == [429] * (25 - ADDRESS_LIMIT + 1)
    # From that address even the right password of an untouched account is refused, unchecked …
    refused = sign_in(client, "member@acme.test", PASSWORD)
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert refused["Retry-After"] == str(15 * 60)
    # … while another address still gets in.
    assert sign_in(client, "member@acme.test", PASSWORD, ELSEWHERE).status_code == 302


def test_the_locked_answer_and_the_log_say_it_was_the_address_limit(client, cast):
    spray(client, ADDRESS_LIMIT - 1)
    response = sign_in(client, "member@acme.test", "wrong")  # the failure that reaches the limit
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins from your address" in page
    assert "for this account" not in page
    sign_in(client, "mate@acme.test", PASSWORD)  # refused while locked: no second lockout
    [lockout] = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKOUT)
    assert lockout.ip_address == HOME and lockout.subject_user == cast.member.user
    assert lockout.detail.startswith(f"Address limit: {ADDRESS_LIMIT} failed sign-ins from this address")
    refused = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).order_by("pk").last()
    assert refused is not None and refused.subject_user == cast.teammate.user
    assert refused.detail == "Refused without checking the password: this address is locked (address limit)."


def test_the_account_limit_is_unchanged_and_says_so(client, cast):
    statuses = [sign_in(client, "member@acme.test", "wrong").status_code for _ in range(ACCOUNT_LIMIT)]
    assert statuses == [422] * (ACCOUNT_LIMIT - 1) + [429]
    [lockout] = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKOUT)
    assert lockout.detail.startswith(f"Account limit: {ACCOUNT_LIMIT} failed sign-ins for this account")
    # The address is not locked for anyone else: far below its own limit.
    assert sign_in(client, "mate@acme.test", PASSWORD).status_code == 302


def test_the_api_token_endpoint_counts_with_the_page_against_the_address_limit(cast):
    api = APIClient(REMOTE_ADDR=HOME)
    url = reverse("api-token")
    api_tries = 4  # below the endpoint's own rate (API_LOGIN_RATE, 10/min)
    assert spray(api, ADDRESS_LIMIT - api_tries) == [422] * (ADDRESS_LIMIT - api_tries)
    for n in range(api_tries - 1):
        answer = api.post(url, {"email": f"api{n}@acme.test", "password": "wrong"}, format="json")
        assert answer.status_code == 401
    locked = api.post(url, {"email": "api-last@acme.test", "password": "wrong"}, format="json")
    assert locked.status_code == 429
    assert locked.json()["errors"][0]["message"].startswith("Too many failed sign-ins from your address")
    refused = api.post(url, {"email": "member@acme.test", "password": PASSWORD}, format="json")
    assert refused.status_code == 429
    assert sign_in(api, "member@acme.test", PASSWORD).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR=ELSEWHERE)
    assert elsewhere.post(url, {"email": "member@acme.test", "password": PASSWORD}, format="json").status_code == 201


def test_failures_older_than_the_cool_off_do_not_count_against_the_address(client, cast):
    from datetime import timedelta

    from axes.models import AccessAttempt

    spray(client, ADDRESS_LIMIT - 1)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert spray(client, ADDRESS_LIMIT - 1, start=100) == [422] * (ADDRESS_LIMIT - 1)


def test_an_admin_unlock_still_lifts_an_account_lock_near_the_address_limit(client, login, cast):
    spray(client, ADDRESS_LIMIT - ACCOUNT_LIMIT - 1)
    assert [sign_in(client, "member@acme.test", "wrong").status_code for _ in range(ACCOUNT_LIMIT)][-1] == 429
    assert login(cast.admin).post(reverse("person_unlock", args=[cast.member.pk])).status_code == 302
    client.logout()
    # The unlock forgot the member's failures, so the address is back below its limit too.
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 302


# The password reset: at most PASSWORD_RESET_ACCOUNT_LIMIT e-mails per account and
# PASSWORD_RESET_ADDRESS_LIMIT requests per address within an hour.
RESET_ACCOUNT_LIMIT = 3
RESET_ADDRESS_LIMIT = 10


def reset(client, email: str, address: str = HOME):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_the_reset_limits_come_from_the_environment():
    assert getattr(settings, "PASSWORD_RESET_ACCOUNT_LIMIT", None) == RESET_ACCOUNT_LIMIT
    assert getattr(settings, "PASSWORD_RESET_ADDRESS_LIMIT", None) == RESET_ADDRESS_LIMIT


@pytest.mark.parametrize("variable", ["PASSWORD_RESET_ACCOUNT_LIMIT", "PASSWORD_RESET_ADDRESS_LIMIT"])
def test_a_bad_reset_limit_stops_start_up(variable):
    assert_one_line_exit_2(["manage.py", "check"], {variable: "0"}, variable)


def test_16_reset_requests_for_one_account_from_many_addresses_send_the_account_limit(client, cast, mailoutbox):
    answers = [reset(client, "member@acme.test", address=f"10.0.3.{n}") for n in range(16)]
    assert len(mailoutbox) == RESET_ACCOUNT_LIMIT
    assert {m.to[0] for m in mailoutbox} == {"member@acme.test"}
    # Every answer is the same "check your e-mail": the account's limit is not revealed.
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("password_reset_done"))}


def test_16_reset_requests_in_a_row_from_one_address(client, cast, mailoutbox):
    answers = [reset(client, "member@acme.test").status_code for _ in range(16)]
    assert len(mailoutbox) == RESET_ACCOUNT_LIMIT
    assert answers == [302] * RESET_ADDRESS_LIMIT + [429] * (16 - RESET_ADDRESS_LIMIT)
    refused = reset(client, "mate@acme.test")
    assert refused.status_code == 429 and len(mailoutbox) == RESET_ACCOUNT_LIMIT
    assert "Too many password reset requests from your address" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    # Another address is not held back.
    assert reset(client, "mate@acme.test", ELSEWHERE).status_code == 302
    assert mailoutbox[-1].to == ["mate@acme.test"]


def test_a_reset_answers_the_same_whether_the_account_exists_or_not(client, cast, mailoutbox):
    known = reset(client, "member@acme.test", "10.0.4.1")
    unknown = reset(client, "nobody@acme.test", "10.0.4.2")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mailoutbox) == 1
    # An e-mail of no account still counts against the address (spraying addresses is refused too).
    answers = [reset(client, f"nobody{n}@acme.test", "10.0.4.3").status_code for n in range(RESET_ADDRESS_LIMIT + 1)]
    assert answers[-1] == 429 and answers[:-1] == [302] * RESET_ADDRESS_LIMIT


def test_the_reset_limits_count_one_hour(client, cast, mailoutbox):
    from datetime import timedelta

    from okrapp.models import PasswordResetRequest

    for n in range(RESET_ACCOUNT_LIMIT):
        reset(client, "member@acme.test", f"10.0.5.{n}")
    PasswordResetRequest.objects.update(
        created_at=PasswordResetRequest.objects.first().created_at - timedelta(minutes=61)
    )
    reset(client, "member@acme.test", "10.0.5.9")
    assert len(mailoutbox) == RESET_ACCOUNT_LIMIT + 1
    assert PasswordResetRequest.objects.count() == 1  # the hour-old requests were pruned


def test_an_admin_sees_an_address_lock_on_the_persons_page(client, login, cast):
    spray(client, ADDRESS_LIMIT - 1)
    assert sign_in(client, "member@acme.test", "wrong").status_code == 429  # the failure reaching the limit
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 429
    admin = login(cast.admin)
    html = admin.get(reverse("person_detail", args=[cast.member.pk])).content.decode()
    assert "Address locked" in html and HOME in html and "from another address they can sign in now" in html
    # Someone who never tried from there sees no such notice.
    assert "Address locked" not in admin.get(reverse("person_detail", args=[cast.teammate.pk])).content.decode()
