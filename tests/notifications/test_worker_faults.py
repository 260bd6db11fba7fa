"""Delivery through a real Celery worker and Redis, through crashes and outages.

Every test files notices in this process (as the web server would), a separate worker
process delivers them to a local receiver, and the test checks that every delivery ends
delivered: the receiver may see a ``webhook-id`` twice, never miss one.
"""

from __future__ import annotations

import base64
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks import Webhook

from notifications.models import Delivery
from tests.factories import file_exercise
from tests.processes import CeleryProcess, RedisServer, use_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def broker(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    use_broker(server.url)
    yield server
    server.stop()


#: The workers run with DEBUG off, as in production: the local receiver (plain HTTP on the
#: loopback) is allowed explicitly, and they decrypt secrets with this process's key.
WORKER_ENV = {"DELIVERY_REQUIRE_HTTPS": "0", "DELIVERY_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.fixture
def celery(broker, tmp_path, settings):
    """Start workers and beat on the test's broker; every one is stopped at the end."""
    started: list[CeleryProcess] = []
    env = {**WORKER_ENV, "REGISTRY_SECRETS_KEY": settings.REGISTRY_SECRETS_KEY}

    def start(role: str) -> CeleryProcess:
        process = CeleryProcess(role, broker.url, tmp_path, **env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def webhook_deliveries():
    return Delivery.objects.filter(endpoint__kind="webhook")


def all_delivered() -> bool:
    return not webhook_deliveries().exclude(status="delivered").exists()


def expected_ids() -> set[str]:
    return {d.webhook_id for d in webhook_deliveries()}


def test_a_filed_notice_reaches_every_recipient_signed(
    celery, webhooks, receiver, liaison_rs, wb_rta, api
):
    celery("worker")
    notice = file_exercise(liaison_rs, wb_rta).notice
    wait_for(all_delivered, 60, "the worker to deliver")
    public_key = api.get("/api/v1/keys/").json()["webhook"]["public_key"]
    verifier = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[len("whpk_") :]))
    for code in ("AL", "BA", "HR", "ME", "MK", "XK"):
        (request,) = receiver.at(f"/{code}")
        payload = Webhook(webhooks[code].secret).verify(request.body, request.headers)
        assert payload["data"]["reference"] == notice.reference
        signed = (
            f"{request.webhook_id}.{request.headers['webhook-timestamp']}.".encode() + request.body
        )
        v1a = next(s for s in request.headers["webhook-signature"].split() if s.startswith("v1a,"))
        verifier.verify(base64.b64decode(v1a[4:]), signed)
    assert receiver.ids() == expected_ids()


def test_sigkill_of_the_worker_mid_batch_loses_nothing(
    celery, webhooks, receiver, liaison_rs, wb_rta
):
    for code in webhooks:
        receiver.script(f"/{code}", delay=0.25)  # slow enough to kill the worker mid-batch
    worker = celery("worker")
    celery("beat")
    for _ in range(8):
        file_exercise(liaison_rs, wb_rta)
    wait_for(lambda: len(receiver.received) >= 4, 60, "the first deliveries")
    worker.kill()
    assert webhook_deliveries().exclude(status="delivered").exists(), "killed too late to test"
    celery("worker")
    wait_for(all_delivered, 120, "every delivery after the restart")
    assert expected_ids() <= receiver.ids()
    assert len(expected_ids()) == 48


def test_filing_during_a_broker_outage_delivers_when_it_returns(
    broker, celery, webhooks, receiver, liaison_rs, wb_rta
):
    celery("worker")
    celery("beat")
    broker.stop()
    started = time.monotonic()
    for _ in range(3):
        file_exercise(liaison_rs, wb_rta)  # accepted although the broker is down
    assert time.monotonic() - started < 30
    assert webhook_deliveries().count() == 18 and not receiver.received
    broker.start()
    wait_for(all_delivered, 120, "delivery once the broker is back")
    assert expected_ids() <= receiver.ids()
