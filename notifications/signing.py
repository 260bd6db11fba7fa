"""Standard Webhooks signatures: ``v1`` (HMAC-SHA256 with the endpoint's ``whsec_`` secret)
and ``v1a`` (Ed25519 with the registry's key), over ``{msg_id}.{timestamp}.{body}``."""

from __future__ import annotations

import base64
import hmac
import secrets

from registry.keys import signing_key

SECRET_PREFIX = "whsec_"
KEY_PURPOSE = "webhook"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def signature_header(msg_id: str, timestamp: int, body: bytes, hmac_secrets: list[str]) -> str:
    """Every signature of one message, space-separated: one ``v1`` per secret, then ``v1a``."""
    content = signed_content(msg_id, timestamp, body)
    signatures = [
        "v1," + _b64(hmac.digest(secret_bytes(secret), content, "sha256"))
        for secret in hmac_secrets
    ]
    signatures.append("v1a," + _b64(signing_key(KEY_PURPOSE).sign(content)))
    return " ".join(signatures)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
