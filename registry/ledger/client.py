"""Check the registry's evidence log from outside, trusting nothing but its pinned public key.

    python -m registry.ledger.client --url https://registry.example.org \\
        --token rg_… --key 'registry.example.org/ledger+1a2b3c4d+AdG…' \\
        --state ledger-state.json [--audit] [receipt.json …]

1. Fetches the latest signed checkpoint and verifies its signature with the pinned key.
2. Verifies that it is consistent with the checkpoint saved in ``--state`` last time (an
   RFC 6962 consistency proof: the log only grew), then saves it there.
3. For each receipt (downloaded from a notice page): the payload hashes to the leaf, the
   receipt's checkpoint is signed, the entry is included in it, that checkpoint is
   consistent with the latest, and the log still serves the same entry, included in the
   latest tree, with the same content as its source records give today.
4. ``--audit``: every entry the token may read: each visible payload hashes to its leaf
   and equals its source records today; the leaves make the signed root.

Exit status: 0 verified; 1 a check failed (the message names the entry or checkpoint);
2 bad arguments or files; 3 the registry could not be reached or answered an error.

Self-contained on purpose (standard library and ``cryptography`` only): copy this file to
a counterpart's machine and run it with ``python ledger_client.py``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3
PAGE = 1000


class CheckFailed(Exception):
    """Evidence that the log is not what it claims (exit status 1)."""


class UsageError(Exception):
    """Bad arguments, key or files (exit status 2)."""


class Unreachable(Exception):
    """The registry did not answer, or answered an error (exit status 3)."""


# --- RFC 6962 / RFC 9162 ---------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2; ``None`` for a malformed proof."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            result = node_hash(element, result)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def consistent(first: int, second: int, old: bytes, new: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and old == new
    if not proof:
        return False
    path = ([old] if first & (first - 1) == 0 else []) + list(proof)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for element in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(element, fr), node_hash(element, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, element)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def root_of(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes, keeping only the right edge of the tree."""
    stack: list[tuple[int, bytes]] = []
    for leaf in leaves:
        level, value = 0, leaf
        while stack and stack[-1][0] == level:
            value = node_hash(stack.pop()[1], value)
            level += 1
        stack.append((level, value))
    if not stack:
        return hashlib.sha256(b"").digest()
    result = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        result = node_hash(left, result)
    return result


# --- signed checkpoints (C2SP signed note) ---------------------------------------------------


@dataclass(frozen=True)
class Key:
    name: str
    key_hash: bytes
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> Key:
        """A note verifier key: ``<name>+<hex key hash>+<base64(0x01 ‖ public key)>``."""
        try:
            name, hash_hex, encoded = text.strip().rsplit("+", 2)
            raw = base64.b64decode(encoded, validate=True)
            key_hash = bytes.fromhex(hash_hex)
        except (ValueError, binascii.Error) as exc:
            raise UsageError(f"Not a note verifier key: {text!r}") from exc
        if len(raw) != 33 or raw[0] != 1:
            raise UsageError("The verifier key is not an Ed25519 key (type 0x01, 32 bytes).")
        expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        if key_hash != expected:
            raise UsageError("The verifier key's hash does not match its name and key.")
        return cls(name, key_hash, Ed25519PublicKey.from_public_bytes(raw[1:]))


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    note: str


def open_checkpoint(note: str, key: Key, what: str) -> Checkpoint:
    """The checkpoint a note signs, if the pinned key signed it; else ``CheckFailed``."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise CheckFailed(f"{what}: not a signed note")
    text += "\n"
    signed = False
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != key.name:
            continue
        try:
            stamp = base64.b64decode(parts[2], validate=True)
        except binascii.Error as exc:
            raise CheckFailed(f"{what}: a signature is not base64") from exc
        if stamp[:4] != key.key_hash:
            continue
        try:
            key.public.verify(stamp[4:], text.encode())
        except InvalidSignature as exc:
            raise CheckFailed(f"{what}: the signature does not verify with the pinned key") from exc
        signed = True
    if not signed:
        raise CheckFailed(f"{what}: not signed by the pinned key {key.name}")
    lines = text.split("\n")
    if lines[0] != key.name or not lines[1].isdigit():
        raise CheckFailed(f"{what}: not a checkpoint of the log {key.name}")
    return Checkpoint(int(lines[1]), base64.b64decode(lines[2]), note)


# --- the registry's API ----------------------------------------------------------------------


class Registry:
    def __init__(self, url: str, token: str):
        self.base, self.token = url.rstrip("/") + "/api/v1/ledger/", token

    def get(self, path: str, **params) -> dict:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise Unreachable(f"{url}: HTTP {exc.code} {exc.read()[:300]!r}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unreachable(f"{url}: {exc}") from exc

    def latest(self, key: Key) -> Checkpoint:
        return open_checkpoint(self.get("checkpoint/")["note"], key, "the latest checkpoint")

    def check_consistent(self, old: Checkpoint, new: Checkpoint, what: str) -> None:
        if old.size > new.size:
            raise CheckFailed(f"{what}: the log shrank from {old.size} to {new.size} entries")
        proof = []
        if old.size < new.size:
            answer = self.get("proof/consistency/", first=old.size, second=new.size)
            proof = [base64.b64decode(h) for h in answer["consistency"]]
        if not consistent(old.size, new.size, old.root, new.root, proof):
            raise CheckFailed(
                f"{what}: checkpoint {old.size} is not a prefix of checkpoint {new.size}: "
                "the log was rewritten"
            )

    def entries(self, start: int, end: int) -> list[dict]:
        return self.get("entries/", start=start, end=end, recompute=1)["entries"]


# --- the checks ------------------------------------------------------------------------------


def check_state(registry: Registry, key: Key, latest: Checkpoint, state: Path) -> str:
    if not state.exists():
        return f"first checkpoint pinned: {latest.size} entries"
    try:
        saved = json.loads(state.read_text())["note"]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{state}: not a state file of this client") from exc
    old = open_checkpoint(saved, key, f"the saved checkpoint ({state})")
    registry.check_consistent(old, latest, "the latest checkpoint")
    return f"consistent with the saved checkpoint ({old.size} → {latest.size} entries)"


def check_receipt(registry: Registry, key: Key, latest: Checkpoint, path: Path) -> str:
    try:
        receipt = json.loads(path.read_text())
        entry, proof = receipt["entry"], receipt["inclusion_proof"]
        index, payload = int(entry["index"]), entry["payload"].encode()
        leaf = base64.b64decode(entry["leaf_hash"])
        path_hashes = [base64.b64decode(h) for h in proof["audit_path"]]
        note = receipt["checkpoint"]["note"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a receipt") from exc
    where = f"{path.name}, entry {index}"
    if leaf_hash(payload) != leaf:
        raise CheckFailed(f"{where}: the receipt's payload does not hash to its leaf")
    signed = open_checkpoint(note, key, f"{where}: its checkpoint")
    if root_from_inclusion(index, signed.size, leaf, path_hashes) != signed.root:
        raise CheckFailed(f"{where}: not included in the receipt's checkpoint {signed.size}")
    registry.check_consistent(signed, latest, where)
    check_live_entry(registry, latest, index, leaf, payload, where)
    return f"{where} ({entry.get('kind')}): included in checkpoint {latest.size}, unchanged"


def check_live_entry(
    registry: Registry, latest: Checkpoint, index: int, leaf: bytes, payload: bytes, where: str
) -> None:
    """The log still serves this entry, in the latest tree, with content the records confirm."""
    served = registry.entries(index, index + 1)
    if not served or base64.b64decode(served[0]["leaf_hash"]) != leaf:
        raise CheckFailed(f"{where}: the registry now serves a different leaf hash")
    if served[0]["payload"] is not None and served[0]["payload"].encode() != payload:
        raise CheckFailed(f"{where}: the registry now serves a different payload")
    source = served[0].get("source_data")
    if source is not None and json.loads(source) != json.loads(payload)["data"]:
        raise CheckFailed(
            f"{where}: the registry's records no longer say what was logged "
            "(a record was changed after the event)"
        )
    answer = registry.get("proof/inclusion/", index=index, tree_size=latest.size)
    proof = [base64.b64decode(h) for h in answer["audit_path"]]
    if root_from_inclusion(index, latest.size, leaf, proof) != latest.root:
        raise CheckFailed(f"{where}: not included in the latest checkpoint {latest.size}")


def audit(registry: Registry, latest: Checkpoint) -> str:
    """Every entry: visible payloads hash to their leaves and match the records; the leaves
    make the signed root. On a root mismatch, find the first leaf that breaks it."""
    leaves: list[bytes] = []
    visible = 0
    for start in range(0, latest.size, PAGE):
        for row in registry.entries(start, min(start + PAGE, latest.size)):
            index, leaf = row["index"], base64.b64decode(row["leaf_hash"])
            if index != len(leaves):
                raise CheckFailed(f"entry {len(leaves)}: missing from the registry's answer")
            if row["payload"] is not None:
                visible += 1
                check_payload(row, leaf)
            leaves.append(leaf)
    if root_of(leaves) != latest.root:
        bad = first_bad_leaf(registry, latest, leaves)
        raise CheckFailed(f"entry {bad}: its leaf hash is not the one the signed tree holds")
    return f"audit: {len(leaves)} leaves make the signed root; {visible} payloads checked"


def check_payload(row: dict, leaf: bytes) -> None:
    where = f"entry {row['index']} ({row['kind']})"
    payload = row["payload"].encode()
    if leaf_hash(payload) != leaf:
        raise CheckFailed(f"{where}: its payload does not hash to its leaf")
    source = row.get("source_data")
    if source is not None and json.loads(source) != json.loads(payload)["data"]:
        raise CheckFailed(f"{where}: the registry's records no longer say what was logged")


def first_bad_leaf(registry: Registry, latest: Checkpoint, leaves: list[bytes]) -> int:
    """Bisect on prefixes: the smallest m whose local root is not consistent with the signed
    tree; leaf m - 1 is then the first one that differs."""
    low, high = 1, len(leaves)
    while low < high:
        middle = (low + high) // 2
        if middle == latest.size:
            return latest.size - 1
        answer = registry.get("proof/consistency/", first=middle, second=latest.size)
        proof = [base64.b64decode(h) for h in answer["consistency"]]
        if consistent(middle, latest.size, root_of(leaves[:middle]), latest.root, proof):
            low = middle + 1
        else:
            high = middle
    return low - 1


# --- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m registry.ledger.client",
        description="Verify the registry's evidence log with its pinned public key.",
    )
    parser.add_argument("--url", default=os.environ.get("REGISTRY_URL"), help="registry address")
    parser.add_argument("--token", default=os.environ.get("REGISTRY_TOKEN"), help="API token")
    parser.add_argument(
        "--key",
        default=os.environ.get("LEDGER_VERIFIER_KEY"),
        help="the log's note verifier key, pinned (name+hash+base64 key)",
    )
    parser.add_argument(
        "--state", type=Path, default=Path("ledger-state.json"), help="last checkpoint seen"
    )
    parser.add_argument("--audit", action="store_true", help="check every entry as well")
    parser.add_argument("receipts", nargs="*", type=Path, help="receipt JSON files")
    return parser


def run(args: argparse.Namespace) -> list[str]:
    if not (args.url and args.token and args.key):
        raise UsageError("Give --url, --token and --key (or REGISTRY_URL, REGISTRY_TOKEN, …).")
    key = Key.parse(args.key)
    registry = Registry(args.url, args.token)
    latest = registry.latest(key)
    lines = [f"checkpoint {latest.size}: signature verified"]
    lines.append(check_state(registry, key, latest, args.state))
    lines += [check_receipt(registry, key, latest, path) for path in args.receipts]
    if args.audit:
        lines.append(audit(registry, latest))
    args.state.write_text(json.dumps({"note": latest.note}))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        for line in run(args):
            print(f"ok: {line}")
    except CheckFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return FAILED
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except Unreachable as exc:
        print(f"unreachable: {exc}", file=sys.stderr)
        return UNREACHABLE
    return OK


if __name__ == "__main__":
    sys.exit(main())
