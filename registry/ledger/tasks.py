"""Celery tasks of the evidence log: thin wrappers, scheduled by beat (``CELERY_BEAT_SCHEDULE``).

- ``sequence_ledger``: moves the events recorded since its last run into the log;
- ``issue_ledger_checkpoint``: signs a checkpoint when the log has grown;
- ``verify_ledger``: verifies the whole log and keeps the result for the monitor page.
"""

from __future__ import annotations

from celery import shared_task

from registry import ledger
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger.runs import run_verification

VERIFY_TIME_LIMIT = 6 * 3600


@shared_task
def sequence_ledger() -> int:
    return ledger.sequence_pending()


@shared_task
def issue_ledger_checkpoint() -> int | None:
    checkpoint = ledger_checkpoints.issue_checkpoint()
    return checkpoint.tree_size if checkpoint else None


@shared_task(acks_late=False, soft_time_limit=VERIFY_TIME_LIMIT, time_limit=VERIFY_TIME_LIMIT + 60)
def verify_ledger(verification_id: int | None = None) -> str:
    """Verify the log; ``verification_id`` is a run queued from the monitor page.

    A big log takes minutes: the task is acknowledged when it starts (a broker would
    otherwise hand a long task to a second worker) and has its own time limit.
    """
    return run_verification(verification_id).status
