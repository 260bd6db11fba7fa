"""What a notice version says, one typed model per kind (DOMAIN.md §4).

Every version owns its own content rows; an amendment writes new rows and a
cancellation copies the last content, so no row here is ever edited.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from registry.vocabulary import AcquisitionMode, ActivityType, CommandLevel, EquipmentCategory

from .notices import NoticeVersion


class IsoCountryField(CountryField):
    """django-countries' field, checking codes against its table of codes: its own check
    walks every country's translated name in sorted order, about a millisecond of every
    filing's validation."""

    def validate(self, value, model_instance) -> None:
        for code in (value or []) if self.multiple else [value]:
            if code not in self.empty_values and code not in self.countries:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code},
                )
        if value is None and not self.null:
            raise ValidationError(self.error_messages["null"], code="null")
        if not self.blank and value in self.empty_values:
            raise ValidationError(self.error_messages["blank"], code="blank")


def validate_polygon(value: object) -> None:
    """A polygon is a list of at least three [longitude, latitude] points in degrees."""
    limit = settings.REGISTRY_MAX_POLYGON_POINTS
    if not isinstance(value, list) or len(value) < 3:
        raise ValidationError(_("Give at least three points as [longitude, latitude]."))
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d points."), params={"limit": limit})
    for position, point in enumerate(value, start=1):
        if not _is_coordinate_pair(point):
            raise ValidationError(
                _("Point %(n)d is not a [longitude, latitude] pair within range."),
                params={"n": position},
            )


def _is_coordinate_pair(point: object) -> bool:
    if not isinstance(point, (list, tuple)) or len(point) != 2:
        return False
    lon, lat = point
    numbers = all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)
    return (
        numbers
        and math.isfinite(lon)
        and math.isfinite(lat)
        and -180 <= lon <= 180
        and -90 <= lat <= 90
    )


def count_field(verbose_name: str, *, required: bool = False) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(verbose_name, **({} if required else {"default": 0}))


class ExerciseDetails(models.Model):
    """An exercise notice: the Vienna Document's content, trimmed to what the region needs."""

    version = models.OneToOneField(
        NoticeVersion, primary_key=True, on_delete=models.PROTECT, related_name="exercise"
    )
    name = models.CharField(_("designation"), max_length=200)
    activity_type = models.CharField(
        _("type of activity"), max_length=20, choices=ActivityType.choices
    )
    purpose = models.TextField(_("purpose"), max_length=4000)
    command_level = models.CharField(
        _("level of command"), max_length=20, choices=CommandLevel.choices
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    area_description = models.TextField(_("area"), max_length=2000)
    area_polygon = models.JSONField(
        _("area polygon"), validators=[validate_polygon], help_text=_("[[longitude, latitude], …]")
    )
    troops = count_field(_("troops"), required=True)
    battle_tanks = count_field(_("battle tanks"))
    acv = count_field(_("armoured combat vehicles"))
    artillery = count_field(_("artillery pieces (100 mm and above)"))
    helicopters = count_field(_("helicopters"))
    fixed_wing_sorties = count_field(_("fixed-wing sorties planned"))
    airborne_amphibious_troops = count_field(_("airborne or amphibious troops"))
    participating_states = IsoCountryField(_("participating states"), multiple=True, blank=True)
    observers_invited = models.BooleanField(_("observers invited"), default=False)
    without_advance_notice = models.BooleanField(
        _("ordered without advance notice to the troops"), default=False
    )
    calendar_changes = models.TextField(
        _("changes compared with the annual calendar"), blank=True, max_length=4000
    )

    class Meta:
        verbose_name = _("exercise")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="exercise_dates_in_order",
                violation_error_message=_("The end date must be on or after the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": _("The end date must be on or after the start date.")}
            )


class ProcurementPlanDetails(models.Model):
    """An annual procurement plan; its items are ``ProcurementItem`` rows of the same version."""

    version = models.OneToOneField(
        NoticeVersion, primary_key=True, on_delete=models.PROTECT, related_name="procurement_plan"
    )
    plan_year = models.PositiveSmallIntegerField(
        _("plan year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    budget_approved_on = models.DateField(
        _("budget approved on"),
        null=True,
        blank=True,
        help_text=_("Needed where the commitment's deadline runs from the budget's approval."),
    )

    def __str__(self) -> str:
        return f"Procurement plan {self.plan_year}"


class ProcurementItem(models.Model):
    """One acquisition: an item of a procurement plan, or the contract of a procurement notice."""

    version = models.ForeignKey(NoticeVersion, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    category = models.CharField(_("category"), max_length=5, choices=EquipmentCategory.choices)
    system = models.CharField(_("system designation"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    supplier_state = IsoCountryField(
        _("supplier state"), blank=True, help_text=_("Leave empty for national production.")
    )
    mode = models.CharField(_("acquisition mode"), max_length=20, choices=AcquisitionMode.choices)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    delivery_start = models.DateField(_("delivery expected from"), null=True, blank=True)
    delivery_end = models.DateField(_("delivery expected until"), null=True, blank=True)
    value_eur = models.DecimalField(
        _("value (EUR)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="item_quantity_positive",
                violation_error_message=_("The quantity must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(value_eur__isnull=True) | Q(value_eur__gte=0),
                name="item_value_not_negative",
                violation_error_message=_("The value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(delivery_start__isnull=True)
                | Q(delivery_end__isnull=True)
                | Q(delivery_end__gte=F("delivery_start")),
                name="item_delivery_window_in_order",
                violation_error_message=_("Delivery must end on or after it starts."),
            ),
            models.UniqueConstraint(fields=["version", "position"], name="item_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system} ({self.quantity})"

    def clean(self) -> None:
        if self.delivery_start and self.delivery_end and self.delivery_end < self.delivery_start:
            raise ValidationError({"delivery_end": _("Delivery must end on or after it starts.")})


class AnnualCalendarDetails(models.Model):
    """The calendar of next year's notifiable activities, or a nil calendar."""

    version = models.OneToOneField(
        NoticeVersion, primary_key=True, on_delete=models.PROTECT, related_name="annual_calendar"
    )
    year = models.PositiveSmallIntegerField(
        _("calendar year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    nil = models.BooleanField(_("nil calendar (no notifiable activity planned)"), default=False)

    def __str__(self) -> str:
        return f"Annual calendar {self.year}"


class CalendarEntry(models.Model):
    """A planned activity in an annual calendar."""

    version = models.ForeignKey(
        NoticeVersion, on_delete=models.PROTECT, related_name="calendar_entries"
    )
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("designation"), max_length=200)
    activity_type = models.CharField(
        _("type of activity"), max_length=20, choices=ActivityType.choices
    )
    start_window_from = models.DateField(_("planned start from"))
    start_window_to = models.DateField(_("planned start until"))
    duration_days = models.PositiveSmallIntegerField(
        _("duration (days)"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    troops = count_field(_("troops"))
    battle_tanks = count_field(_("battle tanks"))
    acv = count_field(_("armoured combat vehicles"))
    artillery = count_field(_("artillery pieces (100 mm and above)"))
    airborne_amphibious_troops = count_field(_("airborne or amphibious troops"))
    area_description = models.CharField(_("area"), max_length=500, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_window_to__gte=F("start_window_from")),
                name="calendar_window_in_order",
                violation_error_message=_("The start window must end on or after it begins."),
            ),
            models.CheckConstraint(
                condition=Q(duration_days__gt=0),
                name="calendar_duration_positive",
                violation_error_message=_("The duration must be at least one day."),
            ),
            models.UniqueConstraint(
                fields=["version", "position"], name="calendar_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.start_window_from
            and self.start_window_to
            and self.start_window_to < self.start_window_from
        ):
            raise ValidationError(
                {"start_window_to": _("The start window must end on or after it begins.")}
            )
