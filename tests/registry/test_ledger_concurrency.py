"""Concurrent filing from many OS processes keeps the log's indexes dense and its tree right.

Each process files through the service and then asks for the filing's receipt, as the API
does: the receipt sequences what is pending, batch after batch, while the other processes
file, sequence and sign checkpoints.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from registry import ledger
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger import merkle
from registry.ledger.events import VERSION_KINDS
from registry.ledger.verify import verify_log
from registry.models import Commitment, LedgerEntry, LedgerSubmission, NoticeVersion
from tests.factories import file_exercise

PROCESSES = 6
FILINGS_EACH = 15
LIAISONS = ["rs-liaison", "hr-liaison", "al-liaison", "me-liaison", "mk-liaison", "ba-liaison"]


def file_many(username: str, count: int, errors) -> None:
    """In a child process: its own connection, ``count`` filings each with its receipt,
    checkpoints on the way."""
    try:
        connections.close_all()
        user = get_user_model().objects.get(username=username)
        commitment = Commitment.objects.get(code="WB-RTA")
        for number in range(count):
            filing = file_exercise(user, commitment)
            receipt = ledger.receipt_for(VERSION_KINDS.values(), filing.version.pk)
            assert receipt is not None and receipt.index is not None, "a receipt without index"
            if number % 5 == 4:
                ledger_checkpoints.issue_checkpoint()
    except Exception:
        errors.put(traceback.format_exc())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_filing_keeps_indexes_dense_and_the_tree_consistent(seeded):
    ledger.sequence_pending()
    before = ledger.tree_size()
    connections.close_all()  # children must not share this process's connection
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    processes = [
        context.Process(target=file_many, args=(username, FILINGS_EACH, errors))
        for username in LIAISONS[:PROCESSES]
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    assert all(process.exitcode == 0 for process in processes)
    assert errors.empty(), errors.get()

    # Each filing's receipt, or a batch at work when it asked, took everything.
    assert not LedgerSubmission.objects.exists()
    assert ledger.sequence_pending() == 0
    indexes = list(LedgerEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(before + PROCESSES * FILINGS_EACH))
    assert ledger.tree_size() == len(indexes)
    filed = LedgerEntry.objects.filter(kind="notice.filed")
    assert sorted(filed.values_list("source_id", flat=True)) == sorted(
        NoticeVersion.objects.values_list("pk", flat=True)
    )  # each version exactly once
    leaves = [
        bytes(h) for h in LedgerEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    for size in (1, before + 1, len(leaves) // 2, len(leaves) - 1, len(leaves)):
        assert ledger.root_hash(size) == merkle.root_of_leaf_hashes(leaves[:size])
    ledger_checkpoints.issue_checkpoint()
    report = verify_log()
    assert report.ok, report.summary()
    assert report.checkpoints >= 2  # the children's checkpoints are consistent with each other


def other_session():
    """A second database session of our own, outside Django's connection handling."""
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


def wait_until_blocked(session, pid: int) -> None:
    for _ in range(500):
        row = session.execute(
            "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        if row == ("Lock", "advisory"):
            return
        time.sleep(0.01)
    raise AssertionError("The receipt never waited for the batch at work.")


@pytest.mark.django_db(transaction=True)
def test_a_receipt_asked_while_a_batch_is_at_work_waits_for_it_and_carries_the_index(seeded):
    """An event committed while another sequencer holds the lock: its receipt waits for
    that batch to commit, then sequences the event itself."""
    ledger.sequence_pending()
    before = ledger.tree_size()
    with transaction.atomic():
        ledger.record("test.event", {"n": 1}, source_id=7)
    assert LedgerSubmission.objects.count() == 1  # recorded; the sequencer has not run
    holder = other_session()
    receipts, pids = [], []

    def ask_for_the_receipt():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        receipts.append(ledger.receipt_for(["test.event"], 7))
        connection.close()

    with holder.transaction():  # a batch at work
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [ledger.SEQUENCER_LOCK_KEY])
        asking = threading.Thread(target=ask_for_the_receipt)
        asking.start()
        while not pids:
            time.sleep(0.01)
        wait_until_blocked(holder, pids[0])
        assert not receipts
    asking.join(timeout=30)

    assert receipts[0] is not None and receipts[0].index == before
    assert not LedgerSubmission.objects.exists()
    assert ledger.tree_size() == before + 1
    holder.close()
