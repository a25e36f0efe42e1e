"""Playwright driving Debian's chromium. Without chromium the browser tests skip with one loud
line, except under CI=true, where a missing browser fails the run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)")
        pytest.skip("BROWSER TESTS SKIPPED: install Debian's chromium (apt-get install chromium) to run them")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the tests are safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def is_error(message) -> bool:
    """A console error, except Chromium's note on a 422: that is how a refused form answers (by design)."""
    return message.type == "error" and "status of 422" not in message.text


@pytest.fixture
def page(browser, request):
    """A fresh page at 1280 px that fails the test on any console error (CSP reports included)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if is_error(message) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"console errors in {request.node.name}: {errors}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def htmx_settled(page, swapped_in) -> None:
    """Wait until ``swapped_in`` (a locator) is on the page and htmx has processed it: new content
    carries ``htmx-added`` (its target ``htmx-settling``) until htmx attaches its triggers, so typing
    into a just-swapped search field before then sends no request (a race a loaded machine loses)."""
    swapped_in.wait_for()
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-request')")
