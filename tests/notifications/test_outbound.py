"""Outbound safety: where webhooks may go, checked when an endpoint is saved and at every
send, and webhook secrets encrypted at rest.

Only DNS resolution is patched (``socket.getaddrinfo``, for names that must resolve to a
chosen address); everything else is real: the local receiver, TLS, the database.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from notifications import dispatch, http, secrets, services
from notifications.models import Delivery, Endpoint
from registry.models import State
from registry.services import RegistryError
from tests.conftest import PASSWORD
from tests.factories import file_exercise
from tests.notifications.conftest import TEST_SECRETS_KEY
from tests.notifications.receiver import Receiver

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "93.184.216.34"
HOOK_HOST = "hooks.registry-test.example"

#: One address of each class the registry refuses, with a word its refusal names.
FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.5.4", "private"),
    ("192.168.0.10", "private"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("fd12:3456::1", "unique local"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:93.184.216.34", "IPv4-mapped"),
    ("2002:7f00:1::1", "6to4"),
]


def url_for(address: str, scheme: str = "https", port: int = 8443) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}/hook"


@pytest.fixture
def no_allowance(settings):
    settings.DELIVERY_ALLOWED_NETWORKS = []


@pytest.fixture
def dns():
    """``dns[name] = address`` makes ``name`` resolve to ``address`` (only that name); a
    list of addresses answers one lookup each, then its last for ever."""
    names: dict[str, str | list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            answers = names[host]
            if isinstance(answers, list):
                answers = answers.pop(0) if len(answers) > 1 else answers[0]
            return real(answers, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    with mock.patch.object(socket, "getaddrinfo", getaddrinfo):
        yield names


def hr() -> State:
    return State.objects.get(code="HR")


def send_due(version) -> list[Delivery]:
    """Send the version's webhook deliveries now, as a worker would; return them."""
    deliveries = Delivery.objects.filter(version=version, endpoint__kind="webhook")
    deliveries.filter(status="pending").update(next_attempt_at=timezone.now())
    dispatch.deliver(list(deliveries.values_list("id", flat=True)))
    return list(deliveries.select_related("endpoint"))


def assert_refused_and_retried(delivery: Delivery, *words: str) -> None:
    """A refusal is a failed attempt with a clear error, rescheduled like any failure."""
    delivery.refresh_from_db()
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and attempt.error.startswith("Refused:")
    for word in words:
        assert word in attempt.error
    assert delivery.status == "pending" and delivery.retry_step == 1
    assert 3 < (delivery.next_attempt_at - timezone.now()).total_seconds() < 7


# --- where webhooks may go ---------------------------------------------------------------


class TestForbiddenAddresses:
    @pytest.mark.parametrize(("address", "word"), FORBIDDEN)
    def test_refused_when_the_endpoint_is_created(self, address, word, seeded, no_allowance):
        with pytest.raises(RegistryError) as refused:
            services.create_webhook_endpoint(state=hr(), url=url_for(address))
        assert word in refused.value.errors["url"][0]
        assert not Endpoint.objects.filter(kind="webhook").exists()

    @pytest.mark.parametrize(("address", "word"), FORBIDDEN)
    def test_refused_at_send(self, address, word, no_allowance):
        result = http.post(url_for(address), b"{}", {"content-type": "application/json"})
        assert result.status_code is None
        assert result.error.startswith("Refused:") and word in result.error

    def test_a_refused_send_is_a_failed_attempt_retried_on_schedule(
        self, seeded, liaison_rs, wb_rta, no_allowance
    ):
        # A row written before the rule (or for a network no longer allowed).
        Endpoint.objects.create(
            state=hr(), kind="webhook", url=url_for("10.0.0.7"), secret="whsec_" + "A" * 44
        )
        version = file_exercise(liaison_rs, wb_rta).version
        (delivery,) = send_due(version)
        assert_refused_and_retried(delivery, "10.0.0.7", "private")

    def test_the_api_answers_400_naming_the_field(self, api, secretariat, no_allowance):
        client = api.as_user(secretariat)
        created = client.post(
            "/api/v1/endpoints/",
            {"state": "HR", "kind": "webhook", "url": url_for("169.254.169.254")},
            format="json",
        )
        assert created.status_code == 400
        assert "link-local" in created.json()["url"][0]
        good = client.post(
            "/api/v1/endpoints/",
            {"state": "HR", "kind": "webhook", "url": url_for(PUBLIC)},
            format="json",
        )
        assert good.status_code == 201
        changed = client.patch(
            f"/api/v1/endpoints/{good.json()['id']}/", {"url": url_for("10.9.8.7")}, format="json"
        )
        assert changed.status_code == 400 and "private" in changed.json()["url"][0]
        assert Endpoint.objects.get(pk=good.json()["id"]).url == url_for(PUBLIC)

    def test_the_admin_refuses_the_url_on_its_field(self, secretariat, no_allowance):
        client = Client()
        assert client.login(username=secretariat.username, password=PASSWORD)
        form = {"state": "HR", "kind": "webhook", "label": "", "email": ""}
        refused = client.post(
            "/admin/notifications/endpoint/add/", {**form, "url": url_for("192.168.1.1")}
        )
        assert refused.status_code == 200  # the form again, with the error on the URL
        assert "private address" in refused.context["adminform"].form.errors["url"][0]
        assert not Endpoint.objects.filter(kind="webhook").exists()
        accepted = client.post(
            "/admin/notifications/endpoint/add/", {**form, "url": url_for(PUBLIC)}
        )
        assert accepted.status_code == 302
        assert Endpoint.objects.filter(kind="webhook", url=url_for(PUBLIC)).exists()


class TestAllowance:
    def test_an_allowed_network_is_reached_and_only_it(
        self, settings, webhooks, receiver, liaison_rs, wb_rta
    ):
        settings.DELIVERY_ALLOWED_NETWORKS = ["10.0.0.0/8"]  # not the receiver's
        version = file_exercise(liaison_rs, wb_rta).version
        for delivery in send_due(version):
            assert_refused_and_retried(delivery, "127.0.0.1", "loopback")
        assert receiver.received == []
        settings.DELIVERY_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        assert {d.status for d in send_due(version)} == {"delivered"}
        assert len(receiver.received) == 6

    def test_creation_follows_the_allowance(self, settings, seeded, receiver):
        settings.DELIVERY_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        services.create_webhook_endpoint(state=hr(), url=receiver.url("/HR"))
        settings.DELIVERY_ALLOWED_NETWORKS = []
        with pytest.raises(RegistryError, match="loopback"):
            services.create_webhook_endpoint(state=hr(), url=receiver.url("/HR2"))

    def test_a_malformed_allowance_is_a_configuration_error(self, settings):
        settings.DELIVERY_ALLOWED_NETWORKS = ["10.0.0.0/33"]
        with pytest.raises(ImproperlyConfigured, match="DELIVERY_ALLOWED_NETWORKS"):
            http.post(url_for(PUBLIC), b"{}", {})


class TestDnsRebinding:
    def test_a_name_that_turns_internal_after_creation_is_refused_at_send(
        self, seeded, dns, receiver, liaison_rs, wb_rta, no_allowance
    ):
        dns[HOOK_HOST] = PUBLIC
        endpoint = services.create_webhook_endpoint(
            state=hr(), url=receiver.url("/HR", host=HOOK_HOST)
        )
        dns[HOOK_HOST] = "127.0.0.1"  # the attacker's DNS now points at the registry's host
        version = file_exercise(liaison_rs, wb_rta).version
        (delivery,) = send_due(version)
        assert delivery.endpoint == endpoint
        assert_refused_and_retried(delivery, HOOK_HOST, "127.0.0.1", "loopback")
        assert receiver.received == []

    def test_the_connection_goes_to_the_checked_address_with_the_real_host_name(
        self, settings, seeded, dns, receiver, liaison_rs, wb_rta
    ):
        dns[HOOK_HOST] = "127.0.0.1"
        services.create_webhook_endpoint(state=hr(), url=receiver.url("/HR", host=HOOK_HOST))
        version = file_exercise(liaison_rs, wb_rta).version
        assert {d.status for d in send_due(version)} == {"delivered"}
        (request,) = receiver.at("/HR")
        assert request.headers["host"] == f"{HOOK_HOST}:{receiver.port}"

    def test_the_checked_address_is_the_one_connected_to(self, settings, dns, receiver):
        """A second lookup at connection time would give the attacker the last word."""
        settings.DELIVERY_ALLOWED_NETWORKS = ["127.0.0.2/32"]  # allowed, nothing listens
        dns[HOOK_HOST] = ["127.0.0.2", "127.0.0.1"]
        result = http.post(receiver.url("/HR", host=HOOK_HOST), b"{}", {})
        assert result.status_code is None and "ConnectionRefused" in result.error
        assert receiver.received == []

    def test_a_name_with_any_forbidden_address_is_refused(self, no_allowance):
        with mock.patch(
            "notifications.destinations.resolve", return_value=[PUBLIC, "10.0.0.1"]
        ) as resolve:
            result = http.post(f"https://{HOOK_HOST}/hook", b"{}", {})
        resolve.assert_called_once_with(HOOK_HOST, 443)
        assert "10.0.0.1" in result.error and "private" in result.error


# --- HTTPS -------------------------------------------------------------------------------


def certificate_authority(tmp_path: Path, name: str) -> tuple[Path, ssl.SSLContext]:
    """A test CA (its certificate written to a file) and a server context for ``name``."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Registry test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(
        leaf.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem")
    return tmp_path / "ca.pem", context


class TestHttps:
    def test_required_in_production_at_creation_and_at_send(
        self, settings, api, secretariat, webhooks, receiver, liaison_rs, wb_rta
    ):
        settings.DELIVERY_REQUIRE_HTTPS = True
        client = api.as_user(secretariat)
        plain = client.post(
            "/api/v1/endpoints/",
            {"state": "HR", "kind": "webhook", "url": url_for(PUBLIC, scheme="http")},
            format="json",
        )
        assert plain.status_code == 400 and "HTTPS" in plain.json()["url"][0]
        version = file_exercise(liaison_rs, wb_rta).version  # to the receiver, over http
        for delivery in send_due(version):
            assert_refused_and_retried(delivery, "HTTPS")
        assert receiver.received == []

    @pytest.mark.parametrize(("debug", "production"), [("0", True), ("1", False)])
    def test_the_defaults_follow_debug(self, debug, production):
        """HTTPS required, no network allowed, no generated key: unless DEBUG is on."""
        code = (
            "import json; from registry import settings as s; print(json.dumps(["
            "s.DELIVERY_REQUIRE_HTTPS, s.DELIVERY_ALLOWED_NETWORKS, s.REGISTRY_SECRETS_KEY_FILE]))"
        )
        names = ("DELIVERY_REQUIRE_HTTPS", "DELIVERY_ALLOWED_NETWORKS", "REGISTRY_SECRETS_KEY")
        env = {k: v for k, v in os.environ.items() if k not in names}
        env.update(DEBUG=debug, SECRET_KEY="test-only-" + "x" * 50)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        https, networks, key_file = json.loads(out.stdout)
        assert https is production
        assert (networks == []) is production and (key_file == "") is production
        if not production:
            assert networks == ["127.0.0.1/32", "::1/128"]

    def test_tls_is_verified_for_the_host_name_on_the_checked_address(
        self, tmp_path, monkeypatch, dns
    ):
        ca_file, context = certificate_authority(tmp_path, HOOK_HOST)
        names = []
        context.sni_callback = lambda sock, name, ctx: names.append(name)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        monkeypatch.setattr(http, "_pools", {})  # a pool whose TLS context trusts the test CA
        dns[HOOK_HOST] = "127.0.0.1"
        dns["impostor.registry-test.example"] = "127.0.0.1"
        with Receiver(tls=context) as tls_receiver:
            result = http.post(tls_receiver.url("/HR", host=HOOK_HOST), b"{}", {})
            assert result.status_code == 200, result.error
            assert names == [HOOK_HOST]
            other = tls_receiver.url("/HR", host="impostor.registry-test.example")
            refused = http.post(other, b"{}", {})
        assert refused.status_code is None and "CERTIFICATE_VERIFY_FAILED" in refused.error
        assert len(tls_receiver.received) == 1


# --- secrets at rest ---------------------------------------------------------------------


def stored(endpoint: Endpoint) -> tuple[str, str]:
    """The secret columns as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret, previous_secret FROM notifications_endpoint WHERE id = %s",
            [endpoint.pk],
        )
        return cursor.fetchone()


class TestSecretsAtRest:
    def test_secrets_are_encrypted_in_the_database_and_still_verify(
        self, webhooks, receiver, liaison_rs, wb_rta
    ):
        endpoint = services.rotate_secret(webhooks["HR"])
        secret, previous = stored(endpoint)
        assert endpoint.secret.startswith("whsec_") and endpoint.secret not in secret
        assert endpoint.previous_secret not in previous
        assert Fernet(TEST_SECRETS_KEY).decrypt(secret.encode()).decode() == endpoint.secret
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        reloaded = Endpoint.objects.get(pk=endpoint.pk)  # decrypted on reading
        (request,) = receiver.at("/HR")
        Webhook(reloaded.secret).verify(request.body, request.headers)
        Webhook(reloaded.previous_secret).verify(request.body, request.headers)

    def test_a_rotated_encryption_key_keeps_old_rows_readable(
        self, settings, webhooks, receiver, liaison_rs, wb_rta
    ):
        plain = {code: endpoint.secret for code, endpoint in webhooks.items()}
        new_key = secrets.generate_key()
        settings.REGISTRY_SECRETS_KEY = new_key
        with pytest.raises(secrets.UndecryptableSecret):
            Endpoint.objects.get(pk=webhooks["HR"].pk)  # the old key is not configured
        settings.REGISTRY_SECRETS_OLD_KEYS = [TEST_SECRETS_KEY]
        assert Endpoint.objects.get(pk=webhooks["HR"].pk).secret == plain["HR"]
        version = file_exercise(liaison_rs, wb_rta).version
        assert {d.status for d in send_due(version)} == {"delivered"}
        Webhook(plain["ME"]).verify(receiver.at("/ME")[0].body, receiver.at("/ME")[0].headers)
        call_command("reencrypt_secrets", stdout=io.StringIO())
        settings.REGISTRY_SECRETS_OLD_KEYS = []
        assert {e.state_id: e.secret for e in Endpoint.objects.filter(kind="webhook")} == plain
        secret, _ = stored(webhooks["HR"])
        assert Fernet(new_key).decrypt(secret.encode()).decode() == plain["HR"]

    def test_the_migration_encrypts_secrets_stored_in_clear_and_back(self, webhooks):
        migration = importlib.import_module("notifications.migrations.0003_encrypt_webhook_secrets")
        endpoint = webhooks["HR"]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notifications_endpoint SET secret = %s WHERE id = %s",
                [endpoint.secret, endpoint.pk],
            )
        with connection.schema_editor() as editor:
            migration.encrypt_stored_secrets(None, editor)
        assert stored(endpoint)[0].startswith("gAAAAA")
        assert Endpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret
        with connection.schema_editor() as editor:
            migration.decrypt_stored_secrets(None, editor)
        assert stored(endpoint)[0] == endpoint.secret

    def test_a_key_is_required_without_debug_and_generated_with_it(self, settings, tmp_path):
        settings.REGISTRY_SECRETS_KEY = ""
        settings.REGISTRY_SECRETS_KEY_FILE = ""
        with pytest.raises(ImproperlyConfigured, match="REGISTRY_SECRETS_KEY"):
            secrets.encrypt("whsec_x")
        key_file = tmp_path / "keys" / "secrets.key"
        settings.REGISTRY_SECRETS_KEY_FILE = str(key_file)
        token = secrets.encrypt("whsec_x")
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert Fernet(key_file.read_text()).decrypt(token.encode()) == b"whsec_x"
        assert secrets.decrypt(token) == "whsec_x"
