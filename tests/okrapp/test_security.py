"""Login throttling (django-axes, per account and address), the admin's unlock, and the security log."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from okrapp.lockout import client_ip
from okrapp.models import ApiToken, CompanyRole, SecurityEvent, SecurityEventKind
from tests.factories import PASSWORD
from tests.okrapp.test_env import assert_one_line_exit_2

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttles():
    """The API's per-address throttle counts in the cache, which outlives each test's transaction."""
    cache.clear()


HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, email: str, password: str, address: str = HOME):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def fail_until_locked(client, email: str, address: str = HOME):
    """LIMIT wrong passwords: every one before the last answers 422, the last one locks (429)."""
    for _ in range(LIMIT - 1):
        assert sign_in(client, email, "wrong", address).status_code == 422
    response = sign_in(client, email, "wrong", address)
    assert response.status_code == 429
    return response


def events(kind: str, **filters) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind, **filters).order_by("pk"))


def test_the_limit_comes_from_the_environment_with_sensible_defaults():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


@pytest.mark.parametrize("variable", ["LOGIN_FAILURE_LIMIT", "LOGIN_LOCKOUT_MINUTES", "TRUSTED_PROXY_COUNT"])
def test_a_bad_throttling_value_stops_start_up(variable):
    assert_one_line_exit_2(["manage.py", "check"], {variable: "-1"}, variable)


def test_locked_after_repeated_failures_for_that_account_and_address_only(client, cast):
    fail_until_locked(client, "member@acme.test")
    # The right password from the locked address is refused, and nobody is signed in.
    refused = sign_in(client, "member@acme.test", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # The same person from another address, and another person from the same address, still sign in.
    assert sign_in(client, "member@acme.test", PASSWORD, ELSEWHERE).status_code == 302
    client.logout()
    assert sign_in(client, "mate@acme.test", PASSWORD).status_code == 302


def test_the_e_mails_case_does_not_buy_more_attempts(client, cast):
    for n in range(LIMIT - 1):
        email = "Member@ACME.test" if n % 2 else "member@acme.test"
        assert sign_in(client, email, "wrong").status_code == 422
    assert sign_in(client, "MEMBER@acme.test", "wrong").status_code == 429


def test_the_locked_page_says_why_and_what_to_do(client, cast):
    response = fail_until_locked(client, "member@acme.test")
    page = response.content.decode()
    assert "Too many failed sign-ins for this account from your address" in page
    assert "Try again in 15 minutes or ask a company admin to unlock it." in page
    assert 'value="member@acme.test"' in page  # the e-mail is kept
    assert "<h1>Sign in</h1>" in page and "Traceback" not in page
    assert response["Retry-After"] == str(15 * 60)
    assert "nonce-" in response["Content-Security-Policy"]  # rendered inside the CSP middleware


def test_a_good_sign_in_forgets_earlier_failures(client, cast):
    for _ in range(LIMIT - 1):
        sign_in(client, "member@acme.test", "wrong")
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert sign_in(client, "member@acme.test", "wrong").status_code == 422


def test_an_admin_sees_the_lock_and_unlocks_it(client, login, cast):
    fail_until_locked(client, "member@acme.test")
    admin = login(cast.admin)
    page = admin.get(reverse("person_detail", args=[cast.member.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign-in locked" in html and HOME in html
    assert reverse("person_unlock", args=[cast.member.pk]) in html
    # Not locked: no notice.
    assert "Sign-in locked" not in admin.get(reverse("person_detail", args=[cast.teammate.pk])).content.decode()

    response = admin.post(reverse("person_unlock", args=[cast.member.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("person_detail", args=[cast.member.pk])
    assert "Sign-in locked" not in admin.get(reverse("person_detail", args=[cast.member.pk])).content.decode()
    [unlock] = events(SecurityEventKind.UNLOCK)
    assert unlock.actor == cast.admin and unlock.subject_user == cast.member.user
    assert unlock.organisation == cast.org

    admin.logout()
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 302


def test_only_admins_unlock(client, login, cast):
    fail_until_locked(client, "member@acme.test")
    url = reverse("person_unlock", args=[cast.member.pk])
    assert login(cast.lead).post(url).status_code == 403
    assert "Sign-in locked" not in client.get(reverse("person_detail", args=[cast.member.pk])).content.decode()
    assert login(cast.outsider).post(url).status_code == 404  # another organisation's admin
    assert login(cast.admin).get(url).status_code == 405  # a POST only
    assert not events(SecurityEventKind.UNLOCK)
    client.logout()
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 429


def test_the_api_token_endpoint_counts_with_the_sign_in_page(cast):
    api = APIClient(REMOTE_ADDR=HOME)
    url = reverse("api-token")
    page_failures = 2
    for _ in range(page_failures):
        assert sign_in(api, "member@acme.test", "wrong").status_code == 422
    for _ in range(LIMIT - page_failures - 1):
        assert api.post(url, {"email": "member@acme.test", "password": "wrong"}, format="json").status_code == 401
    locked = api.post(url, {"email": "member@acme.test", "password": "wrong"}, format="json")
    assert locked.status_code == 429
    assert locked.json() == {"errors": [{"field": None, "message": locked.json()["errors"][0]["message"]}]}
    assert "Too many failed sign-ins" in locked.json()["errors"][0]["message"]
    refused = api.post(url, {"email": "member@acme.test", "password": PASSWORD}, format="json")
    assert refused.status_code == 429
    assert not ApiToken.objects.exists()
    # The page is locked too, and another address still gets its token.
    assert sign_in(api, "member@acme.test", PASSWORD).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR=ELSEWHERE)
    assert elsewhere.post(url, {"email": "member@acme.test", "password": PASSWORD}, format="json").status_code == 201


def test_sign_ins_failures_and_one_lockout_are_logged(client, cast):
    assert sign_in(client, "member@acme.test", PASSWORD).status_code == 302
    [login_event] = events(SecurityEventKind.LOGIN)
    assert (login_event.organisation, login_event.subject_user, login_event.ip_address) == (
        cast.org,
        cast.member.user,
        HOME,
    )
    client.logout()

    fail_until_locked(client, "Mate@acme.test")
    sign_in(client, "mate@acme.test", PASSWORD)  # refused while locked: a failure, not a second lockout
    failures = events(SecurityEventKind.LOGIN_FAILED)
    assert len(failures) == LIMIT + 1
    assert {(f.organisation, f.subject_user, f.subject_email, f.ip_address) for f in failures} == {
        (cast.org, cast.teammate.user, "mate@acme.test", HOME)
    }
    assert failures[-1].detail.startswith("Refused without checking the password")
    [lockout] = events(SecurityEventKind.LOCKOUT)
    assert (lockout.organisation, lockout.subject_user, lockout.ip_address) == (cast.org, cast.teammate.user, HOME)
    # In order: the failure that reached the limit, then the lockout, then the refused attempt.
    assert failures[LIMIT - 1].pk < lockout.pk < failures[LIMIT].pk
    for event in SecurityEvent.objects.all():
        assert PASSWORD not in event.detail and "wrong" not in event.detail

    # An e-mail of no account belongs to no organisation.
    sign_in(client, "nobody@nowhere.test", "wrong")
    [stranger] = events(SecurityEventKind.LOGIN_FAILED, subject_email="nobody@nowhere.test")
    assert stranger.organisation is None and stranger.subject_user is None


def test_role_changes_are_logged_with_who_changed_them(client, login, cast):
    admin = login(cast.admin)
    url = reverse("person_detail", args=[cast.member.pk])
    response = admin.post(url, {"role": CompanyRole.LEADERSHIP, "job_title": "Analyst"}, REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 302
    [change] = events(SecurityEventKind.ROLE_CHANGED)
    assert (change.actor, change.subject_user, change.organisation, change.ip_address) == (
        cast.admin,
        cast.member.user,
        cast.org,
        ELSEWHERE,
    )
    assert change.detail == "Company role Employee → Leadership."
    # A new job title alone is no role change.
    admin.post(url, {"role": CompanyRole.LEADERSHIP, "job_title": "Lead analyst"})
    assert len(events(SecurityEventKind.ROLE_CHANGED)) == 1


def test_tokens_created_and_revoked_are_logged_without_their_secret(client, login, cast):
    member = login(cast.member)
    member.post(reverse("api_tokens"), {"name": "CI metrics push"})
    token = ApiToken.objects.get()
    member.post(reverse("api_token_revoke", args=[token.pk]))
    member.post(reverse("api_token_revoke", args=[token.pk]))  # again: nothing more to log
    [created] = events(SecurityEventKind.TOKEN_CREATED)
    [revoked] = events(SecurityEventKind.TOKEN_REVOKED)
    for event in (created, revoked):
        assert (event.actor, event.subject_user, event.organisation, event.ip_address) == (
            cast.member,
            cast.member.user,
            cast.org,
            "127.0.0.1",
        )
        assert "CI metrics push" in event.detail and token.prefix in event.detail
    # Through the API's token endpoint too.
    APIClient(REMOTE_ADDR=HOME).post(
        reverse("api-token"), {"email": "member@acme.test", "password": PASSWORD}, format="json"
    )
    assert events(SecurityEventKind.TOKEN_CREATED)[-1].ip_address == HOME


def test_the_security_log_page_shows_only_the_organisations_events(client, login, cast):
    fail_until_locked(client, "member@acme.test")
    fail_until_locked(client, "admin@globex.test")  # the other organisation's admin
    admin = login(cast.admin)
    response = admin.get(reverse("security_log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "member@acme.test" in html and "Sign-in locked" in html
    assert "globex" not in html.lower()
    locked_only = admin.get(reverse("security_log"), {"kind": "lockout"})
    assert locked_only.context["events"] == events(SecurityEventKind.LOCKOUT, organisation=cast.org)[::-1]
    assert len(locked_only.context["events"]) == 1
    # An unknown kind shows everything rather than failing.
    assert admin.get(reverse("security_log"), {"kind": "nonsense"}).status_code == 200

    outsider = login(cast.outsider)
    theirs = outsider.get(reverse("security_log"))
    assert "admin@globex.test" in theirs.content.decode()
    assert "acme" not in theirs.content.decode().split("<main", 1)[1].lower()


def test_the_security_log_is_for_admins(client, login, cast):
    assert login(cast.leadership).get(reverse("security_log")).status_code == 403
    client.logout()
    assert client.get(reverse("security_log")).status_code == 302
    settings_page = login(cast.admin).get(reverse("organisation_settings")).content.decode()
    assert reverse("security_log") in settings_page


QUERIES = 9  # session, user, viewer (2), the events (one query), the bell, the session saved (3)


def test_the_security_log_page_costs_the_same_queries_for_more_events(client, login, cast, django_assert_num_queries):
    fail_until_locked(client, "member@acme.test")
    admin = login(cast.admin)
    admin.get(reverse("security_log"))
    with django_assert_num_queries(QUERIES):
        assert admin.get(reverse("security_log")).status_code == 200
    admin.logout()
    for n in range(3):
        fail_until_locked(client, "mate@acme.test", address=f"10.0.1.{n}")
    admin = login(cast.admin)
    admin.get(reverse("security_log"))
    with django_assert_num_queries(QUERIES):
        response = admin.get(reverse("security_log"))
    assert len(response.context["events"]) > 3 * LIMIT


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.9.9.9"),  # no proxy trusted: the header is the client's to forge
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the proxy appended the client it saw
        (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
        (1, "", "10.9.9.9"),
        (1, "not-an-address", None),
    ],
)
def test_the_client_address_behind_trusted_proxies(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/accounts/login/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_a_proxy_lockouts_count_per_client_not_per_proxy(client, cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": "member@acme.test", "password": "wrong"},
            REMOTE_ADDR="172.18.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    other_client = client.post(
        reverse("login"),
        {"username": "member@acme.test", "password": PASSWORD},
        REMOTE_ADDR="172.18.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert other_client.status_code == 302
    assert events(SecurityEventKind.LOCKOUT)[0].ip_address == "203.0.113.9"
