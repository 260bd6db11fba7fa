"""The evidence log: an append-only Merkle log (RFC 6962) of every event of the registry.

An event writes a ``LedgerSubmission`` in its own transaction; the sequencer
(``registry.ledger.sequence_pending``) moves committed submissions into ``LedgerEntry``
with dense indexes, stores the tree's new ``LedgerNode`` rows and advances the
``LedgerHead``. ``LedgerCheckpoint`` keeps every signed tree head. On PostgreSQL a trigger
rejects UPDATE and DELETE on entries, nodes and checkpoints (migration 0002); the
submission queue is the one ledger table the application deletes from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .notices import ImmutableRecordError, Notice
from .regimes import Commitment, State


class LedgerKind(models.TextChoices):
    """The kinds of event the log records (the ``kind`` of an entry)."""

    NOTICE_FILED = "notice.filed", _("Notice filed")
    NOTICE_AMENDED = "notice.amended", _("Notice amended")
    NOTICE_CANCELLED = "notice.cancelled", _("Notice cancelled")
    DELIVERY_DELIVERED = "delivery.delivered", _("Delivery delivered")
    DELIVERY_FAILED = "delivery.failed", _("Delivery failed")
    ACKNOWLEDGEMENT = "acknowledgement.recorded", _("Acknowledgement")
    CLARIFICATION_ASKED = "clarification.asked", _("Clarification asked")
    CLARIFICATION_ANSWERED = "clarification.answered", _("Clarification answered")
    FINDING_RECORDED = "finding.recorded", _("Monitor finding recorded")
    ENDPOINT_KEY_ROTATED = "endpoint.key_rotated", _("Endpoint key rotated")
    ENDPOINT_CHANGED = "endpoint.changed", _("Endpoint created or changed")
    COMMITMENT_CHANGED = "commitment.changed", _("Commitment parameters changed")
    OFFICIAL_ROLES_CHANGED = "official.roles_changed", _("Official's roles changed")


class LedgerEvent(models.Model):
    """What a submission and an entry share: the event, its canonical payload and leaf hash."""

    kind = models.CharField(max_length=40)
    payload = models.BinaryField(help_text=_("The event as canonical JSON (RFC 8785), UTF-8."))
    leaf_hash = models.BinaryField(help_text=_("SHA-256(0x00 ‖ payload)."))
    recorded_at = models.DateTimeField(default=timezone.now)
    source_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Id of the row the payload is derived from.")
    )
    # Which notice, state and commitment the event concerns: they decide who may read the
    # payload (``registry.ledger.payload_visible_to``). Never used to join, so not indexed.
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.ForeignKey(
        State, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    commitment = models.ForeignKey(
        Commitment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        abstract = True


class LedgerSubmission(LedgerEvent):
    """An event waiting for its index: written in the event's transaction, then sequenced.

    The sequencer deletes the submissions it has moved into the log; this is the only
    ledger table the application's database role may delete from.
    """

    id = models.BigAutoField(primary_key=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "source_id"], name="ledger_sub_source_idx")]

    def __str__(self) -> str:
        return f"pending {self.kind} #{self.pk}"


class LedgerEntry(LedgerEvent):
    """One leaf of the log: never changed, never deleted (a trigger enforces it)."""

    index = models.BigIntegerField(primary_key=True)
    submission_id = models.BigIntegerField(unique=True)

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["kind", "source_id"], name="ledger_entry_source_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(index__gte=0), name="ledger_index_natural")
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("Ledger entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Ledger entries are never deleted.")


class LedgerNode(models.Model):
    """The hash of a complete, aligned subtree of two or more leaves.

    Node ``(level, index)`` covers the leaves ``[index * 2**level, (index + 1) * 2**level)``.
    Level-0 nodes are the entries' leaf hashes and are not repeated here.
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, index__gte=0), name="ledger_node_position"
            )
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LedgerHead(models.Model):
    """The size of the log and its right edge, as the sequencer left them (one row, id 1).

    Derived data, kept so that a batch costs one read: ``verify_ledger`` checks it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(
        blank=True,
        default=b"",
        help_text=_(
            "Hashes of the tree's right edge (merkle.frontier_nodes(size)), 32 bytes each, "
            "to hash new leaves onto."
        ),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ledger head: {self.size} entries"


class LedgerCheckpoint(models.Model):
    """A signed tree head in the C2SP signed-note checkpoint format; every one is kept."""

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField()
    origin = models.CharField(max_length=200)
    note = models.TextField(help_text=_("The signed note, exactly as signed and published."))
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tree_size"]
        get_latest_by = "tree_size"

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class LedgerVerification(models.Model):
    """One run of the whole-log verification (``verify_ledger``): when, by whom, what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    entries_checked = models.BigIntegerField(default=0)
    checkpoints_checked = models.IntegerField(default=0)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.pk}: {self.status}"
