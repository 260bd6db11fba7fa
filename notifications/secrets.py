"""Webhook signing secrets, encrypted at rest with a key from configuration.

``EncryptedSecretField`` stores a Fernet token (AES-128-CBC with HMAC-SHA256) instead of
the secret, and gives the secret back when a row is read, so the rest of the code sees
plain ``whsec_`` secrets. An empty value stays empty, so that "has a secret" remains a
plain SQL check. A stored token cannot be searched for: every encryption differs.

The key is ``REGISTRY_SECRETS_KEY`` (a Fernet key: URL-safe base64 of 32 random bytes).
Keys in ``REGISTRY_SECRETS_OLD_KEYS`` still decrypt, so a key can be rotated without
downtime: make the new key current and the old one old, then run
``manage.py reencrypt_secrets`` to re-encrypt every row with the new key; the old key
can then be dropped. With ``DEBUG`` on and no key set, one is generated once in
``REGISTRY_SECRETS_KEY_FILE`` (under ``var/keys/``), like the demo's signing keys.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from notifications.signing import SECRET_PREFIX


class UndecryptableSecret(ImproperlyConfigured):
    """A stored secret that none of the configured keys decrypts (a key is missing)."""


def generate_key() -> str:
    """A new key for ``REGISTRY_SECRETS_KEY``."""
    return Fernet.generate_key().decode()


def cipher() -> MultiFernet:
    """The configured keys: the current one encrypts, every one decrypts."""
    return _cipher(
        settings.REGISTRY_SECRETS_KEY,
        tuple(settings.REGISTRY_SECRETS_OLD_KEYS),
        settings.REGISTRY_SECRETS_KEY_FILE,
    )


@functools.lru_cache(maxsize=8)
def _cipher(key: str, old_keys: tuple[str, ...], key_file: str) -> MultiFernet:
    if not key:
        if not key_file:
            raise ImproperlyConfigured("Set REGISTRY_SECRETS_KEY (README: Deployment, Keys).")
        key = _demo_key(Path(key_file))
    try:
        return MultiFernet([Fernet(k) for k in (key, *old_keys)])
    except ValueError as exc:
        raise ImproperlyConfigured(f"REGISTRY_SECRETS_KEY or _OLD_KEYS: {exc}") from exc


def _demo_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def encrypt(secret: str) -> str:
    return cipher().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _decrypt(cipher(), token)


@functools.lru_cache(maxsize=4096)
def _decrypt(keys: MultiFernet, token: str) -> str:
    # Cached per set of keys: a worker reads the same endpoints over and over.
    try:
        return keys.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret(
            "A stored webhook secret cannot be decrypted with REGISTRY_SECRETS_KEY or "
            "REGISTRY_SECRETS_OLD_KEYS."
        ) from exc


def reencrypt(token: str) -> str:
    """The same secret, encrypted with the current key (for a key rotation)."""
    return cipher().rotate(token.encode()).decode()


def is_plain(value: str) -> bool:
    """Whether a stored value is a secret in clear (written before encryption at rest)."""
    return value.startswith(SECRET_PREFIX)


class EncryptedSecretField(models.TextField):
    """A secret stored encrypted (a Fernet token), read back in clear."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
