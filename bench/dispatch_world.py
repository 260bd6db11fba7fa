"""The dispatch benchmark's world: its database, synthetic states and their endpoints.

``--recipients`` + 1 synthetic states (codes QA…QZ, YA…YZ, ZA…ZZ, so never a real one)
all take part in one synthetic commitment, ``BENCH`` (WB-RTA's parameters); the first
files, every other one receives. Each recipient has one registry webhook endpoint and one
django-webhook webhook, both on its own path of the local receiver (``/<code>``); only
the system under measurement has its endpoints switched on.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import string
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.server import REPO_ROOT, SECRET_KEY, database_url, ensure_database

COMMITMENT = "BENCH"
LIAISON = "bench-liaison"
PEER_TOPIC = "registry.NoticeVersion/create"
VAR_DIR = REPO_ROOT / "var" / "bench" / "dispatch"
#: Fixed keys for the benchmark only: the registry's Ed25519 webhook and log keys, the
#: Fernet key of stored secrets.
WEBHOOK_SIGNING_KEY = "whsk_" + base64.b64encode(bytes(range(64, 96))).decode()
LEDGER_SIGNING_KEY = "whsk_" + base64.b64encode(bytes(range(128, 160))).decode()
SECRETS_KEY = base64.urlsafe_b64encode(bytes(range(96, 128))).decode()
SETTINGS = {"registry": "registry.settings", "django-webhook": "bench.dispatch_settings"}


def dispatch_database_url() -> str:
    """The benchmark database's URL with ``_dispatch`` appended to its name."""
    parts = urlsplit(database_url())
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_dispatch"))


def state_codes(count: int) -> list[str]:
    codes = [first + second for first in "QYZ" for second in string.ascii_uppercase]
    if count > len(codes):
        raise ValueError(f"At most {len(codes) - 1} recipients.")
    return codes[:count]


def environment(db_url: str, redis_url: str, system: str) -> dict[str, str]:
    """The environment of every process of a run: production settings on the bench database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS[system],
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REGISTRY_VAR_DIR": str(VAR_DIR),
        "REGISTRY_WEBHOOK_SIGNING_KEY": WEBHOOK_SIGNING_KEY,
        "REGISTRY_LEDGER_SIGNING_KEY": LEDGER_SIGNING_KEY,
        "REGISTRY_SECRETS_KEY": SECRETS_KEY,
        # The receiver is plain HTTP on the loopback: allowed explicitly, as the tests do.
        "DELIVERY_REQUIRE_HTTPS": "0",
        "DELIVERY_ALLOWED_NETWORKS": "127.0.0.1/32",
        "LOG_LEVEL": "WARNING",
    }


def prepare(db_url: str, redis_url: str) -> None:
    """A new database, migrated with the peer's app too, in this process's Django."""
    ensure_database(db_url, fresh=True)
    os.environ.update(environment(db_url, redis_url, "django-webhook"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def create_world(recipients: int, receiver_url) -> list[str]:
    """The states, the commitment, the liaison and both systems' endpoints; the recipients."""
    from django.db import transaction

    from registry.models import Commitment, Participation, State
    from registry.seed_data import COMMITMENTS
    from registry.services.officials import onboard_official

    codes = state_codes(recipients + 1)
    parameters = {k: v for k, v in COMMITMENTS["WB-RTA"].items() if k != "participants"}
    with transaction.atomic():
        State.objects.bulk_create([State(code=code, name=f"Bench state {code}") for code in codes])
        commitment = Commitment.objects.create(
            **{**parameters, "code": COMMITMENT, "name": "Benchmark commitment"}
        )
        Participation.objects.bulk_create(
            [
                Participation(commitment=commitment, state_id=code, joined_on=dt.date(2000, 1, 1))
                for code in codes
            ]
        )
        onboard_official(username=LIAISON, roles=["liaison"], state=State.objects.get(pk=codes[0]))
    create_registry_endpoints(codes[1:], receiver_url)
    create_peer_webhooks(codes[1:], receiver_url)
    return codes[1:]


def create_registry_endpoints(codes: list[str], receiver_url) -> None:
    from notifications import services
    from registry.models import State

    for state in State.objects.filter(code__in=codes):
        services.create_webhook_endpoint(state=state, url=receiver_url(f"/{state.code}"))


def create_peer_webhooks(codes: list[str], receiver_url) -> None:
    """django-webhook's own rows: a webhook per recipient, subscribed, with one secret."""
    from django_webhook.models import Webhook, WebhookSecret, WebhookTopic

    topic, _ = WebhookTopic.objects.get_or_create(name=PEER_TOPIC)
    for code in codes:
        webhook = Webhook.objects.create(url=receiver_url(f"/{code}"), active=False)
        webhook.topics.add(topic)
        WebhookSecret.objects.create(webhook=webhook, token=secrets.token_urlsafe(32))


def switch_on(system: str) -> None:
    """Only ``system``'s endpoints receive: the other's are suspended (its rows are held)."""
    from django_webhook.models import Webhook

    from notifications.models import Endpoint

    registry = system == "registry"
    status = Endpoint.Status.ACTIVE if registry else Endpoint.Status.SUSPENDED
    Endpoint.objects.filter(kind=Endpoint.Kind.WEBHOOK).update(status=status)
    Webhook.objects.update(active=not registry)


def peer_secrets() -> dict[str, str]:
    """The peer's signing token of each recipient, by receiver path."""
    from django_webhook.models import WebhookSecret

    return {
        urlsplit(url).path: token
        for url, token in WebhookSecret.objects.values_list("webhook__url", "token")
    }


def registry_secrets() -> dict[str, str]:
    """The registry's ``whsec_`` secret of each recipient, by receiver path."""
    from notifications.models import Endpoint

    return {
        urlsplit(endpoint.url).path: endpoint.secret
        for endpoint in Endpoint.objects.filter(kind=Endpoint.Kind.WEBHOOK)
    }


def log_path(name: str) -> Path:
    return VAR_DIR / f"{name}.log"
