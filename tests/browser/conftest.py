"""A real headless Chromium (Debian's) driven by Playwright against the live test server.

Playwright's sync API runs an event loop in the test's thread, so Django's guard against
database calls from async code must be lifted for these tests.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from tests.processes import CeleryProcess, RedisServer, use_broker

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=en-US",  # the browser's own language: date inputs read month/day/year
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run the README's test command (it installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go: var/test-artifacts/."""
    folder = Path(settings.BASE_DIR) / "var" / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: Fernet key of the browser tests only: this process encrypts webhook secrets with it and
#: the worker, which runs with DEBUG off as in production, decrypts them.
SECRETS_KEY = base64.urlsafe_b64encode(bytes(range(192, 224))).decode()
#: The worker may deliver to the tests' local receivers (plain HTTP on the loopback).
WORKER_ENV = {
    "DELIVERY_REQUIRE_HTTPS": "0",
    "DELIVERY_ALLOWED_NETWORKS": "127.0.0.1/32",
    "REGISTRY_SECRETS_KEY": SECRETS_KEY,
}


@pytest.fixture(scope="session")
def _celery_worker(tmp_path_factory) -> Iterator[tuple[str, CeleryProcess]]:
    """A Redis of the tests' own and a real Celery worker on it, shared by the browser tests."""
    workdir = tmp_path_factory.mktemp("worker")
    redis = RedisServer(workdir)
    redis.start()
    use_broker(redis.url)
    process = CeleryProcess("worker", redis.url, workdir, **WORKER_ENV).start()
    yield redis.url, process
    process.stop()
    redis.stop()


@pytest.fixture
def worker(_celery_worker, settings) -> CeleryProcess:
    """The shared worker; this process queues its tasks on the worker's broker and shares
    its secrets key and outbound rules."""
    url, process = _celery_worker
    use_broker(url)
    settings.REGISTRY_SECRETS_KEY = SECRETS_KEY
    settings.REGISTRY_SECRETS_OLD_KEYS = []
    settings.DELIVERY_REQUIRE_HTTPS = False
    settings.DELIVERY_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return process
