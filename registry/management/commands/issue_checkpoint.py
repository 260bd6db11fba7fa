"""Sign a checkpoint of the evidence log now: ``manage.py issue_checkpoint``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registry.ledger.checkpoints import issue_checkpoint, latest_checkpoint


class Command(BaseCommand):
    help = "Sequence pending events and sign a checkpoint if the log has grown; print it."

    def handle(self, *args, **options) -> None:
        checkpoint = issue_checkpoint()
        if checkpoint is None:
            latest = latest_checkpoint()
            if latest is None:
                self.stdout.write("The log is empty; no checkpoint was issued.")
                return
            self.stdout.write(f"The latest checkpoint already covers the log ({latest.tree_size}).")
            checkpoint = latest
        self.stdout.write(checkpoint.note, ending="")
