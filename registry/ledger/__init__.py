"""The evidence log: recording events, sequencing them into the Merkle log, reading proofs.

Writing is in two steps, so that the dense index never becomes a lock every filing
waits on:

1. ``record()`` (or ``record_many()``), called inside the event's own transaction,
   inserts a ``LedgerSubmission``: kind, canonical JSON payload (RFC 8785), leaf hash and
   who may read it. No event commits without its submission, and no submission without
   its event.
2. The sequencer moves committed submissions into ``LedgerEntry`` with the next indexes,
   stores the tree's new nodes and advances the head, one batch per transaction, one
   batch at a time. On PostgreSQL a batch is one statement, ``registry_ledger_sequence``
   (migration 0011), under a transaction-level advisory lock; on SQLite it is Python
   under SQLite's write lock. ``sequence_pending()`` runs the batches: Celery beat calls
   it every ``LEDGER_SEQUENCE_SECONDS``, a checkpoint calls it before signing, and
   ``receipt_for()`` calls it when an answer must carry an index that is not there yet.
   An event therefore costs its transaction one INSERT and nothing after its commit
   (a CT log's periodic integration, as in Trillian); a batch takes whatever the events
   of the last interval left, so the log's work per event falls as the load grows.

Reads: the root of any size and every proof cost O(log n) node reads (``read_nodes``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from registry import written_sql
from registry.ledger import merkle
from registry.models import (
    LedgerEntry,
    LedgerHead,
    LedgerKind,
    LedgerNode,
    LedgerSubmission,
)
from registry.selectors import commitments_visible_to, notices_visible_to, official_of

log = logging.getLogger(__name__)

#: The advisory lock the sequencer's batches take (migration 0010 has its frozen copy): what
#: a batch at work shows in ``pg_locks``.
SEQUENCER_LOCK_KEY = 0x6C656467  # "ledg"


class LedgerError(Exception):
    """The log's storage contradicts itself (a missing node, a head out of step)."""


# --- recording (inside the event's transaction) ----------------------------------------------


@dataclass(frozen=True)
class Event:
    """An event to record: its kind, its payload, and what it concerns (for visibility)."""

    kind: str
    payload: Mapping[str, Any]
    notice_id: int | None = None
    state_id: str | None = None
    commitment_id: int | None = None
    source_id: int | None = None


def b64(data: bytes) -> str:
    """Standard base64 (RFC 4648 §4), as the API and checkpoints write hashes."""
    return base64.b64encode(data).decode()


def canonical(payload: Mapping[str, Any]) -> bytes:
    """The payload as RFC 8785 canonical JSON: sorted keys, no whitespace, UTF-8."""
    return rfc8785.dumps(payload)


def iso(moment: dt.datetime | None) -> str | None:
    """A time as the log writes it: ISO 8601 in UTC, to the microsecond."""
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None


def entry_document(kind: str, time: dt.datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """What a leaf hashes: the kind and time of the event with its data, so none of the
    three can be changed without changing the leaf."""
    return {"kind": kind, "time": iso(time), "data": data}


def record(
    kind: str,
    payload: Mapping[str, Any],
    *,
    notice=None,
    state=None,
    commitment=None,
    source_id: int | None = None,
) -> None:
    """Record one event in the current transaction; it gets its index once sequenced.

    The leaf is the canonical JSON of ``{"kind", "time", "data": payload}``.

    ``notice``, ``state`` and ``commitment`` (instances or primary keys) say who may read
    the payload; ``source_id`` names the row the payload is derived from, so that
    ``verify_ledger`` can recompute it (see ``registry.ledger.events.SOURCES``).
    """
    event = Event(
        kind=kind,
        payload=payload,
        notice_id=_pk(notice),
        state_id=_pk(state),
        commitment_id=_pk(commitment),
        source_id=source_id,
    )
    record_many([event])


def record_many(events: Sequence[Event]) -> None:
    """Record several events at once (one INSERT), in the current transaction."""
    if not events:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Record a ledger event inside the transaction of the event itself.")
    now = timezone.now()
    stored_now = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for event in events:
        payload = canonical(entry_document(event.kind, now, event.payload))
        rows.append(
            (
                event.kind,
                payload,
                merkle.leaf_hash(payload),
                stored_now,
                event.source_id,
                event.notice_id,
                event.state_id,
                event.commitment_id,
            )
        )
    _insert_submissions(rows)


def _insert_submissions(rows: list[tuple]) -> None:
    """One INSERT of the rows, in ``ENTRY_COLUMNS`` order (a quarter of the ORM's cost)."""
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LedgerSubmission._meta.db_table} ({ENTRY_COLUMNS}) "
            f"VALUES {placeholders}",
            [value for row in rows for value in row],
        )


def _pk(value) -> Any:
    return getattr(value, "pk", value)


# --- sequencing ------------------------------------------------------------------------------


def sequence_pending(max_batches: int | None = None) -> int:
    """Move every committed submission into the log, batch by batch; return how many moved.

    Waits for the batch at work, if any (beat, receipts and checkpoints use it).
    """
    moved = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        count = _sequence_batch()
        moved += count
        batches += 1
        if count < settings.LEDGER_SEQUENCE_BATCH:
            break
    return moved


def _sequence_batch() -> int:
    """One batch, once the batch at work (if any) is done: the entries, their new tree
    nodes and the head, in one transaction (the caller's, if it is in one)."""
    if connection.vendor == "postgresql":
        return _sequence_batch_postgresql()
    with transaction.atomic():  # SQLite: its write transactions are exclusive already
        return _sequence_batch_sqlite(settings.LEDGER_SEQUENCE_BATCH)


def _sequence_batch_postgresql() -> int:
    """One statement: ``registry_ledger_sequence`` (migration 0011) takes the sequencer's
    transaction lock, moves the batch, stores the new nodes and the head."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT registry_ledger_sequence(%s)", [settings.LEDGER_SEQUENCE_BATCH])
        return cursor.fetchone()[0]


def _sequence_batch_sqlite(limit: int) -> int:
    """One batch: entries, their new tree nodes, the head (as the PostgreSQL function)."""
    size, frontier = _read_head()
    rows = _move_submissions(size, limit)
    if not rows:
        return 0
    created = merkle.appended_nodes(size, frontier, [leaf for _, leaf in rows])
    new_size = size + len(rows)
    edge = b"".join(created.get(node) or frontier[node] for node in merkle.frontier_nodes(new_size))
    LedgerNode.objects.bulk_create(
        [LedgerNode(level=level, index=i, hash=h) for (level, i), h in created.items() if level]
    )
    LedgerHead.objects.filter(pk=1).update(size=new_size, frontier=edge, updated_at=timezone.now())
    return len(rows)


def _frontier(size: int, edge: bytes | None) -> dict[merkle.Node, bytes]:
    """The right edge of the tree: from the head's copy, or from the tables if it has none."""
    nodes = merkle.frontier_nodes(size)
    edge = bytes(edge or b"")
    if len(edge) == 32 * len(nodes):
        return {node: edge[32 * i : 32 * i + 32] for i, node in enumerate(nodes)}
    return read_nodes(set(nodes))


def _read_head() -> tuple[int, dict[merkle.Node, bytes]]:
    head, _ = LedgerHead.objects.get_or_create(pk=1)
    return head.size, _frontier(head.size, head.frontier)


ENTRY_COLUMNS = (
    "kind, payload, leaf_hash, recorded_at, source_id, notice_id, state_id, commitment_id"
)


def _move_submissions(size: int, limit: int) -> list[tuple[int, bytes]]:
    """SQLite: insert the oldest pending submissions as entries ``size``, ``size + 1``, …,
    then delete them from the queue; ``(index, leaf hash)`` in index order."""
    entry, queue = LedgerEntry._meta.db_table, LedgerSubmission._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {entry} ("index", submission_id, {ENTRY_COLUMNS}) '
            f"SELECT %s + ROW_NUMBER() OVER (ORDER BY id) - 1, id, {ENTRY_COLUMNS} FROM {queue} "
            f"WHERE id IN (SELECT id FROM {queue} ORDER BY id LIMIT %s) "
            'RETURNING "index", leaf_hash, submission_id',
            [size, limit],
        )
        rows = sorted(cursor.fetchall())
    LedgerSubmission.objects.filter(id__in=[row[2] for row in rows]).delete()
    return [(row[0], bytes(row[1])) for row in rows]


# --- reading the tree ------------------------------------------------------------------------


def tree_size() -> int:
    """How many entries the log holds (sequenced)."""
    return LedgerHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def read_nodes(keys: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The hashes of these nodes: leaves from the entries, the others from the node table.

    Two indexed reads, each of at most ``log2(n)`` rows for a root or a proof.
    """
    leaves = [index for level, index in keys if level == 0]
    inner = [key for key in keys if key[0] > 0]
    found: dict[merkle.Node, bytes] = {}
    if leaves:
        for index, leaf in LedgerEntry.objects.filter(index__in=leaves).values_list(
            "index", "leaf_hash"
        ):
            found[(0, index)] = bytes(leaf)
    if inner:
        for level, index, value in LedgerNode.objects.filter(pk__in=inner).values_list(
            "level", "index", "hash"
        ):
            found[(level, index)] = bytes(value)
    missing = keys - found.keys()
    if missing:
        raise LedgerError(f"The log is missing tree nodes {sorted(missing)[:5]}.")
    return found


def root_hash(size: int) -> bytes:
    return merkle.root_from(read_nodes, size)


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(read_nodes, index, size)


def consistency_proof(first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(read_nodes, first, second)


# --- who may read what -----------------------------------------------------------------------


#: Kinds readable by fewer people than the notice they concern: what one recipient got or
#: did (a delivery, its acknowledgement) is for the filing state, that recipient, monitors
#: and the secretariat, as on the deliveries page; a finding is for monitors, the
#: secretariat and the state it is about, as on the findings page.
RECIPIENT_KINDS = (
    LedgerKind.DELIVERY_DELIVERED,
    LedgerKind.DELIVERY_FAILED,
    LedgerKind.ACKNOWLEDGEMENT,
)
NARROW_KINDS = (*RECIPIENT_KINDS, LedgerKind.FINDING_RECORDED)


def payload_visible_to(user) -> Q | None:
    """The entries whose payload ``user`` may read, as a condition; ``None`` means all.

    An event about a notice is readable by whoever may see the notice; one about a
    commitment alone by whoever may see the commitment; one about a state alone (an
    endpoint, an official's roles) by that state's officials; deliveries, acknowledgements
    and findings as ``NARROW_KINDS`` says. The secretariat reads everything. Leaf hashes,
    kinds and times are public to every signed-in official.
    """
    official = official_of(user)
    if official is None:
        return Q(pk__in=[])
    if official.is_secretariat:
        return None
    commitments = commitments_visible_to(user).values("pk")
    visible = Q(notice__isnull=False, notice__in=notices_visible_to(user).values("pk"))
    visible |= Q(notice__isnull=True, commitment__isnull=False, commitment__in=commitments)
    visible &= ~Q(kind__in=NARROW_KINDS)
    if official.organisation_id:
        return visible | Q(kind__in=NARROW_KINDS, commitment__in=commitments)
    mine = official.state_id
    visible |= Q(notice__isnull=True, commitment__isnull=True, state_id=mine)
    visible |= Q(kind=LedgerKind.FINDING_RECORDED, state_id=mine)
    visible |= Q(kind__in=RECIPIENT_KINDS) & (Q(state_id=mine) | Q(notice__state_id=mine))
    return visible


def entries_for(user, start: int, end: int) -> QuerySet[LedgerEntry]:
    """Entries ``[start, end)`` in index order, each marked ``payload_visible`` for ``user``."""
    condition = payload_visible_to(user)
    visible = (
        Value(True)
        if condition is None
        else Case(When(condition, then=Value(True)), default=Value(False))
    )
    return (
        LedgerEntry.objects.filter(index__gte=start, index__lt=end)
        .annotate(payload_visible=visible)
        .order_by("index")
    )


# --- receipts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """Where an event is in the log. ``index`` is ``None`` only while it waits to be sequenced
    (the sequencer failed just now; beat will sequence it within seconds)."""

    index: int | None
    leaf_hash: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leaf_hash": b64(self.leaf_hash)}

    def entry(self) -> LedgerEntry | None:
        return LedgerEntry.objects.get(index=self.index) if self.index is not None else None


def receipt_for(
    kinds: Iterable[str], source_id: int, *, just_recorded: bool = False
) -> Receipt | None:
    """The log position of the event of one of ``kinds`` derived from row ``source_id``.

    If the event is not in the log yet, sequences batch by batch (oldest first) until it is.
    An answer to the write that ``just_recorded`` the event sequences before it looks.
    """
    kinds = list(kinds)
    try:
        position = _sequenced_position_of(kinds, source_id, just_recorded)
    except Exception:
        log.exception("Sequencing the evidence log failed; the beat task will retry.")
        position = _position_of(kinds, source_id)
    if position is not None:
        return Receipt(index=position[0], leaf_hash=bytes(position[1]))
    pending = (
        LedgerSubmission.objects.filter(kind__in=kinds, source_id=source_id)
        .order_by("-id")
        .values_list("leaf_hash", flat=True)
        .first()
    )
    return Receipt(index=None, leaf_hash=bytes(pending)) if pending is not None else None


def _sequenced_position_of(
    kinds: list[str], source_id: int, just_recorded: bool
) -> tuple[int, bytes] | None:
    """The event's index and leaf hash, sequencing what is pending until it is there or
    nothing moves (the event is still in its transaction, or was never recorded)."""
    position = None if just_recorded else _position_of(kinds, source_id)
    while position is None:
        moved = _sequence_batch()  # or a batch at work took it while this one waited
        position = _position_of(kinds, source_id)
        if not moved:
            break
    return position


def _position_of(kinds: list[str], source_id: int) -> tuple[int, bytes] | None:
    """The index and leaf hash of the last entry of these kinds for the source: what
    ``LedgerEntry.objects.filter(kind__in=kinds, source_id=source_id).order_by("-index")``
    finds first, written out once (``registry.written_sql``), since every answer with a
    receipt asks."""
    rows = written_sql.fetch_all(_position_sql(len(kinds)), [source_id, *kinds])
    return rows[0] if rows else None


@functools.cache
def _position_sql(kind_count: int) -> str:
    column = functools.partial(written_sql.column, LedgerEntry)
    kinds = ", ".join(["%s"] * kind_count)
    return (
        f"SELECT {column('index')}, {column('leaf_hash')} FROM {written_sql.table(LedgerEntry)} "
        f"WHERE {column('source_id')} = %s AND {column('kind')} IN ({kinds}) "
        f"ORDER BY {column('index')} DESC LIMIT 1"
    )


def last_payload(kind: str, source_id: int) -> bytes | None:
    """The payload last recorded for a source, pending or sequenced (for snapshot events)."""
    pending = (
        LedgerSubmission.objects.filter(kind=kind, source_id=source_id)
        .order_by("-id")
        .values_list("payload", flat=True)
        .first()
    )
    if pending is not None:
        return bytes(pending)
    entries = LedgerEntry.objects.filter(kind=kind, source_id=source_id).order_by("-index")
    payload = entries.values_list("payload", flat=True).first()
    return bytes(payload) if payload is not None else None
