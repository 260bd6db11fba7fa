"""Concurrent filing from many OS processes keeps the log's indexes dense and its tree right.

Each process files through the service, so each filing commits its submission and then
sequences whatever is pending unless another process's sequencer is at work: nothing may be
left behind by that hand-over.
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
from registry.ledger.verify import verify_log
from registry.models import Commitment, LedgerEntry, LedgerSubmission, NoticeVersion
from tests.factories import file_exercise

PROCESSES = 6
FILINGS_EACH = 15
LIAISONS = ["rs-liaison", "hr-liaison", "al-liaison", "me-liaison", "mk-liaison", "ba-liaison"]


def file_many(username: str, count: int, errors) -> None:
    """In a child process: its own connection, ``count`` filings, checkpoints on the way."""
    try:
        connections.close_all()
        user = get_user_model().objects.get(username=username)
        commitment = Commitment.objects.get(code="WB-RTA")
        for number in range(count):
            file_exercise(user, commitment)
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

    # Each filing's own sequencing, or the sequencer it found at work, took everything.
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
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError("The sequencer never waited on the head row.")


def record_and_commit(number: int) -> None:
    with transaction.atomic():
        ledger.record("test.event", {"n": number})


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_while_a_sequencer_works_is_taken_by_that_sequencer(seeded):
    """The hand-over of the group commit, step by step: the committer of the second event
    finds the lock taken and leaves; the sequencer at work looks for newcomers once its
    batch has committed, and takes it."""
    ledger.sequence_pending()
    before = ledger.tree_size()
    holder, blocker = other_session(), other_session()
    with holder.transaction():  # a sequencer at work: the first event is left pending
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [ledger.SEQUENCER_LOCK_KEY])
        record_and_commit(1)
    assert LedgerSubmission.objects.count() == 1

    with blocker.transaction():  # holds the head row: the next sequencer stops on it
        blocker.execute("SELECT 1 FROM registry_ledgerhead WHERE id = 1 FOR UPDATE")
        pids = []

        def sequence_first_event():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            ledger.sequence_after_commit()
            connection.close()

        sequencer = threading.Thread(target=sequence_first_event)
        sequencer.start()
        while not pids:
            time.sleep(0.01)
        wait_until_blocked(holder, pids[0])  # it holds the sequencer's lock, mid-batch
        record_and_commit(2)  # its committer finds the lock taken
        assert LedgerSubmission.objects.count() == 2
    sequencer.join(timeout=30)

    assert not LedgerSubmission.objects.exists()
    assert ledger.tree_size() == before + 2
    holder.close()
    blocker.close()
