"""What monitors record, and what the registry flags on its own, about a state's transparency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .content import validate_polygon
from .notices import Notice
from .regimes import Commitment, Organisation, State


class Finding(models.Model):
    """A finding against a state under a commitment, for one year.

    Monitors record an activity observed but never notified, or a note on a notice. The
    registry itself flags sizes declared just under a threshold and amendments that raise
    an activity to a threshold after filing.
    """

    class Kind(models.TextChoices):
        UNNOTIFIED_ACTIVITY = "unnotified_activity", _("Activity observed but not notified")
        NOTE = "note", _("Note on a notice")
        NEAR_THRESHOLD = "near_threshold", _("Declared just under a threshold")
        RAISED_AFTER_FILING = "raised_after_filing", _("Raised to a threshold after filing")

    REGISTRY_KINDS = (Kind.NEAR_THRESHOLD, Kind.RAISED_AFTER_FILING)

    kind = models.CharField(max_length=24, choices=Kind.choices)
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="findings")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="findings")
    year = models.PositiveSmallIntegerField(help_text=_("The year the finding concerns."))
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
        help_text=_("The monitoring organisation that recorded it; empty when the registry did."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    observed_from = models.DateField(_("observed from"), null=True, blank=True)
    observed_to = models.DateField(_("observed until"), null=True, blank=True)
    area_description = models.TextField(_("area"), blank=True, max_length=2000)
    area_polygon = models.JSONField(
        _("area polygon"), null=True, blank=True, validators=[validate_polygon]
    )
    estimated_troops = models.PositiveIntegerField(_("estimated troops"), null=True, blank=True)
    estimated_battle_tanks = models.PositiveIntegerField(
        _("estimated battle tanks"), null=True, blank=True
    )
    estimated_acv = models.PositiveIntegerField(
        _("estimated armoured combat vehicles"), null=True, blank=True
    )
    estimated_artillery = models.PositiveIntegerField(
        _("estimated artillery"), null=True, blank=True
    )
    sources = models.TextField(_("sources"), blank=True, max_length=4000)
    note = models.TextField(_("finding"), max_length=4000)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["commitment", "year", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(observed_from__isnull=True)
                | Q(observed_to__isnull=True)
                | Q(observed_to__gte=F("observed_from")),
                name="finding_observed_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["note", "near_threshold", "raised_after_filing"])
                | Q(notice__isnull=False),
                name="finding_on_a_notice_names_it",
            ),
            models.CheckConstraint(
                condition=~Q(kind="unnotified_activity") | Q(observed_from__isnull=False),
                name="finding_unnotified_activity_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.state_id} {self.year}"

    @property
    def by_registry(self) -> bool:
        return self.kind in self.REGISTRY_KINDS
