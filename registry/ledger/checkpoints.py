"""Signed checkpoints of the evidence log, in the C2SP signed-note checkpoint format.

A checkpoint (c2sp.org/tlog-checkpoint) is a note of three lines, the origin, the tree
size and the base64 root hash, signed as a C2SP signed note (c2sp.org/signed-note)::

    registry.example.org/ledger
    1234
    3q2+7w…=

    — registry.example.org/ledger Ab12Cd…=

The signature line holds base64(4-byte key hash ‖ 64-byte Ed25519 signature of the note
text), where the key hash is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public
key). The key name is the origin. The key is the ``ledger`` key of ``registry.keys``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction

from registry import ledger
from registry.keys import public_key_bytes, signing_key
from registry.ledger import b64
from registry.models import LedgerCheckpoint

KEY_PURPOSE = "ledger"
ED25519_TYPE = b"\x01"
SIGNATURE_DASH = "\u2014"


def origin() -> str:
    """The log's name: ``LEDGER_ORIGIN``, or ``<host of REGISTRY_BASE_URL>/ledger``."""
    if settings.LEDGER_ORIGIN:
        return settings.LEDGER_ORIGIN
    return f"{urlsplit(settings.REGISTRY_BASE_URL).netloc or 'registry'}/ledger"


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The note verifier key: ``<name>+<hex key hash>+<base64(0x01 ‖ public key)>``."""
    return f"{name}+{key_hash(name, public_key).hex()}+{b64(ED25519_TYPE + public_key)}"


def public_key_info() -> dict[str, str]:
    name, public_key = origin(), public_key_bytes(KEY_PURPOSE)
    return {
        "key_name": name,
        "algorithm": "ed25519",
        "public_key": b64(public_key),
        "key_hash": key_hash(name, public_key).hex(),
        "verifier_key": verifier_key(name, public_key),
    }


def checkpoint_text(name: str, size: int, root: bytes) -> str:
    return f"{name}\n{size}\n{b64(root)}\n"


def sign_checkpoint(size: int, root: bytes) -> str:
    """The signed note of a checkpoint of ``size`` entries with this root."""
    name = origin()
    text = checkpoint_text(name, size, root)
    signature = signing_key(KEY_PURPOSE).sign(text.encode())
    stamp = b64(key_hash(name, public_key_bytes(KEY_PURPOSE)) + signature)
    return f"{text}\n{SIGNATURE_DASH} {name} {stamp}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


class NoteError(ValueError):
    """A note that is malformed or not signed by the expected key."""


def open_note(note: str, name: str, public_key: bytes) -> Checkpoint:
    """Verify a signed checkpoint against one key and return what it says."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not text:
        raise NoteError("not a signed note: no blank line before the signatures")
    text += "\n"
    expected_hash = key_hash(name, public_key)
    verified = False
    for line in signatures.splitlines():
        signer, stamp = _signature_line(line)
        if signer != name or stamp[:4] != expected_hash:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(stamp[4:], text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {name} does not verify") from exc
        verified = True
    if not verified:
        raise NoteError(f"the note carries no signature of {name}")
    return _parse_checkpoint(text)


def _signature_line(line: str) -> tuple[str, bytes]:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != SIGNATURE_DASH:
        raise NoteError(f"malformed signature line: {line!r}")
    try:
        return parts[1], base64.b64decode(parts[2], validate=True)
    except binascii.Error as exc:
        raise NoteError("a signature is not base64") from exc


def _parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise NoteError("not a checkpoint: origin, size and root hash lines expected")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise NoteError("the root hash is not base64") from exc
    return Checkpoint(origin=lines[0], size=int(lines[1]), root=root)


# --- issuing ---------------------------------------------------------------------------------


def issue_checkpoint() -> LedgerCheckpoint | None:
    """Sign the log's current tree head if the log has grown since the last checkpoint.

    Returns the new checkpoint, or ``None`` when the latest already covers the log.
    """
    ledger.sequence_pending()
    size = ledger.tree_size()
    latest = latest_checkpoint()
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    root = ledger.root_hash(size)
    try:
        with transaction.atomic():
            return LedgerCheckpoint.objects.create(
                tree_size=size, root_hash=root, origin=origin(), note=sign_checkpoint(size, root)
            )
    except IntegrityError:  # another process signed the same size a moment ago
        return LedgerCheckpoint.objects.get(tree_size=size)


def latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-tree_size").first()


def checkpoint_covering(index: int) -> LedgerCheckpoint | None:
    """The latest checkpoint, if its tree includes entry ``index``; else a new one that does."""
    latest = latest_checkpoint()
    if latest is None or latest.tree_size <= index:
        latest = issue_checkpoint() or latest_checkpoint()
    if latest is None or latest.tree_size <= index:
        return None
    return latest
