"""The evidence log: recording events, sequencing them into the Merkle log, reading proofs.

Writing is in two steps, so that the dense index never becomes a lock every filing
waits on:

1. ``record()`` (or ``record_many()``), called inside the event's own transaction,
   inserts a ``LedgerSubmission``: kind, canonical JSON payload (RFC 8785), leaf hash and
   who may read it. No event commits without its submission, and no submission without
   its event.
2. The sequencer moves committed submissions into ``LedgerEntry`` with the next indexes,
   stores the tree's new nodes and advances the head, one batch per transaction, one
   sequencer at a time (a PostgreSQL advisory lock; SQLite's write lock on SQLite). Right
   after each event commits, ``sequence_if_free()`` sequences everyone's pending
   submissions unless a sequencer is at work, which then takes them (application-level
   group commit: the committer never waits). ``receipt_for()`` waits for the entry when an
   answer must carry its index. Celery beat runs ``sequence_pending()`` too, so a crash
   between the commit and the sequencing only delays the index.

Reads: the root of any size and every proof cost O(log n) node reads (``read_nodes``).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

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

#: Key of the PostgreSQL advisory lock that makes the sequencer run one at a time.
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
) -> LedgerSubmission:
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
    return record_many([event])[0]


def record_many(events: Sequence[Event]) -> list[LedgerSubmission]:
    """Record several events at once (one INSERT), in the current transaction."""
    if not events:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("Record a ledger event inside the transaction of the event itself.")
    now = timezone.now()
    submissions = []
    for event in events:
        payload = canonical(entry_document(event.kind, now, event.payload))
        submissions.append(
            LedgerSubmission(
                kind=event.kind,
                payload=payload,
                leaf_hash=merkle.leaf_hash(payload),
                recorded_at=now,
                notice_id=event.notice_id,
                state_id=event.state_id,
                commitment_id=event.commitment_id,
                source_id=event.source_id,
            )
        )
    LedgerSubmission.objects.bulk_create(submissions)
    _sequence_once_committed()
    return submissions


def _sequence_once_committed() -> None:
    """Sequence after the transaction commits: once, however many events it recorded."""
    queued = connection.run_on_commit if connection.in_atomic_block else []
    if not any(callback is sequence_after_commit for _, callback, _ in queued):
        transaction.on_commit(sequence_after_commit)


def _pk(value) -> Any:
    return getattr(value, "pk", value)


def sequence_after_commit() -> None:
    """Sequence what the event just committed; never fail the request for it."""
    try:
        sequence_if_free()
    except Exception:
        log.exception("Sequencing the evidence log failed; the beat task will retry.")


# --- sequencing ------------------------------------------------------------------------------


def sequence_if_free(rounds: int = 50) -> int:
    """Application-level group commit: sequence everyone's pending submissions, unless a
    sequencer is already at work; return how many this call moved.

    A sequencer checks for newcomers after each batch it commits, so a submission whose
    committer found the sequencer busy is always taken by it: the committer never waits.
    """
    if connection.vendor != "postgresql":
        return sequence_pending()
    moved = 0
    for _ in range(rounds):
        if not _try_session_lock():
            return moved
        try:
            moved += sequence_pending(locked=True)
        finally:
            _session_unlock()
        if not any_pending():
            break
    return moved


def any_pending() -> bool:
    """Whether a submission waits to be sequenced.

    Read through the primary key: the queue's table is mostly rows already moved and not
    yet vacuumed, which a plain ``exists()`` (a sequential scan) would read every time.
    """
    return LedgerSubmission.objects.order_by("pk").values_list("pk", flat=True).first() is not None


def sequence_pending(max_batches: int | None = None, *, locked: bool = False) -> int:
    """Move every committed submission into the log, batch by batch; return how many moved.

    Waits for a sequencer already at work (beat, receipts and checkpoints use it);
    ``locked``: the caller holds the sequencer lock already.
    """
    moved = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            if not locked:
                _lock_sequencer()
            count = _sequence_batch(settings.LEDGER_SEQUENCE_BATCH)
        moved += count
        batches += 1
        if count < settings.LEDGER_SEQUENCE_BATCH:
            break
    return moved


def wait_for_sequencer() -> None:
    """Return once the sequencer at work, if any, has committed its batch."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SEQUENCER_LOCK_KEY])


def _try_session_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEQUENCER_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _session_unlock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [SEQUENCER_LOCK_KEY])


def _lock_sequencer() -> None:
    """One sequencer at a time. SQLite needs nothing: its write transactions are exclusive."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK_KEY])


def _sequence_batch(limit: int) -> int:
    """One batch, under the sequencer lock: entries, their new tree nodes, the head."""
    if connection.vendor == "postgresql":
        size, frontier, rows = _move_submissions_postgresql(limit)
    else:
        size, frontier = _read_head()
        rows = _move_submissions(size, limit)
    if not rows:
        return 0
    if rows[0][0] != size:  # raising rolls the batch back
        raise LedgerError(f"The sequencer expected index {size}, got {rows[0][0]}.")
    created = merkle.appended_nodes(size, frontier, [leaf for _, leaf in rows])
    new_size = size + len(rows)
    edge = b"".join(created.get(node) or frontier[node] for node in merkle.frontier_nodes(new_size))
    _store_nodes_and_head({k: v for k, v in created.items() if k[0] > 0}, new_size, edge)
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


def _move_submissions_postgresql(limit: int) -> tuple[int, dict, list[tuple[int, bytes]]]:
    """In one statement: read the head, delete the oldest submissions from the queue and
    insert them as the next entries. A missing head means an empty log (if it is not, the
    primary key refuses the entries and the batch rolls back)."""
    entry, queue = LedgerEntry._meta.db_table, LedgerSubmission._meta.db_table
    head = LedgerHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH head AS (SELECT size, frontier FROM {head} WHERE id = 1), "
            f"moved AS (DELETE FROM {queue} WHERE id IN "
            f"(SELECT id FROM {queue} ORDER BY id LIMIT %s) RETURNING *), "
            f'inserted AS (INSERT INTO {entry} ("index", submission_id, {ENTRY_COLUMNS}) '
            f"SELECT COALESCE((SELECT size FROM head), 0) + ROW_NUMBER() OVER (ORDER BY id) - 1, "
            f'id, {ENTRY_COLUMNS} FROM moved RETURNING "index", leaf_hash) '
            f'SELECT "index", leaf_hash, (SELECT size FROM head), (SELECT frontier FROM head) '
            f'FROM inserted ORDER BY "index"',
            [limit],
        )
        rows = cursor.fetchall()
    if not rows:
        return 0, {}, []
    size = rows[0][2] or 0
    return size, _frontier(size, rows[0][3]), [(row[0], bytes(row[1])) for row in rows]


def _store_nodes_and_head(nodes: dict[merkle.Node, bytes], size: int, edge: bytes) -> None:
    if connection.vendor != "postgresql":
        LedgerNode.objects.bulk_create(
            [LedgerNode(level=level, index=i, hash=h) for (level, i), h in nodes.items()]
        )
        LedgerHead.objects.filter(pk=1).update(size=size, frontier=edge, updated_at=timezone.now())
        return
    keys = list(nodes)
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH nodes AS (INSERT INTO {LedgerNode._meta.db_table} (level, "index", hash) '
            "SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])) "
            f"INSERT INTO {LedgerHead._meta.db_table} (id, size, frontier, updated_at) "
            "VALUES (1, %s, %s, now()) ON CONFLICT (id) DO UPDATE SET size = EXCLUDED.size, "
            "frontier = EXCLUDED.frontier, updated_at = EXCLUDED.updated_at",
            [
                [level for level, _ in keys],
                [index for _, index in keys],
                [nodes[key] for key in keys],
                size,
                edge,
            ],
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
    entry: LedgerEntry | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leaf_hash": b64(self.leaf_hash)}


def receipt_for(kinds: Iterable[str], source_id: int) -> Receipt | None:
    """The log position of the event of one of ``kinds`` derived from row ``source_id``.

    Sequences pending submissions first if the event is not in the log yet.
    """
    kinds = list(kinds)
    entry = _entry_of(kinds, source_id)
    if entry is None:
        wait_for_sequencer()  # the sequencer at work has probably taken it
        entry = _entry_of(kinds, source_id)
    if entry is None:
        try:
            sequence_pending()
        except Exception:
            log.exception("Sequencing the evidence log failed; the beat task will retry.")
        entry = _entry_of(kinds, source_id)
    if entry is not None:
        return Receipt(index=entry.index, leaf_hash=bytes(entry.leaf_hash), entry=entry)
    pending = (
        LedgerSubmission.objects.filter(kind__in=kinds, source_id=source_id).order_by("-id").first()
    )
    if pending is None:
        return None
    return Receipt(index=None, leaf_hash=bytes(pending.leaf_hash))


def _entry_of(kinds: list[str], source_id: int) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(kind__in=kinds, source_id=source_id).order_by("-index").first()
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
    entry = _entry_of([kind], source_id)
    return bytes(entry.payload) if entry is not None else None
