"""New organisations: the service, the ``create_organisation`` command (its set-password link works), the
optional sign-up page, and two organisations on one installation never seeing each other."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from objectives import services as objective_services
from okrapp.models import CompanyRole, Membership, Organisation, Team, User
from okrapp.organisations import organisation_create
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SITE = "https://okr.example.test"
GOOD_PASSWORD = "plum-harbour-1987-kite"


@pytest.fixture(autouse=True)
def empty_throttles():
    cache.clear()  # the sign-up throttle counts in the cache
    yield
    cache.clear()


def counts() -> tuple[int, int, int]:
    return Organisation.objects.count(), User.objects.count(), Membership.objects.count()


# --- The service ------------------------------------------------------------------------------------------


def test_organisation_create_makes_the_organisation_and_its_admin_without_a_password():
    admin = organisation_create(
        name="  Acme Corp ", admin_email="Ana@Acme.TEST", admin_name="Ana Admin", time_zone="Europe/Berlin"
    )
    assert (admin.organisation.name, admin.organisation.slug, admin.organisation.time_zone) == (
        "Acme Corp",
        "acme-corp",
        "Europe/Berlin",
    )
    assert admin.role == CompanyRole.ADMIN
    assert (admin.user.email, admin.user.full_name) == ("ana@acme.test", "Ana Admin")
    assert not admin.user.has_usable_password()


def test_a_derived_slug_steps_aside_for_a_taken_one():
    Organisation.objects.create(name="Acme", slug="acme")
    Organisation.objects.create(name="Acme", slug="acme-2")
    admin = organisation_create(name="Acme", admin_email="b@acme.test", admin_name="Bo")
    assert admin.organisation.slug == "acme-3"


def test_organisation_create_with_a_password_checks_it_with_djangos_validators():
    before = counts()
    with pytest.raises(ValidationError) as refused:
        organisation_create(name="Acme", admin_email="a@acme.test", admin_name="Ana", password="12345678")
    assert "password" in refused.value.message_dict
    assert counts() == before
    admin = organisation_create(name="Acme", admin_email="a@acme.test", admin_name="Ana", password=GOOD_PASSWORD)
    assert admin.user.check_password(GOOD_PASSWORD)


# --- The command ------------------------------------------------------------------------------------------


@override_settings(SITE_URL=SITE)
def test_command_creates_and_prints_a_set_password_link_that_works(client):
    out = StringIO()
    call_command(
        "create_organisation",
        "--name",
        "Acme",
        "--admin-email",
        "a@acme.test",
        "--admin-name",
        "Ana Admin",
        "--slug",
        "acme",
        "--time-zone",
        "Europe/Berlin",
        stdout=out,
    )
    text = out.getvalue()
    assert "Created organisation Acme (slug acme, time zone Europe/Berlin)" in text
    assert "valid for 3 days" in text
    link = re.search(rf"{re.escape(SITE)}/\S+", text)
    assert link is not None
    admin = Membership.objects.get(user__email="a@acme.test")
    assert admin.role == CompanyRole.ADMIN and admin.organisation.slug == "acme"
    assert not admin.user.has_usable_password()

    # Follow it as the admin would: Django swaps the token for a session key and redirects to the form.
    path = urlsplit(link.group(0)).path
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    client.logout()
    signed_in = client.post(reverse("login"), {"username": "a@acme.test", "password": GOOD_PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(reverse("organisation_settings")).status_code == 200
    # The link is single-use: the password it set changed the token's hash.
    client.logout()
    assert client.get(path, follow=True).context["validlink"] is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"--slug": "acme"}, "--slug: An organisation with the slug “acme” already exists."),
        ({"--admin-email": "taken@acme.test"}, "--admin-email: This e-mail address cannot be used here."),
        ({"--time-zone": "Mars/Olympus"}, "--time-zone: 'Mars/Olympus' is not an IANA time zone name"),
        ({"--admin-email": "not-an-address"}, "--admin-email: Enter a valid e-mail address"),
        ({"--slug": "no spaces!"}, "--slug: A slug is letters, digits, hyphens and underscores"),
        ({"--name": "   "}, "--name: Give the organisation a name."),
    ],
)
def test_command_refuses_bad_values_and_creates_nothing(options, message):
    Organisation.objects.create(name="Acme", slug="acme")
    User.objects.create_user(email="taken@acme.test", full_name="Taken")
    before = counts()
    args = {"--name": "Newco", "--admin-email": "new@newco.test", "--admin-name": "Nia New"} | options
    with pytest.raises(CommandError) as refused:
        call_command("create_organisation", *[part for pair in args.items() for part in pair], stdout=StringIO())
    assert "Nothing was created." in str(refused.value)
    assert message in str(refused.value)
    assert counts() == before


def test_command_error_exits_non_zero(tmp_path):
    """Run as people do (``manage.py create_organisation``): a refusal exits 1 with the message."""
    Organisation.objects.create(name="Acme", slug="acme")
    with pytest.raises(SystemExit) as exit_:
        from django.core.management import execute_from_command_line

        execute_from_command_line(
            [
                "manage.py",
                "create_organisation",
                "--name",
                "Acme",
                "--admin-email",
                "x@acme.test",
                "--admin-name",
                "X",
                "--slug",
                "acme",
            ]
        )
    assert exit_.value.code == 1


# --- The sign-up page -------------------------------------------------------------------------------------


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "Newco",
        "admin_name": "Nia New",
        "admin_email": "nia@newco.test",
        "password": GOOD_PASSWORD,
    } | overrides


@override_settings(SIGNUP_ENABLED=False)
def test_signup_is_a_404_when_off_and_the_login_page_does_not_link_it(client):
    assert client.get(reverse("signup")).status_code == 404
    assert client.post(reverse("signup"), signup_data()).status_code == 404
    assert Organisation.objects.count() == 0
    assert reverse("signup") not in client.get(reverse("login")).content.decode()


@override_settings(SIGNUP_ENABLED=True)
def test_signup_page_when_on(client):
    assert reverse("signup") in client.get(reverse("login")).content.decode()
    page = client.get(reverse("signup"))
    assert page.status_code == 200
    for label in ("Organisation", "Your name", "E-mail", "Password"):
        assert f">{label}</label>" in page.content.decode()


@override_settings(SIGNUP_ENABLED=True)
def test_signup_creates_the_organisation_signs_in_and_welcomes(client):
    response = client.post(reverse("signup"), signup_data(), follow=True)
    assert response.redirect_chain[0] == (reverse("organisation_settings"), 302)
    assert response.status_code == 200
    assert "Welcome to the OKR app, Nia New. Newco is ready" in response.content.decode()
    admin = Membership.objects.get(user__email="nia@newco.test")
    assert admin.role == CompanyRole.ADMIN and admin.organisation.name == "Newco"
    assert admin.user.check_password(GOOD_PASSWORD)
    assert int(client.session["_auth_user_id"]) == admin.user.pk


@override_settings(SIGNUP_ENABLED=True)
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (signup_data(name=""), "name", "This field is required."),
        (signup_data(admin_email="nope"), "admin_email", "Enter a valid email address."),
        (signup_data(password="12345678"), "password", "This password is entirely numeric."),
        (signup_data(password="newco"), "password", "This password is too short."),
        (signup_data(password="nia@newco.test"), "password", "too similar"),
        (signup_data(admin_email="member@acme.test"), "admin_email", "This e-mail address cannot be used here."),
    ],
)
def test_signup_form_errors_answer_422_and_create_nothing(client, cast, data, field, message):
    before = counts()
    response = client.post(reverse("signup"), data)
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert counts() == before
    assert "_auth_user_id" not in client.session


@override_settings(SIGNUP_ENABLED=True)
def test_an_existing_address_is_refused_without_saying_more_than_the_login_page(client, cast):
    """Whether the address is taken, or merely unusable, reads the same; it names no organisation."""
    response = client.post(reverse("signup"), signup_data(admin_email="member@acme.test"))
    text = response.content.decode()
    assert "Acme" not in text and "Member" not in text


@override_settings(SIGNUP_ENABLED=True)
def test_a_signed_in_person_is_sent_home(login, cast):
    client = login(cast.member)
    assert client.get(reverse("signup"))["Location"] == reverse("home")


@override_settings(SIGNUP_ENABLED=True, SIGNUP_RATE="3/hour")
def test_signup_is_throttled_per_address(client):
    for _ in range(3):
        assert client.post(reverse("signup"), signup_data(admin_email="bad")).status_code == 422
    refused = client.post(reverse("signup"), signup_data())
    assert refused.status_code == 429
    assert "Too many sign-ups from your address" in refused.content.decode()
    assert Organisation.objects.count() == 0
    # Another address still signs up.
    other = client.post(reverse("signup"), signup_data(), REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


# --- Isolation --------------------------------------------------------------------------------------------


@pytest.fixture
def first_org(cast, quarter):
    """The first organisation's objective, team and people, with a word each that a search would find."""
    objective = objective_services.objective_create(
        organisation=cast.org,
        cycle=quarter,
        team=cast.team,
        title="Zanzibar checkout conversion",
        owner=cast.lead,
        visibility="company",
        state="active",
    )
    return objective


@pytest.fixture
def newcomer():
    return organisation_create(name="Newco", admin_email="nia@newco.test", admin_name="Nia New", password=GOOD_PASSWORD)


def test_a_new_organisations_admin_sees_nothing_of_the_first(client, cast, first_org, newcomer):
    client.force_login(newcomer.user)
    for name in ("home", "team_list", "people_list", "okrs", "cascade"):
        text = client.get(reverse(name), follow=True).content.decode()
        assert "Zanzibar" not in text, name
        assert "Checkout" not in text, name
        assert "Lead" not in text and "lead@acme.test" not in text, name
    assert client.get(reverse("objective_detail", args=[first_org.pk])).status_code == 404
    assert client.get(reverse("team_detail", args=[cast.team.pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[cast.lead.pk])).status_code == 404
    for resource in ("objectives", "key-results", "teams", "cycles"):
        body = client.get(f"/api/v1/{resource}/").json()
        assert body["results"] == [], resource


def test_the_first_organisation_sees_nothing_of_a_new_one(login, cast, first_org, newcomer):
    team = Team.objects.create(organisation=newcomer.organisation, name="Quokka squad")
    client = login(cast.admin)
    for name in ("team_list", "people_list"):
        text = client.get(reverse(name)).content.decode()
        assert "Quokka" not in text and "Nia New" not in text, name
    assert client.get(reverse("team_detail", args=[team.pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[newcomer.pk])).status_code == 404
    teams = client.get("/api/v1/teams/").json()["results"]
    assert team.pk not in {row["id"] for row in teams} and teams


def test_search_never_crosses_organisations(client, cast, first_org, newcomer):
    """Each side searches for a word only the other organisation's rows hold, then for its own."""
    MembershipFactory(organisation=newcomer.organisation, user__full_name="Quokka squad")  # a person
    client.force_login(newcomer.user)
    found = client.get(reverse("search"), {"q": "Zanzibar"})
    assert found.status_code == 200
    assert "Zanzibar checkout" not in found.content.decode()
    assert "Quokka squad" in client.get(reverse("search"), {"q": "Quokka"}).content.decode()
    client.force_login(cast.admin.user)
    assert "Quokka squad" not in client.get(reverse("search"), {"q": "Quokka"}).content.decode()
    assert "Zanzibar checkout" in client.get(reverse("search"), {"q": "Zanzibar"}).content.decode()
