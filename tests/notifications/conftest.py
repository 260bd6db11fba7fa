"""Fixtures for delivery tests: a local receiver and a webhook endpoint for each state."""

from __future__ import annotations

import pytest

from notifications import services
from notifications.models import Endpoint
from registry.models import State
from tests.notifications.receiver import Receiver


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
