"""What the compliance engine keeps beside the records, so that a report stays fast.

Both tables are kept by PostgreSQL triggers (installed by the migration
``0007_compliance_receipts``) in the transaction of the write that changes them.
"""

from __future__ import annotations

from django.db import models

from .notices import ImmutableRecordError, NoticeVersion
from .regimes import Commitment, State


class Receipt(models.Model):
    """A notice's current version received in a state's registry inbox: what the state owes
    an acknowledgement for (DOMAIN.md §6), with the facts the engine groups by.

    One row per delivered registry-inbox delivery of a notice event (filed, amended,
    cancelled) whose version is its notice's current version, exactly the rows of the view
    ``registry_receipt_source``: the notice's commitment, the year of receipt in the
    commitment's time zone, and when the recipient acknowledged that version, if it has.
    Triggers on deliveries, acknowledgements, notices and commitments keep it equal to the
    view; the application never writes it. PostgreSQL only (elsewhere the engine reads the
    deliveries themselves).
    """

    delivery = models.OneToOneField(
        "notifications.Delivery",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    version = models.ForeignKey(
        NoticeVersion,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    recipient = models.ForeignKey(
        State,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    year = models.SmallIntegerField(help_text="Year of receipt, in the commitment's time zone.")
    delivered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["delivery_id"]
        indexes = [
            models.Index(
                fields=["commitment", "year", "recipient"],
                include=["delivered_at", "acknowledged_at"],
                name="receipt_commitment_year_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} received v{self.version_id} ({self.year})"

    def save(self, *args, **kwargs) -> None:
        raise ImmutableRecordError("Receipts are kept by the database; file or acknowledge.")

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Receipts are kept by the database.")


class ComplianceRollup(models.Model):
    """A closed year's figures under one commitment, as the compliance engine computed them.

    A year is closed once it has ended in the commitment's time zone. Every write that
    changes a year's figures deletes its rollup in its own transaction (triggers), so the
    next report computes that year again. ``parameters`` names what the figures were
    computed with (the engine's version, the time zone, the acknowledgement window); a
    rollup computed with other parameters is computed again.
    """

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="+")
    year = models.SmallIntegerField()
    parameters = models.CharField(max_length=200)
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "year"], name="compliance_rollup_once_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.year}"
