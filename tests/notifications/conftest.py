"""Fixtures for delivery tests: a local receiver and a webhook endpoint for each state.

Every test here may reach the local receiver (plain HTTP on 127.0.0.1) through the
secretariat's explicit allowance, and encrypts secrets with a fixed test key.
"""

from __future__ import annotations

import base64

import pytest

from notifications import services
from notifications.models import Endpoint
from registry.models import State
from tests.notifications.receiver import Receiver

#: Fernet key of the tests only (URL-safe base64 of 32 bytes).
TEST_SECRETS_KEY = base64.urlsafe_b64encode(bytes(range(160, 192))).decode()


@pytest.fixture(autouse=True)
def outbound_settings(settings):
    settings.DELIVERY_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DELIVERY_REQUIRE_HTTPS = False
    settings.REGISTRY_SECRETS_KEY = TEST_SECRETS_KEY
    settings.REGISTRY_SECRETS_OLD_KEYS = []


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def webhooks(seeded, receiver) -> dict[str, Endpoint]:
    """A webhook endpoint for every state, each on its own path of the local receiver."""
    return {
        state.code: services.create_webhook_endpoint(
            state=state, url=receiver.url(f"/{state.code}"), label=f"{state.code} national system"
        )
        for state in State.objects.all()
    }
