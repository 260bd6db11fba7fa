"""Concurrent filing from many OS processes keeps the log's indexes dense and its tree right.

Each process files through the service, so each filing commits its submission and then
sequences whatever is pending, racing the other processes' sequencers.
"""

from __future__ import annotations

import multiprocessing
import traceback

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

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

    ledger.sequence_pending()
    assert not LedgerSubmission.objects.exists()
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
