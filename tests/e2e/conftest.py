"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/system-deps.sh test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def shots() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture
def demo_data(transactional_db: object) -> None:
    from django.core.management import call_command

    from crm.core.demo.registry import demo_loaders

    call_command("createcachetable", verbosity=0)
    for loader in demo_loaders():
        loader.load(random.Random(1405))


def sign_in(page: Page, base: str, username: str = "admin", password: str = "admin") -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def asgi_server(transactional_db: object, settings: object) -> Iterator[object]:
    """The real ASGI stack (Daphne, Channels websockets) in a child process on the test
    database, for flows that need live pop-ups; `live_server` speaks only WSGI."""
    from functools import partial
    from types import SimpleNamespace

    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("the ASGI server runs in a child process: it needs the PostgreSQL test database")
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]  # type: ignore[attr-defined]
    process = DaphneProcess("127.0.0.1", partial(make_application, static_wrapper=ASGIStaticFilesHandler))
    process.start()
    if not process.ready.wait(timeout=30):
        process.terminate()
        pytest.fail("the ASGI test server did not start")
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{process.port.value}")
    finally:
        process.terminate()
        process.join(timeout=10)
