"""Security headers, cookies and the content security policy as Django's deployment checklist and
OWASP ASVS level 2 expect; error pages that give nothing away; templates with nothing inline."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_every_page_has_a_fresh_csp_nonce_and_its_scripts_carry_it(client, login, cast):
    member = login(cast.member)
    nonces = []
    for _ in range(2):
        response = member.get(reverse("home"), follow=True)
        assert response.status_code == 200
        policy = directives(response)
        [nonce] = NONCE.findall(" ".join(policy["script-src"]))
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy["style-src"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
        assert scripts, "the frame loads htmx and app.js"
        for tag in scripts:
            assert ' src="' in tag and f'nonce="{nonce}"' in tag, tag
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_security_headers(client, login, cast):
    for response in (client.get(reverse("login")), login(cast.member).get(reverse("people_list"))):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "Content-Security-Policy" in response


def test_session_and_csrf_cookies(client, cast, settings):
    page = client.get(reverse("login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert int(session["max-age"]) == settings.SESSION_COOKIE_AGE


def production_environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="okr.example.com",
        SITE_URL="https://okr.example.com",
        DATABASE_URL="postgres://okr@db.example.com:5432/okr",
        CELERY_BROKER_URL="redis://redis.example.com:6379/0",
    )
    return environment


def test_production_settings_pass_the_deployment_checklist():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    flags = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)",
        ],
        cwd=BASE_DIR,
        env={**production_environment(), "DJANGO_SETTINGS_MODULE": "okrapp.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flags.stdout.split() == ["True"] * 6, flags.stdout + flags.stderr


@override_settings(DEBUG=False)
def test_a_server_error_shows_no_traceback_or_settings(client, login, cast, monkeypatch, settings):
    def broken(*args, **kwargs):
        raise RuntimeError(f"database password is {settings.SECRET_KEY}")

    monkeypatch.setattr("okrapp.selectors.people_directory", broken)
    member = login(cast.member)
    member.raise_request_exception = False
    response = member.get(reverse("people_list"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    for leak in ("Traceback", "RuntimeError", "database password", settings.SECRET_KEY, "SECRET_KEY", "DATABASES"):
        assert leak not in page
    assert response["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response

    api = member.get("/api/v1/teams/", HTTP_ACCEPT="application/json")
    assert api.status_code == 200  # the API itself still works; its 500 is JSON without details:
    monkeypatch.setattr("okrapp.api.views.TeamResource.visible", broken)
    answer = member.get("/api/v1/teams/")
    assert answer.status_code == 500
    assert answer.json() == {"errors": [{"field": None, "message": answer.json()["errors"][0]["message"]}]}
    assert "database password" not in answer.content.decode() and "Traceback" not in answer.content.decode()


@override_settings(DEBUG=False)
def test_a_missing_page_lists_no_urls(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing here" in page
    assert "URLconf" not in page and "urlpatterns" not in page and "admin/" not in page


# Things a content security policy without 'unsafe-inline' would block (or that invite eval).
INLINE = {
    "style attribute": re.compile(r"""\sstyle\s*=""", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "inline <script>": re.compile(r"<script\b(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE),
    "on… event handler attribute": re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.IGNORECASE),
    "hx-on attribute": re.compile(r"(?:data-)?hx-on", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def template_files() -> list[Path]:
    """Every template a browser receives. E-mails (``email/`` folders) are left out: they are never
    served under the policy, and mail clients drop linked stylesheets, so their styles are inline."""
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(
        p
        for root in roots
        for p in root.rglob("*")
        if p.suffix in {".html", ".svg", ".txt"} and "email" not in p.relative_to(root).parts
    )


def test_no_template_has_inline_scripts_styles_or_handlers():
    files = template_files()
    assert len(files) > 50
    found = [
        f"{path.relative_to(BASE_DIR)}:{text[: match.start()].count(chr(10)) + 1}: {what}: {match.group(0)!r}"
        for path in files
        for text in [path.read_text()]
        for what, pattern in INLINE.items()
        for match in pattern.finditer(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        '<div style="width: 4px">',
        "<style>.x{}</style>",
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<form hx-on::after-request="x">',
        '<a href="javascript:void(0)">',
    ],
)
def test_the_scan_finds_what_it_looks_for(snippet):
    assert any(pattern.search(snippet) for pattern in INLINE.values())
    assert not any(
        pattern.search('<script src="/static/js/app.js" defer nonce="abc"></script>') for pattern in INLINE.values()
    )
