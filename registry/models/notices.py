"""Notices and their immutable versions."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import written_sql
from registry.vocabulary import REFERENCE_CODES, NoticeKind, NoticeStatus

from .regimes import Commitment, State


class ImmutableRecordError(Exception):
    """Raised on an attempt to change or delete a record that is never edited in place."""


class Notice(models.Model):
    """A filing of one state under one commitment. Its content lives in its versions."""

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="notices")
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField(
        help_text=_("Year of the first filing, in the reference.")
    )
    sequence = models.PositiveIntegerField()
    reference = models.CharField(max_length=24, unique=True)
    client_ref = models.CharField(
        max_length=100, help_text=_("The filing system's own reference; unique per state.")
    )
    submission_digest = models.CharField(
        max_length=64, help_text=_("SHA-256 of the first submission, to recognise a replay.")
    )
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.FILED
    )
    current_version = models.OneToOneField(
        "NoticeVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    first_filed_at = models.DateTimeField()
    imported = models.BooleanField(
        default=False, help_text=_("Loaded from an earlier record with its original filing times.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-first_filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state", "client_ref"], name="notice_client_ref_unique_per_state"
            ),
            models.UniqueConstraint(
                fields=["state", "kind", "year", "sequence"], name="notice_sequence_unique"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="notice_sequence_positive"),
        ]
        indexes = [models.Index(fields=["commitment", "kind", "first_filed_at"])]

    def __str__(self) -> str:
        return self.reference

    @staticmethod
    def make_reference(state_code: str, kind: str, year: int, sequence: int) -> str:
        return f"{state_code}-{year}-{REFERENCE_CODES[NoticeKind(kind)]}-{sequence:04d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == NoticeStatus.CANCELLED

    def make_current(self, version: NoticeVersion) -> None:
        """Point the notice at its new version and give it the version's status: what
        ``Notice.objects.filter(pk=...).update(current_version=..., status=...)`` does, in a
        statement written out once, since every filing runs it (``registry.written_sql``)."""
        written_sql.execute(_make_current_sql(), [version.pk, version.status, self.pk])
        self.current_version, self.status = version, version.status


class ReferenceCounter(models.Model):
    """The last sequence number used for a state's notices of one kind in one year."""

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state", "kind", "year"], name="reference_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.state_id} {self.kind} {self.year}: {self.last}"


class NoticeVersion(models.Model):
    """One immutable version of a notice: filed, amended or cancelled.

    The assessment columns hold what ``registry.rules`` concluded when the version was
    filed, under the commitment's parameters then in force; reports aggregate them.
    """

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=NoticeStatus.choices)
    amends = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by"
    )
    reason = models.TextField(blank=True)
    filed_at = models.DateTimeField(default=timezone.now, editable=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recipients = models.ManyToManyField(State, related_name="received_versions", blank=True)

    notifiable = models.BooleanField(null=True)
    snap = models.BooleanField(default=False)
    lead_time_days = models.IntegerField(null=True)
    required_lead_days = models.IntegerField(null=True)
    due_by = models.DateField(null=True)
    timely = models.BooleanField(null=True)
    days_late = models.PositiveIntegerField(null=True)
    observation_required = models.BooleanField(default=False)
    air_component_required = models.BooleanField(default=False)

    class Meta:
        ordering = ["notice_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="version_number_unique"),
            models.CheckConstraint(
                condition=Q(number=1, amends__isnull=True) | Q(number__gt=1, amends__isnull=False),
                name="version_amends_previous",
            ),
            models.CheckConstraint(
                condition=Q(number=1, status=NoticeStatus.FILED)
                | (Q(number__gt=1) & ~Q(status=NoticeStatus.FILED)),
                name="version_status_matches_number",
            ),
        ]
        indexes = [models.Index(fields=["filed_at"])]

    def __str__(self) -> str:
        return f"{self.notice.reference} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("Notice versions are never edited; file an amendment.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Notice versions are never deleted.")

    @property
    def kind(self) -> str:
        return self.notice.kind

    def set_recipients(self, codes: list[str]) -> None:
        """Write the recipient states of a new version, and keep their codes at hand.

        What ``bulk_create`` of the through rows does, in a statement written out once per
        number of recipients, since every filing runs it (``registry.written_sql``)."""
        if codes:
            rows = [value for code in codes for value in (self.pk, code)]
            written_sql.execute(_recipients_sql(len(codes)), rows)
        self._recipient_codes = sorted(codes)

    def recipient_codes(self) -> list[str]:
        """Codes of the recipient states (no query for a version just written or prefetched)."""
        cached = getattr(self, "_recipient_codes", None)
        if cached is not None:
            return list(cached)
        return sorted(state.pk for state in self.recipients.all())


@functools.cache
def _make_current_sql() -> str:
    column = functools.partial(written_sql.column, Notice)
    return (
        f"UPDATE {written_sql.table(Notice)} SET {column('current_version')} = %s, "
        f"{column('status')} = %s WHERE {column('pk')} = %s"
    )


@functools.cache
def _recipients_sql(count: int) -> str:
    through = NoticeVersion.recipients.through
    column = functools.partial(written_sql.column, through)
    return (
        f"INSERT INTO {written_sql.table(through)} ({column('noticeversion')}, {column('state')}) "
        f"VALUES {', '.join(['(%s, %s)'] * count)}"
    )
