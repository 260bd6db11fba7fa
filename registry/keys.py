"""The registry's Ed25519 signing keys, from configuration.

Each purpose has its own key so a signature made for one can never pass for another:
``webhook`` signs deliveries (Standard Webhooks ``v1a``), ``ledger`` signs checkpoints.
A key is given as ``whsk_<base64 of the 32-byte private seed>`` in the environment
variable ``REGISTRY_<PURPOSE>_SIGNING_KEY``. With ``DEBUG`` on and no key configured,
one is generated once and kept under ``var/keys/`` so the demo is stable across restarts.
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"


def env_name(purpose: str) -> str:
    return f"REGISTRY_{purpose.upper()}_SIGNING_KEY"


@functools.cache
def signing_key(purpose: str) -> Ed25519PrivateKey:
    configured = os.environ.get(env_name(purpose), "").strip()
    if configured:
        return parse_private_key(configured)
    if not settings.DEBUG:
        raise ImproperlyConfigured(f"Set {env_name(purpose)} (README: Deployment, Keys).")
    return _demo_key(Path(settings.VAR_DIR) / "keys" / f"{purpose}-signing.key")


def parse_private_key(text: str) -> Ed25519PrivateKey:
    seed = base64.b64decode(text.removeprefix(SECRET_KEY_PREFIX))
    if len(seed) != 32:
        raise ImproperlyConfigured("An Ed25519 signing key is 32 bytes, base64-encoded.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def format_private_key(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SECRET_KEY_PREFIX + base64.b64encode(raw).decode()


def public_key_bytes(purpose: str) -> bytes:
    return (
        signing_key(purpose)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_text(purpose: str) -> str:
    """The public key as Standard Webhooks writes it: ``whpk_<base64>``."""
    return PUBLIC_KEY_PREFIX + base64.b64encode(public_key_bytes(purpose)).decode()


def _demo_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return parse_private_key(path.read_text().strip())
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(format_private_key(key))
    return key
