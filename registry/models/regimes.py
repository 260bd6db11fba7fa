"""States, monitoring organisations, commitments (regimes) and who takes part in them."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import written_sql
from registry.vocabulary import ParticipationRole


class State(models.Model):
    """A state that files and receives notices. ``code`` is ISO 3166 alpha-2 (Kosovo is XK)."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}$"),
                name="state_code_two_capitals",
                violation_error_message=_("A state code is two capital letters."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.local_name} ({self.code})"

    @property
    def local_name(self) -> str:
        """The name in the reader's language, where the catalogues have it (the seeded
        states' do); otherwise as stored."""
        return gettext(self.name)


class Organisation(models.Model):
    """A monitoring organisation (EU, NATO, OSCE). It reads what it is granted, never files."""

    code = models.CharField(max_length=10, primary_key=True)
    name = models.CharField(max_length=200)
    commitments = models.ManyToManyField(
        "Commitment",
        blank=True,
        related_name="monitoring_organisations",
        help_text=_("Commitments whose notices this organisation's monitors may read."),
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value}) from exc


def optional_count(help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(null=True, blank=True, help_text=help_text)


MONTH = [MinValueValidator(1), MaxValueValidator(12)]
DAY = [MinValueValidator(1), MaxValueValidator(31)]


class CommitmentManager(models.Manager["Commitment"]):
    def with_code(self, code: str) -> Commitment | None:
        """The commitment with this code, or None: what ``get(code=code)`` finds, in a
        statement written out once, since every filing names one (``registry.written_sql``)."""
        rows = written_sql.fetch_all(_commitment_by_code_sql(), [code])
        return written_sql.instances([Commitment], rows[0])[0] if rows else None


class Commitment(models.Model):
    """A transparency regime and every number it sets, kept as data.

    A threshold left empty is not a criterion of this commitment. The rules in
    ``registry.rules`` read these fields; nothing else interprets them.
    """

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("Dates of lead times and deadlines are taken in this time zone."),
    )

    exercise_lead_days = models.PositiveSmallIntegerField(
        help_text=_("Minimum whole days between filing and the start of a notifiable exercise.")
    )
    snap_notice_days = models.PositiveSmallIntegerField(
        default=0,
        help_text=_(
            "Days after the troops begin by which an exercise ordered without advance notice "
            "must be notified (0: no later than the day they begin)."
        ),
    )
    threshold_troops = optional_count(_("Troops at which an exercise is notifiable."))
    threshold_battle_tanks = optional_count(_("Battle tanks at which it is notifiable."))
    threshold_acv = optional_count(_("Armoured combat vehicles at which it is notifiable."))
    threshold_artillery = optional_count(
        _("Artillery pieces (100 mm and above) at which it is notifiable.")
    )
    threshold_airborne_amphibious_troops = optional_count(
        _("Airborne or amphibious troops at which it is notifiable.")
    )
    air_component_sorties = optional_count(
        _("Planned fixed-wing sorties at which the notice must include the air component.")
    )
    observation_troops = optional_count(_("Troops at which observers must be invited."))
    observation_battle_tanks = optional_count(_("Battle tanks at which observers must be invited."))
    observation_airborne_amphibious_troops = optional_count(
        _("Airborne or amphibious troops at which observers must be invited.")
    )

    calendar_due_month = models.PositiveSmallIntegerField(null=True, blank=True, validators=MONTH)
    calendar_due_day = models.PositiveSmallIntegerField(null=True, blank=True, validators=DAY)
    calendar_due_years_before = models.PositiveSmallIntegerField(
        default=1,
        help_text=_("The calendar for year Y is due on the date above in year Y minus this."),
    )
    procurement_plan_due_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=MONTH
    )
    procurement_plan_due_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=DAY
    )
    procurement_plan_due_years_before = models.PositiveSmallIntegerField(
        default=0, help_text=_("The plan for year Y is due on the date above in year Y minus this.")
    )
    procurement_plan_months_after_budget = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Months after the budget's approval by which the plan is due (if no fixed date)."
        ),
    )
    procurement_notice_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Days after a contract's signature by which its procurement notice is due."),
    )
    near_threshold_percent = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "A count this many per cent or less below a threshold is flagged for monitors."
        ),
    )
    acknowledgement_hours = models.PositiveSmallIntegerField(
        help_text=_("Hours within which a recipient acknowledges a notice.")
    )
    clarification_hours = models.PositiveSmallIntegerField(
        help_text=_("Hours within which the filing state answers a clarification request.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = CommitmentManager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(calendar_due_month__isnull=True, calendar_due_day__isnull=True)
                | Q(calendar_due_month__range=(1, 12), calendar_due_day__range=(1, 31)),
                name="commitment_calendar_due_date_complete",
                violation_error_message=_(
                    "Give both the month and the day of the calendar deadline."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    procurement_plan_due_month__isnull=True, procurement_plan_due_day__isnull=True
                )
                | Q(
                    procurement_plan_due_month__range=(1, 12),
                    procurement_plan_due_day__range=(1, 31),
                ),
                name="commitment_plan_due_date_complete",
                violation_error_message=_("Give both the month and the day of the plan deadline."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        for prefix in ("calendar_due", "procurement_plan_due"):
            month, day = getattr(self, f"{prefix}_month"), getattr(self, f"{prefix}_day")
            if month and day:
                try:
                    dt.date(2024, month, day)  # a leap year admits 29 February
                except ValueError as exc:
                    raise ValidationError(
                        {f"{prefix}_day": _("No such day in that month.")}
                    ) from exc

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ParticipationQuerySet(models.QuerySet["Participation"]):
    def on(self, day: dt.date) -> ParticipationQuerySet:
        """Participations in force on ``day``."""
        return self.filter(Q(joined_on__lte=day), Q(left_on__isnull=True) | Q(left_on__gt=day))

    def state_codes_on(self, commitment: Commitment, day: dt.date) -> set[str]:
        """The codes of the states taking part in ``commitment`` on ``day``: what
        ``commitment.participations.on(day)`` finds, in a statement written out once, since
        every filing asks (``registry.written_sql``)."""
        rows = written_sql.fetch_all(_state_codes_sql(), [commitment.pk, day, day])
        return {code for (code,) in rows}


class Participation(models.Model):
    """A state's part in a commitment over a span of dates (``left_on`` is exclusive)."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="participations"
    )
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(
        max_length=20, choices=ParticipationRole.choices, default=ParticipationRole.PARTICIPANT
    )
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["commitment__code", "state__code", "joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "state", "joined_on"], name="participation_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=models.F("joined_on")),
                name="participation_dates_in_order",
                violation_error_message=_("A participation must end after it begins."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state_id} in {self.commitment} from {self.joined_on}"


@functools.cache
def _commitment_by_code_sql() -> str:
    code = written_sql.column(Commitment, "code")
    return (
        f"SELECT {written_sql.select_list(Commitment)} FROM {written_sql.table(Commitment)} "
        f"WHERE {code} = %s"
    )


@functools.cache
def _state_codes_sql() -> str:
    column = functools.partial(written_sql.column, Participation)
    return (
        f"SELECT {column('state')} FROM {written_sql.table(Participation)} "
        f"WHERE {column('commitment')} = %s AND {column('joined_on')} <= %s "
        f"AND ({column('left_on')} IS NULL OR {column('left_on')} > %s)"
    )
