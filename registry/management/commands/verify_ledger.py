"""Verify the whole evidence log: ``manage.py verify_ledger`` (exit status 1 on a mismatch)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from registry.ledger.runs import finish
from registry.ledger.verify import verify_log
from registry.models import LedgerVerification


class Command(BaseCommand):
    help = (
        "Recompute every leaf from the records and the tree from the leaves, check every "
        "checkpoint's signature and consistency; name the first entry or checkpoint that "
        "does not match. Exit status 1 on a mismatch."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not keep the result for the monitor page.",
        )

    def handle(self, *args, **options) -> None:
        verification = None if options["no_record"] else LedgerVerification.objects.create()
        report = verify_log(progress=self._progress if options["verbosity"] > 1 else None)
        if verification is not None:
            verification.started_at = verification.requested_at
            finish(verification, report)
        if report.ok:
            self.stdout.write(report.summary())
            return
        self.stderr.write(report.summary())
        sys.exit(1)

    def _progress(self, size: int) -> None:
        self.stdout.write(f"  {size} entries verified…")
