"""Shared fixtures: the seeded regimes and a few named personas.

The personas, all from the demo seed:
- ``liaison_rs``: files for Serbia (the filing state);
- ``official_hr``: counterpart of Croatia, a recipient of Serbia's notices;
- ``official_xk``: counterpart of Kosovo, which takes no part in VD11, so it must see
  nothing of Serbia's VD11 notices;
- ``liaison_hr``: files for Croatia, and may read but never change Serbia's notices;
- ``monitor_eu``: EU monitor, granted both commitments; reads all, writes nothing;
- ``secretariat``.
"""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from registry.models import Commitment

PASSWORD = "correct-horse-battery-staple"


#: Fixed test keys (never used outside the tests): deterministic signatures, no key files.
TEST_KEYS = {
    "REGISTRY_WEBHOOK_SIGNING_KEY": "whsk_" + base64.b64encode(bytes(range(32))).decode(),
    "REGISTRY_LEDGER_SIGNING_KEY": "whsk_" + base64.b64encode(bytes(range(32, 64))).decode(),
}


def pytest_configure(config) -> None:
    for name, value in TEST_KEYS.items():
        os.environ.setdefault(name, value)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Sign-in hardening is off except in the tests of it (tests/registry/test_sign_in.py,
    # tests/browser/test_sign_in.py turn each on): the other tests sign in many times.
    settings.REGISTRY_REQUIRE_2FA = False
    settings.AXES_ENABLED = False
    settings.API_THROTTLE_USER = settings.API_THROTTLE_ANON = None
    settings.API_THROTTLE_SIGN_IN = None


@pytest.fixture(scope="session", autouse=True)
def _require_postgresql(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.exit(
                "The tests run against PostgreSQL: set DATABASE_URL (the README's test command "
                "does), e.g. postgres://postgres@127.0.0.1:5432/registry",
                returncode=2,
            )


@pytest.fixture(autouse=True)
def _registry_language_after_each_test():
    """A request's language stays active in the thread after it; the next test starts in
    the registry's own."""
    yield
    translation.deactivate()


@pytest.fixture
def seeded(db) -> None:
    """The demo seed: states, organisations, VD11, WB-RTA and the demo users."""
    if not Commitment.objects.filter(code="WB-RTA").exists():
        call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())


def user(username: str):
    return get_user_model().objects.select_related("official").get(username=username)


@pytest.fixture
def wb_rta(seeded) -> Commitment:
    return Commitment.objects.get(code="WB-RTA")


@pytest.fixture
def vd11(seeded) -> Commitment:
    return Commitment.objects.get(code="VD11")


@pytest.fixture
def liaison_rs(seeded):
    return user("rs-liaison")


@pytest.fixture
def liaison_hr(seeded):
    return user("hr-liaison")


@pytest.fixture
def official_hr(seeded):
    return user("hr-official")


@pytest.fixture
def official_xk(seeded):
    return user("xk-official")


@pytest.fixture
def monitor_eu(seeded):
    return user("eu-monitor")


@pytest.fixture
def secretariat(seeded):
    return user("secretariat")


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates it with a fresh token."""
    client = APIClient()

    def as_user(who):
        response = client.post(
            "/api/v1/auth/token/", {"username": who.username, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    client.as_user = as_user
    return client
