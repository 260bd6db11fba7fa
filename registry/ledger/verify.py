"""Verification of the whole evidence log against the records and its own signatures.

``verify_log`` streams the entries in index order, a chunk at a time, and checks that:

- indexes are dense (0, 1, 2, …) and the head counts them;
- each leaf hash is SHA-256(0x00 ‖ payload), and the payload's kind and time match the row;
- each payload equals what its source records give today (``ledger_events.SOURCES``);
  for snapshot kinds, the latest snapshot equals the current state;
- the stored tree nodes equal the tree recomputed from the leaves;
- every checkpoint is signed by the log's key, has the recomputed root of its size, and
  is consistent with the previous one (an RFC 6962 consistency proof from the nodes);
- every version, acknowledgement and clarification since the log began has its entry.

It stops at the first mismatch and names the entry or checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from notifications.models import Acknowledgement, Clarification
from registry import ledger
from registry.keys import public_key_bytes
from registry.ledger import merkle
from registry.ledger.checkpoints import KEY_PURPOSE, NoteError, open_note, origin
from registry.ledger.events import SOURCES, VERSION_KINDS, rebuild_many, state_of
from registry.models import (
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerKind,
    LedgerNode,
    LedgerSubmission,
    NoticeVersion,
)

CHUNK = 2000

#: Tree nodes looked up per query.
NODE_BATCH = 200


class Mismatch(Exception):
    """The first thing that does not match; ``where`` names the entry or checkpoint."""

    def __init__(self, where: str, message: str, *, entry: int | None = None):
        super().__init__(f"{where}: {message}")
        self.where, self.message, self.entry = where, message, entry


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    recomputed: int = 0
    problem: Mismatch | None = None
    unverifiable_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is not None:
            return f"MISMATCH at {self.problem}"
        text = (
            f"OK: {self.entries} entries ({self.recomputed} recomputed from their records) "
            f"and {self.checkpoints} checkpoints verified."
        )
        if self.unverifiable_kinds:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(self.unverifiable_kinds.items()))
            text += f" Checked by hash only, no source to recompute: {kinds}."
        return text


def verify_log(progress: Callable[[int], None] | None = None) -> Report:
    report = Report()
    try:
        _Verifier(report, progress).run()
    except Mismatch as problem:
        report.problem = problem
    return report


class _Verifier:
    def __init__(self, report: Report, progress: Callable[[int], None] | None):
        self.report, self.progress = report, progress
        self.tree = merkle.CompactRange()
        self.key = public_key_bytes(KEY_PURPOSE)
        self.name = origin()
        self.checkpoints = _checkpoints()
        self.next_checkpoint = next(self.checkpoints, None)
        self.previous_checkpoint: LedgerCheckpoint | None = None
        self.latest_snapshot: dict[tuple[str, int], LedgerEntry] = {}

    def run(self) -> None:
        for chunk in _chunks():
            self.check_chunk(chunk)
            if self.progress:
                self.progress(self.tree.size)
        self.check_size()
        self.check_snapshots()
        self.check_coverage()

    # --- entries -------------------------------------------------------------------

    def check_chunk(self, chunk: list[LedgerEntry]) -> None:
        rebuilt = self.rebuild(chunk)
        created: dict[merkle.Node, tuple[bytes, int]] = {}
        for entry in chunk:
            self.check_entry(entry, rebuilt.get(entry.index))
            for node, value in self.tree.append(bytes(entry.leaf_hash)):
                if node[0] > 0:
                    created[node] = (value, entry.index)
            self.report.entries += 1
            while self.next_checkpoint and self.next_checkpoint.tree_size == self.tree.size:
                self.check_checkpoint(self.next_checkpoint)
                self.next_checkpoint = next(self.checkpoints, None)
        self.check_nodes(created)

    def check_entry(self, entry: LedgerEntry, rebuilt: tuple[str, bytes] | None) -> None:
        where = f"entry {entry.index} ({entry.kind})"
        if entry.index != self.tree.size:
            raise Mismatch(f"entry {self.tree.size}", "missing: the indexes are not dense")
        payload = bytes(entry.payload)
        if merkle.leaf_hash(payload) != bytes(entry.leaf_hash):
            raise Mismatch(where, "its leaf hash is not the hash of its payload", entry=entry.index)
        document = json.loads(payload)
        if document.get("kind") != entry.kind or document.get("time") != ledger.iso(
            entry.recorded_at
        ):
            raise Mismatch(where, "its kind or time differs from its payload", entry=entry.index)
        if rebuilt is None:
            return
        kind, data = rebuilt
        if kind != entry.kind or data != ledger.canonical(document["data"]):
            raise Mismatch(
                where,
                f"its payload differs from the source records today (source row {entry.source_id})",
                entry=entry.index,
            )
        self.report.recomputed += 1

    def rebuild(self, chunk: list[LedgerEntry]) -> dict[int, tuple[str, bytes]]:
        """What each entry's data should be, recomputed from its source rows in bulk."""
        for entry in chunk:
            source = SOURCES.get(entry.kind)
            if source is None or entry.source_id is None:
                counts = self.report.unverifiable_kinds
                counts[entry.kind] = counts.get(entry.kind, 0) + 1
            elif source.snapshot:
                self.latest_snapshot[(entry.kind, entry.source_id)] = entry
        rebuilt = rebuild_many(chunk)
        for index, found in rebuilt.items():
            if found is None:
                entry = next(e for e in chunk if e.index == index)
                raise Mismatch(
                    f"entry {index} ({entry.kind})",
                    f"its source row {entry.source_id} no longer exists",
                    entry=index,
                )
        return rebuilt  # type: ignore[return-value]

    def check_nodes(self, created: dict[merkle.Node, tuple[bytes, int]]) -> None:
        if not created:
            return
        stored = {}
        nodes = list(created)
        for start in range(0, len(nodes), NODE_BATCH):  # SQLite limits an expression's size
            rows = LedgerNode.objects.filter(pk__in=nodes[start : start + NODE_BATCH])
            for level, index, value in rows.values_list("level", "index", "hash"):
                stored[(level, index)] = bytes(value)
        for node, (value, last_index) in sorted(created.items(), key=lambda item: item[1][1]):
            if stored.get(node) != value:
                first = node[1] << node[0]
                raise Mismatch(
                    f"tree node {node[0]}/{node[1]} (entries {first} to {last_index})",
                    "the stored hash differs from the tree recomputed from the leaves",
                    entry=first,
                )

    def check_size(self) -> None:
        head = LedgerHead.objects.filter(pk=1).first()
        size = head.size if head else 0
        if size != self.tree.size:
            raise Mismatch("the log head", f"says {size} entries; the log holds {self.tree.size}")
        edge = b"".join(value for _, value in self.tree.stack)
        if head is not None and bytes(head.frontier) not in (b"", edge):
            raise Mismatch("the log head", "its right edge differs from the recomputed tree")
        if self.next_checkpoint is not None:
            raise Mismatch(
                f"checkpoint {self.next_checkpoint.tree_size}",
                f"is larger than the log ({self.tree.size} entries)",
            )

    # --- checkpoints ----------------------------------------------------------------

    def check_checkpoint(self, checkpoint: LedgerCheckpoint) -> None:
        where = f"checkpoint {checkpoint.tree_size}"
        try:
            signed = open_note(checkpoint.note, self.name, self.key)
        except NoteError as exc:
            raise Mismatch(where, str(exc)) from exc
        if (signed.size, signed.root) != (checkpoint.tree_size, bytes(checkpoint.root_hash)):
            raise Mismatch(where, "its columns differ from its signed note")
        if signed.root != self.tree.root():
            raise Mismatch(where, "its signed root is not the root of the entries")
        previous = self.previous_checkpoint
        if previous is not None:
            proof = ledger.consistency_proof(previous.tree_size, checkpoint.tree_size)
            try:
                merkle.verify_consistency(
                    previous.tree_size,
                    checkpoint.tree_size,
                    bytes(previous.root_hash),
                    signed.root,
                    proof,
                )
            except merkle.ProofError as exc:
                raise Mismatch(
                    where, f"not consistent with checkpoint {previous.tree_size}"
                ) from exc
        self.previous_checkpoint = checkpoint
        self.report.checkpoints += 1

    # --- what the records say now -----------------------------------------------------

    def check_snapshots(self) -> None:
        """The latest snapshot of each commitment, official and endpoint is their state now."""
        by_kind: dict[str, list[LedgerEntry]] = {}
        for (kind, _), entry in self.latest_snapshot.items():
            by_kind.setdefault(kind, []).append(entry)
        for kind, entries in by_kind.items():
            source = SOURCES[kind]
            rows = source.load({entry.source_id for entry in entries})
            for entry in sorted(entries, key=lambda e: e.index):
                row = rows.get(entry.source_id)
                data = state_of(json.loads(bytes(entry.payload))["data"])
                now = None if row is None else ledger.canonical(source.rebuild(row, kind)[1])
                if now != ledger.canonical(data):
                    raise Mismatch(
                        f"entry {entry.index} ({entry.kind})",
                        f"the last recorded state of source row {entry.source_id} is not its "
                        "state now: it was changed without being logged",
                        entry=entry.index,
                    )
                self.report.recomputed += 1

    def check_coverage(self) -> None:
        """No event without its entry: every row since the log began is in the log."""
        first = LedgerEntry.objects.order_by("index").first()
        if first is None:
            return
        since = first.recorded_at
        checks = [
            (NoticeVersion.objects.filter(filed_at__gte=since), VERSION_KINDS.values(), "version"),
            (
                Acknowledgement.objects.filter(acknowledged_at__gte=since),
                [LedgerKind.ACKNOWLEDGEMENT],
                "acknowledgement",
            ),
            (
                Clarification.objects.filter(asked_at__gte=since),
                [LedgerKind.CLARIFICATION_ASKED],
                "clarification",
            ),
            (
                Clarification.objects.filter(answered_at__gte=since),
                [LedgerKind.CLARIFICATION_ANSWERED],
                "clarification answer",
            ),
        ]
        for rows, kinds, label in checks:
            missing = _unlogged(rows, list(kinds)).order_by("pk").values_list("pk", flat=True)
            first_missing = missing.first()
            if first_missing is not None:
                raise Mismatch(f"{label} {first_missing}", "has no entry in the log")


def _unlogged(rows, kinds: list[str]):
    logged = LedgerEntry.objects.filter(kind__in=kinds, source_id=OuterRef("pk"))
    pending = LedgerSubmission.objects.filter(kind__in=kinds, source_id=OuterRef("pk"))
    return rows.filter(~Exists(logged), ~Exists(pending))


def _chunks() -> Iterator[list[LedgerEntry]]:
    """The entries in index order, ``CHUNK`` at a time (keyset pagination: no big offsets)."""
    after = -1
    while True:
        chunk = list(LedgerEntry.objects.filter(index__gt=after).order_by("index")[:CHUNK])
        if not chunk:
            return
        yield chunk
        after = chunk[-1].index


def _checkpoints() -> Iterator[LedgerCheckpoint]:
    """Every checkpoint by tree size, a page at a time (plain queries: no cursor left open
    when verification stops at a mismatch)."""
    after = -1
    while True:
        page = list(
            LedgerCheckpoint.objects.filter(tree_size__gt=after).order_by("tree_size")[:500]
        )
        yield from page
        if len(page) < 500:
            return
        after = page[-1].tree_size
