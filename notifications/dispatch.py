"""The outbox: deliveries written with the version, claimed when due, sent, recorded.

Nothing here trusts the broker. A delivery row is written in the transaction that files
a version; a task carrying its id is queued after the commit for speed; the sweeper,
run by the scheduler every few seconds, finds whatever is due (new deliveries whose task
was lost, retries, leases of crashed workers) and queues it again. Claiming is a
compare-and-set on the row's status, so two workers never send the same attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone

from notifications.channels import CHANNELS, Message, Outcome
from notifications.messages import build_messages
from notifications.models import Clarification, Delivery, DeliveryAttempt, Endpoint, Event
from registry.ledger import events as ledger_events
from registry.models import NoticeVersion
from registry.notice_content import content_kind, content_select_related

log = logging.getLogger(__name__)

VERSION_EVENTS = {
    "filed": Event.NOTICE_FILED,
    "amended": Event.NOTICE_AMENDED,
    "cancelled": Event.NOTICE_CANCELLED,
}


# --- writing the outbox (inside the filing transaction) ----------------------------------


def create_deliveries(
    version: NoticeVersion,
    recipient_codes: Sequence[str],
    *,
    event: str | None = None,
    clarification=None,
    imported: bool = False,
) -> list[int]:
    """One delivery per endpoint of each recipient; queued for sending once the caller commits.

    Returns the ids of the deliveries to send. For an imported version (history loaded
    from an earlier record) only the inboxes are written, as received when the version was
    filed: nothing goes out again.
    """
    if imported:
        _imported_receipts(version, recipient_codes)
        return []
    event = event or VERSION_EVENTS[version.status]
    write = _write_deliveries if connection.vendor == "postgresql" else _create_deliveries
    rows = write(version, recipient_codes, event, clarification, timezone.now())
    pending = [pk for pk, status in rows if status == Delivery.Status.PENDING]
    if pending:
        transaction.on_commit(lambda: enqueue(pending))
    return pending


def _write_deliveries(version, codes, event, clarification, now) -> list[tuple[int, str]]:
    """PostgreSQL: the deliveries to every endpoint of the recipients, in one statement.

    A recipient without its inbox (a state's first notice) gets it then, and its delivery.
    """
    rows = _insert_deliveries(version, codes, event, clarification, now, kinds=list(CHANNELS))
    with_inbox = {recipient for _, _, recipient, kind in rows if kind == Endpoint.Kind.INBOX}
    if missing := set(codes) - with_inbox:
        ensure_inboxes(missing)
        kinds = [Endpoint.Kind.INBOX]
        rows += _insert_deliveries(version, missing, event, clarification, now, kinds=kinds)
    return [(pk, status) for pk, status, _, _ in rows]


def _insert_deliveries(version, codes, event, clarification, now, *, kinds) -> list[tuple]:
    """The deliveries to the recipients' endpoints of ``kinds``, written by PostgreSQL from
    the endpoints in one statement: ``(id, status, recipient, endpoint kind)`` each.

    Each row's status is ``_initial_state``'s, worked out in SQL: an order of magnitude
    cheaper for a filing than building and inserting the rows in Python.
    """
    status = Delivery.Status
    on_filing = [kind for kind, channel in CHANNELS.items() if channel.delivered_on_filing]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH inserted AS (INSERT INTO {Delivery._meta.db_table} (message_id, event,
                version_id, clarification_id, recipient_id, endpoint_id, status, attempts,
                retry_step, next_attempt_at, created_at, delivered_at, last_error)
            SELECT gen_random_uuid(), %s, %s, %s, e.state_id, e.id,
                CASE WHEN e.kind = ANY(%s) THEN %s WHEN e.status <> %s THEN %s ELSE %s END,
                0, 0, %s, %s, CASE WHEN e.kind = ANY(%s) THEN %s END, ''
            FROM {Endpoint._meta.db_table} e WHERE e.state_id = ANY(%s) AND e.kind = ANY(%s)
            ORDER BY e.id
            RETURNING id, status, recipient_id, endpoint_id)
            SELECT i.id, i.status, i.recipient_id, e.kind FROM inserted i
            JOIN {Endpoint._meta.db_table} e ON e.id = i.endpoint_id ORDER BY i.id""",
            [
                event,
                version.pk,
                getattr(clarification, "pk", None),
                on_filing,
                status.DELIVERED,
                Endpoint.Status.ACTIVE,
                status.HELD,
                status.PENDING,
                now,
                now,
                on_filing,
                now,
                sorted(set(codes)),
                kinds,
            ],
        )
        return cursor.fetchall()


def _create_deliveries(version, codes, event, clarification, now) -> list[tuple[int, str]]:
    """The deliveries, built and inserted through the ORM (SQLite, for the demo)."""
    deliveries = [
        Delivery(
            event=event,
            version=version,
            clarification=clarification,
            recipient_id=endpoint.state_id,
            endpoint=endpoint,
            next_attempt_at=now,
            **_initial_state(endpoint, now),
        )
        for endpoint in endpoints_of(codes)
    ]
    Delivery.objects.bulk_create(deliveries)
    return [(delivery.pk, delivery.status) for delivery in deliveries]


def _imported_receipts(version: NoticeVersion, recipient_codes: Sequence[str]) -> list[Delivery]:
    inboxes = [e for e in endpoints_of(recipient_codes) if e.kind == Endpoint.Kind.INBOX]
    deliveries = [
        Delivery(
            event=VERSION_EVENTS[version.status],
            version=version,
            recipient_id=inbox.state_id,
            endpoint=inbox,
            status=Delivery.Status.DELIVERED,
            created_at=version.filed_at,
            next_attempt_at=version.filed_at,
            delivered_at=version.filed_at,
        )
        for inbox in inboxes
    ]
    return Delivery.objects.bulk_create(deliveries)


def _initial_state(endpoint: Endpoint, now: dt.datetime) -> dict:
    if CHANNELS[endpoint.kind].delivered_on_filing:
        return {"status": Delivery.Status.DELIVERED, "delivered_at": now}
    if not endpoint.is_active:
        return {"status": Delivery.Status.HELD}
    return {"status": Delivery.Status.PENDING}


def endpoints_of(state_codes: Iterable[str]) -> list[Endpoint]:
    """Every endpoint of the states, creating the inbox of any state that has none yet.

    Only what writing a delivery needs is read (not the secrets, which need decrypting).
    """
    codes = set(state_codes)
    ensure_inboxes(codes)
    return list(
        Endpoint.objects.filter(state_id__in=codes).only("id", "state_id", "kind", "status")
    )


def ensure_inboxes(state_codes: Iterable[str]) -> None:
    """Create the registry inbox of each state that has none yet."""
    codes = set(state_codes)
    with_inbox = set(
        Endpoint.objects.filter(state_id__in=codes, kind=Endpoint.Kind.INBOX).values_list(
            "state_id", flat=True
        )
    )
    if codes - with_inbox:
        Endpoint.objects.bulk_create(
            [Endpoint(state_id=code, kind=Endpoint.Kind.INBOX) for code in codes - with_inbox],
            ignore_conflicts=True,
        )


def enqueue(delivery_ids: Sequence[int]) -> None:
    """Queue sending; if the broker is down, the sweeper will find the rows later."""
    from notifications.tasks import deliver

    size = settings.DELIVERY_BATCH_SIZE
    try:
        for start in range(0, len(delivery_ids), size):
            deliver.delay(list(delivery_ids[start : start + size]))
    except Exception:
        log.warning("Broker unavailable; %d deliveries wait for the sweeper.", len(delivery_ids))


# --- claiming, sending, recording --------------------------------------------------------


def claim(delivery_ids: Sequence[int] | None = None, limit: int | None = None) -> list[int]:
    """Take due pending deliveries for this worker: status pending → sending, with a lease."""
    return [delivery.pk for delivery in claim_deliveries(delivery_ids, limit)]


def claim_deliveries(
    delivery_ids: Sequence[int] | None = None, limit: int | None = None, *, fill: bool = False
) -> list[Delivery]:
    """Claim like ``claim``; return the claimed deliveries, as claimed, with their endpoints.

    Without ``delivery_ids``, any due deliveries are taken, the longest due first; with
    them, those of them still due, and with ``fill`` other due deliveries too, up to the
    limit (``DELIVERY_BATCH_SIZE``): a worker that fell behind then sends bigger batches,
    and the tasks of what it took find nothing left to claim.
    """
    now = timezone.now()
    lease = now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    limit = limit or settings.DELIVERY_BATCH_SIZE
    claim_rows = _claim_rows if connection.vendor == "postgresql" else _claim_rows_orm
    claimed = claim_rows(delivery_ids, limit, fill or delivery_ids is None, now, lease)
    endpoints = Endpoint.objects.in_bulk({delivery.endpoint_id for delivery in claimed})
    endpoint_cache = Delivery._meta.get_field("endpoint")
    for delivery in claimed:
        endpoint_cache.set_cached_value(delivery, endpoints[delivery.endpoint_id])
    return sorted(claimed, key=lambda delivery: (delivery.next_attempt_at, delivery.pk))


def _claim_rows(ids, limit: int, fill: bool, now, lease) -> list[Delivery]:
    """One statement: lock the due rows no other worker holds (``SKIP LOCKED``), the given
    ones first, and mark them ``sending`` under a lease (the compare-and-set of a claim)."""
    table = Delivery._meta.db_table
    sql = f"""WITH due AS (
            SELECT id FROM {table}
            WHERE status = %(pending)s AND next_attempt_at <= %(now)s
                AND (id = ANY(%(ids)s) OR %(fill)s)
            ORDER BY id = ANY(%(ids)s) DESC, next_attempt_at
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {table} d SET status = %(sending)s, attempts = d.attempts + 1,
            lease_expires_at = %(lease)s
        FROM due WHERE d.id = due.id
        RETURNING d.*"""
    params = {
        "pending": Delivery.Status.PENDING,
        "sending": Delivery.Status.SENDING,
        "now": now,
        "lease": lease,
        "ids": list(ids or []),
        "fill": fill,
        "limit": limit,
    }
    return list(Delivery.objects.raw(sql, params))


def _claim_rows_orm(ids, limit: int, fill: bool, now, lease) -> list[Delivery]:
    """The claim through the ORM, for SQLite (the demo's one worker); it never fills."""
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(id__in=ids)
    with transaction.atomic():
        claimed = list(due.select_for_update().order_by("next_attempt_at")[:limit])
        Delivery.objects.filter(id__in=[delivery.pk for delivery in claimed]).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1, lease_expires_at=lease
        )
    for delivery in claimed:
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.lease_expires_at = lease
    return claimed


def deliver(delivery_ids: Sequence[int], *, fill: bool = False) -> int:
    """Send the given deliveries that are still due (with ``fill``, other due ones too, see
    ``claim_deliveries``); return how many were delivered."""
    deliveries = claim_deliveries(delivery_ids, fill=fill)
    suspended = [d for d in deliveries if not d.endpoint.is_active]
    if suspended:
        _hold(suspended)
    sendable = [d for d in deliveries if d.endpoint.is_active]
    if not sendable:
        return 0
    attach_message_data(sendable)
    outcomes = send_all(sendable, build_messages(sendable))
    record(sendable, outcomes)
    return sum(outcome.delivered for outcome in outcomes)


def attach_message_data(deliveries: Sequence[Delivery]) -> None:
    """Give each delivery its version (notice, content, recipients) and clarification,
    each loaded once however many deliveries share it."""
    versions = NoticeVersion.objects.select_related(
        "notice__commitment", "notice__state", "filed_by", *content_select_related()
    ).in_bulk({delivery.version_id for delivery in deliveries})
    # The rows of the kinds at hand only (an exercise has none): a query less per kind.
    rows = {content_kind(v.notice.kind).rows_related for v in versions.values()} - {None}
    prefetch_related_objects(list(versions.values()), "recipients", *sorted(rows))
    asked = {delivery.clarification_id for delivery in deliveries if delivery.clarification_id}
    clarifications = Clarification.objects.select_related("version").in_bulk(asked) if asked else {}
    # The ids already match: fill the relations' caches without the descriptors' checks.
    version_cache = Delivery._meta.get_field("version")
    clarification_cache = Delivery._meta.get_field("clarification")
    for delivery in deliveries:
        version_cache.set_cached_value(delivery, versions[delivery.version_id])
        if delivery.clarification_id:
            clarification_cache.set_cached_value(
                delivery, clarifications[delivery.clarification_id]
            )


def send_all(deliveries: Sequence[Delivery], messages: dict[int, Message]) -> list[Outcome]:
    """Send every delivery, in the order given, ``DELIVERY_CONCURRENCY`` at a time at most.

    The calling thread sends one after another; whenever a send has waited longer than
    ``SLOW_SEND_SECONDS``, a watcher adds a helper thread that takes the next delivery not
    yet sent. So a slow endpoint holds up no other delivery, and fast ones cost no thread
    switching (sixteen threads waking for fast answers spent about a third of the CPU of
    sending on handing the interpreter lock between them).
    """
    outcomes: list[Outcome | None] = [None] * len(deliveries)
    queue = deque(enumerate(deliveries))
    started: dict[int, float] = {}  # thread → when its current send began
    done = threading.Event()

    def drain() -> None:
        me = threading.get_ident()
        while True:
            try:
                index, delivery = queue.popleft()
            except IndexError:
                started.pop(me, None)
                return
            started[me] = time.monotonic()
            outcomes[index] = send_one(delivery, messages[delivery.pk])

    def watch() -> list[Future]:
        helpers: list[Future] = []
        while not done.wait(SLOW_SEND_SECONDS) and len(helpers) + 2 <= _concurrency():
            slow = time.monotonic() - SLOW_SEND_SECONDS
            if queue and any(began <= slow for began in list(started.values())):
                helpers.append(_pool().submit(drain))
        return helpers

    watcher = _pool().submit(watch) if len(deliveries) > 1 and _concurrency() > 1 else None
    try:
        drain()
    finally:
        done.set()
    for helper in watcher.result() if watcher else []:
        helper.result()
    return [outcome for outcome in outcomes if outcome is not None]


def send_one(delivery: Delivery, message: Message) -> Outcome:
    """One attempt through the delivery's channel; a failure of the code is a failed attempt."""
    try:
        return CHANNELS[delivery.endpoint.kind].send(delivery, message)
    except Exception as exc:
        log.exception("Sending delivery %s failed.", delivery.pk)
        return Outcome(delivered=False, error=f"{type(exc).__name__}: {exc}"[:500])


#: How long a send may wait for its answer before another thread starts on the next one.
SLOW_SEND_SECONDS = 0.05
_executors: dict[int, ThreadPoolExecutor] = {}


def _concurrency() -> int:
    return max(1, settings.DELIVERY_CONCURRENCY)


def _pool() -> ThreadPoolExecutor:
    """This process's threads: the watcher and the helpers of ``send_all``."""
    pid = os.getpid()  # a pool must not cross a fork
    if pid not in _executors:
        _executors[pid] = ThreadPoolExecutor(max_workers=_concurrency())
    return _executors[pid]


@transaction.atomic
def record(deliveries: Sequence[Delivery], outcomes: Sequence[Outcome]) -> None:
    """Log every attempt, then settle each delivery: delivered, retry later, held or failed.

    The attempts that settle a delivery (delivered, or failed for good) enter the evidence
    log in the same transaction.
    """
    from notifications import services

    now = timezone.now()
    attempts = [_attempt_row(d, o, now) for d, o in zip(deliveries, outcomes, strict=True)]
    if connection.vendor == "postgresql":
        _insert_attempts(attempts)
    else:
        DeliveryAttempt.objects.bulk_create(attempts)
    pairs = list(zip(deliveries, outcomes, strict=True))
    _settle_delivered([(d, o) for d, o in pairs if o.delivered], now)
    for endpoint in {d.endpoint for d, o in pairs if o.gone}:
        services.suspend_endpoint(endpoint, reason="The endpoint answered 410 Gone.")
    _hold([d for d, o in pairs if o.gone])
    _schedule_retries([(d, o) for d, o in pairs if not o.delivered and not o.gone], now)
    ledger_events.record_settled_deliveries(
        attempt
        for attempt, (delivery, outcome) in zip(attempts, pairs, strict=True)
        if outcome.delivered or delivery.status == Delivery.Status.FAILED
    )


def _attempt_row(delivery: Delivery, outcome: Outcome, now: dt.datetime) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts,
        started_at=now - dt.timedelta(milliseconds=outcome.duration_ms),
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        error=outcome.error,
        response_excerpt=outcome.response_excerpt,
    )


def _insert_attempts(attempts: list[DeliveryAttempt]) -> None:
    """Insert the attempts in one statement, a column per array, and give each its id:
    ``bulk_create`` spends more time preparing each row's values than PostgreSQL does
    storing them."""
    columns = {  # each column of the table, and the type of its array
        "delivery_id": "bigint",
        "number": "integer",
        "started_at": "timestamptz",
        "duration_ms": "integer",
        "status_code": "integer",
        "error": "text",
        "response_excerpt": "text",
    }
    arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {DeliveryAttempt._meta.db_table} ({", ".join(columns)})
            SELECT * FROM unnest({arrays}) RETURNING delivery_id, id""",
            [[getattr(attempt, column) for attempt in attempts] for column in columns],
        )
        ids = dict(cursor.fetchall())  # one attempt per delivery in a batch
    for attempt in attempts:
        attempt.pk = ids[attempt.delivery_id]
        attempt._state.adding = False


def _settle_delivered(pairs: list[tuple[Delivery, Outcome]], now: dt.datetime) -> None:
    by_code: dict[int | None, list[int]] = defaultdict(list)
    for delivery, outcome in pairs:
        by_code[outcome.status_code].append(delivery.pk)
    for code, ids in by_code.items():
        Delivery.objects.filter(id__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.DELIVERED,
            delivered_at=now,
            last_status_code=code,
            last_error="",
            lease_expires_at=None,
        )
    healthy = {delivery.endpoint_id for delivery, _ in pairs}
    Endpoint.objects.filter(id__in=healthy, failing_since__isnull=False).update(failing_since=None)


def _schedule_retries(pairs: list[tuple[Delivery, Outcome]], now: dt.datetime) -> None:
    from notifications import services

    exhausted = []
    for delivery, outcome in pairs:
        delay = retry_delay(delivery.retry_step + 1, outcome.retry_after)
        delivery.retry_step += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error or f"HTTP {outcome.status_code}"
        delivery.lease_expires_at = None
        if delay is None:
            delivery.status = Delivery.Status.FAILED
            exhausted.append(delivery)
        else:
            delivery.status = Delivery.Status.PENDING
            delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
    Delivery.objects.bulk_update(
        [d for d, _ in pairs],
        [
            "status",
            "retry_step",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "lease_expires_at",
        ],
    )
    failing = {delivery.endpoint_id for delivery, _ in pairs}
    Endpoint.objects.filter(id__in=failing, failing_since__isnull=True).update(failing_since=now)
    for delivery in exhausted:
        services.alert_delivery_failed(delivery)


def retry_delay(failures: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after ``failures`` failures, or ``None`` when exhausted."""
    schedule = settings.DELIVERY_RETRY_SCHEDULE
    if failures >= len(schedule):
        return None
    if retry_after is not None:
        low, high = settings.DELIVERY_RETRY_AFTER_BOUNDS
        return min(max(retry_after, low), high)
    jitter = settings.DELIVERY_RETRY_JITTER
    return schedule[failures] * random.uniform(1 - jitter, 1 + jitter)


def _hold(deliveries: Sequence[Delivery]) -> None:
    """Keep deliveries to a suspended endpoint until it is resumed or they are replayed."""
    Delivery.objects.filter(id__in=[d.pk for d in deliveries]).update(
        status=Delivery.Status.HELD, lease_expires_at=None
    )


# --- the sweeper ------------------------------------------------------------------------


def sweep() -> int:
    """Recover what a crash left behind, suspend dead endpoints, and queue what is due."""
    now = timezone.now()
    release_expired_leases(now)
    suspend_failing_endpoints(now)
    fresh_grace = now - dt.timedelta(seconds=settings.DELIVERY_SWEEP_GRACE_SECONDS)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(attempts__gt=0) | Q(created_at__lte=fresh_grace))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[: settings.DELIVERY_SWEEP_LIMIT]
    )
    if due:
        enqueue(due)
    return len(due)


def release_expired_leases(now: dt.datetime) -> int:
    """Deliveries whose worker died mid-send become due again (the receiver may see a repeat)."""
    return Delivery.objects.filter(status=Delivery.Status.SENDING, lease_expires_at__lt=now).update(
        status=Delivery.Status.PENDING, lease_expires_at=None, next_attempt_at=now
    )


def suspend_failing_endpoints(now: dt.datetime) -> None:
    from notifications import services

    cutoff = now - dt.timedelta(days=settings.DELIVERY_SUSPEND_AFTER_FAILING_DAYS)
    for endpoint in Endpoint.objects.filter(
        status=Endpoint.Status.ACTIVE, failing_since__lte=cutoff
    ):
        services.suspend_endpoint(
            endpoint,
            reason=f"Failing continuously since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC.",
        )
