"""Login by e-mail with one generic error, logout, password change and reset."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

GENERIC = "That e-mail and password do not match an account."


@pytest.mark.django_db
def test_login_by_email_any_case(client, cast):
    response = client.post(reverse("login"), {"username": "Member@ACME.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"), [("member@acme.test", "wrong password"), ("nobody@acme.test", PASSWORD)]
)
def test_login_error_is_the_same_for_wrong_email_or_password(client, cast, email, password):
    response = client.post(reverse("login"), {"username": email, "password": password})
    assert response.status_code == 422
    assert GENERIC in response.content.decode()


@pytest.mark.django_db
def test_inactive_person_gets_the_same_generic_error(client, cast):
    cast.member.user.is_active = False
    cast.member.user.save()
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": PASSWORD})
    assert GENERIC in response.content.decode()


@pytest.mark.django_db
def test_pages_need_login(client, cast):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_logout_is_a_post(client, login, cast):
    login(cast.member)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_password_change(client, login, cast):
    login(cast.member)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much better passphrase",
            "new_password2": "a much better passphrase",
        },
    )
    assert response.status_code == 302
    cast.member.user.refresh_from_db()
    assert cast.member.user.check_password("a much better passphrase")


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, cast):
    response = client.post(reverse("password_reset"), {"email": "member@acme.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert "Choose a password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a fresh passphrase here", "new_password2": "a fresh passphrase here"},
    )
    assert done.status_code == 302
    cast.member.user.refresh_from_db()
    assert cast.member.user.check_password("a fresh passphrase here")


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Sign in" in body
    assert 'name="username"' in body and 'type="email"' in body


@pytest.mark.django_db
def test_an_invited_person_can_ask_for_a_new_link(client, cast):
    cast.member.user.set_unusable_password()
    cast.member.user.save()
    client.post(reverse("password_reset"), {"email": "member@acme.test"})
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_invitation_text_is_not_html_escaped(cast):
    from okrapp.services import send_set_password_email

    cast.admin.user.full_name = "Ann O'Brien & Co"
    send_set_password_email(user=cast.member.user, invited_by=cast.admin.user, site_url="http://x")
    assert "Ann O'Brien & Co added you" in mail.outbox[0].body
