"""Runs of the whole-log verification, kept for the monitor page (``LedgerVerification``)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from registry.ledger.verify import Report, verify_log
from registry.models import LedgerVerification

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(hours=7)


def request_verification(user) -> LedgerVerification:
    """Queue a verification (monitor page); a worker runs it. Refused while one is pending."""
    pending = LedgerVerification.objects.filter(
        status__in=[LedgerVerification.Status.QUEUED, LedgerVerification.Status.RUNNING],
        requested_at__gte=timezone.now() - STALE_AFTER,  # a dead worker's run is forgotten
    ).first()
    if pending is not None:
        return pending
    verification = LedgerVerification.objects.create(requested_by=user)
    transaction.on_commit(lambda: _enqueue(verification.pk))
    return verification


def _enqueue(verification_id: int) -> None:
    from registry.ledger.tasks import verify_ledger

    try:
        verify_ledger.delay(verification_id)
    except Exception:
        log.warning("Broker unavailable; verification %s waits for beat's run.", verification_id)


def run_verification(verification_id: int | None = None) -> LedgerVerification:
    """Verify the log now, recording the run (a queued one, or a new one)."""
    verification = None
    if verification_id is not None:
        verification = LedgerVerification.objects.filter(pk=verification_id).first()
    if verification is None:
        verification = LedgerVerification.objects.create()
    verification.status = LedgerVerification.Status.RUNNING
    verification.started_at = timezone.now()
    verification.save(update_fields=["status", "started_at"])
    report = verify_log()
    finish(verification, report)
    return verification


def finish(verification: LedgerVerification, report: Report) -> None:
    verification.status = (
        LedgerVerification.Status.PASSED if report.ok else LedgerVerification.Status.FAILED
    )
    verification.finished_at = timezone.now()
    verification.entries_checked = report.entries
    verification.checkpoints_checked = report.checkpoints
    verification.problem = "" if report.ok else str(report.problem)
    verification.save()
    # Beat's periodic run also settles requests queued while the broker was down.
    LedgerVerification.objects.filter(
        status=LedgerVerification.Status.QUEUED, requested_at__lte=verification.started_at
    ).update(
        status=verification.status,
        started_at=verification.started_at,
        finished_at=verification.finished_at,
        entries_checked=report.entries,
        checkpoints_checked=report.checkpoints,
        problem=verification.problem,
    )


def latest_verification() -> LedgerVerification | None:
    return LedgerVerification.objects.exclude(status=LedgerVerification.Status.QUEUED).first()
