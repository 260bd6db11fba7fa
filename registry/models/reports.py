"""Exports of compliance reports, built in the background so a long one shows its progress."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .regimes import Commitment, State


class ReportExport(models.Model):
    """A CSV or PDF of a compliance report, requested by a user and kept for them to download."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="+")
    state = models.ForeignKey(
        State,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("One state's report; empty for every state the requester may see."),
    )
    first_year = models.PositiveSmallIntegerField()
    last_year = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=3, choices=Format.choices)
    language = models.CharField(
        max_length=10, default="en", help_text="The requester's language, which the file is in."
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    message = models.CharField(max_length=300, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.commitment} {self.first_year}-{self.last_year} {self.format}"

    @property
    def filename(self) -> str:
        years = f"{self.first_year}"
        if self.last_year != self.first_year:
            years += f"-{self.last_year}"
        who = f"-{self.state_id}" if self.state_id else ""
        return f"compliance-{self.commitment.code}{who}-{years}.{self.format}"

    @property
    def content_type(self) -> str:
        return "text/csv" if self.format == self.Format.CSV else "application/pdf"
