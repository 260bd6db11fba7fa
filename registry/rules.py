"""The rules of the regimes, as pure functions over a commitment's parameters.

Every screen, API answer and report asks these functions; nothing else reads a
threshold or a deadline off a commitment. A function here does no database work:
it takes a ``Commitment`` (or anything with its attributes) and plain values.

Dates are taken in the commitment's time zone (DOMAIN.md §6): the lead time of an
exercise is the number of whole calendar days from the local date on which its
first version was filed to the start date of its current version.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_lazy

from registry.vocabulary import NoticeKind

#: Exercise counts that can make an activity notifiable, each with the commitment
#: parameter that holds its threshold.
NOTIFIABILITY_THRESHOLDS = {
    "troops": "threshold_troops",
    "battle_tanks": "threshold_battle_tanks",
    "acv": "threshold_acv",
    "artillery": "threshold_artillery",
    "airborne_amphibious_troops": "threshold_airborne_amphibious_troops",
}
OBSERVATION_THRESHOLDS = {
    "troops": "observation_troops",
    "battle_tanks": "observation_battle_tanks",
    "airborne_amphibious_troops": "observation_airborne_amphibious_troops",
}


class CommitmentParameters(Protocol):
    """What the rules read from a commitment (``registry.models.Commitment`` provides it)."""

    time_zone: str
    exercise_lead_days: int
    snap_notice_days: int
    acknowledgement_hours: int
    clarification_hours: int


@dataclass(frozen=True)
class Assessment:
    """What the rules conclude about one version of a notice.

    ``timely`` and ``days_late`` are ``None`` where no deadline applies (a sub-threshold
    exercise is voluntary; a commitment may set no deadline for a kind).
    """

    notifiable: bool | None = None
    snap: bool = False
    lead_time_days: int | None = None
    required_lead_days: int | None = None
    due_by: dt.date | None = None
    timely: bool | None = None
    days_late: int | None = None
    observation_required: bool = False
    air_component_required: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- dates in the commitment's time zone -------------------------------------------------


def local_date(commitment: CommitmentParameters, moment: dt.datetime) -> dt.date:
    """The calendar date of ``moment`` (an aware datetime) in the commitment's time zone."""
    if moment.tzinfo is None:
        raise ValueError("local_date needs an aware datetime")
    return moment.astimezone(ZoneInfo(commitment.time_zone)).date()


def annual_date(year: int, month: int, day: int) -> dt.date:
    """``day``/``month`` of ``year``; 29 February falls back to the 28th in a common year."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return annual_date(year, month, day.day)


def days_late(filed_on: dt.date, due_by: dt.date) -> int:
    return max(0, (filed_on - due_by).days)


# --- exercises -----------------------------------------------------------------------


def thresholds_reached(commitment: Any, counts: Mapping[str, int]) -> list[str]:
    """The counts at or above the commitment's notifiability thresholds, by count name."""
    return _reached(commitment, counts, NOTIFIABILITY_THRESHOLDS)


def is_notifiable(commitment: Any, counts: Mapping[str, int]) -> bool:
    """An exercise is notifiable if any count reaches its threshold ("at least")."""
    return bool(thresholds_reached(commitment, counts))


def observation_required(commitment: Any, counts: Mapping[str, int]) -> bool:
    return bool(_reached(commitment, counts, OBSERVATION_THRESHOLDS))


def air_component_required(commitment: Any, fixed_wing_sorties: int) -> bool:
    limit = getattr(commitment, "air_component_sorties", None)
    return limit is not None and fixed_wing_sorties >= limit


def _reached(commitment: Any, counts: Mapping[str, int], table: Mapping[str, str]) -> list[str]:
    reached = []
    for count_name, parameter in table.items():
        limit = getattr(commitment, parameter, None)
        if limit is not None and (counts.get(count_name) or 0) >= limit:
            reached.append(count_name)
    return reached


def lead_time_days(
    commitment: CommitmentParameters, first_filed_at: dt.datetime, start_date: dt.date
) -> int:
    """Whole calendar days from the local filing date to the start (negative if filed after)."""
    return (start_date - local_date(commitment, first_filed_at)).days


def exercise_due_by(
    commitment: CommitmentParameters, start_date: dt.date, *, snap: bool
) -> dt.date:
    """The last local date on which the notice is on time.

    A regular exercise is due ``exercise_lead_days`` before its start; one ordered
    without advance notice (a snap exercise) is due ``snap_notice_days`` after the
    troops begin.
    """
    if snap:
        return start_date + dt.timedelta(days=commitment.snap_notice_days)
    return start_date - dt.timedelta(days=commitment.exercise_lead_days)


def required_lead_days(commitment: CommitmentParameters, *, snap: bool) -> int:
    return -commitment.snap_notice_days if snap else commitment.exercise_lead_days


def assess_exercise(
    commitment: Any, exercise: Mapping[str, Any], first_filed_at: dt.datetime
) -> Assessment:
    """Assess an exercise's content as filed at ``first_filed_at`` (its first version's time)."""
    snap = bool(exercise.get("without_advance_notice"))
    start_date = exercise["start_date"]
    lead = lead_time_days(commitment, first_filed_at, start_date)
    common = {
        "snap": snap,
        "lead_time_days": lead,
        "observation_required": observation_required(commitment, exercise),
        "air_component_required": air_component_required(
            commitment, exercise.get("fixed_wing_sorties") or 0
        ),
    }
    if not is_notifiable(commitment, exercise):
        return Assessment(notifiable=False, **common)
    due_by = exercise_due_by(commitment, start_date, snap=snap)
    late = days_late(local_date(commitment, first_filed_at), due_by)
    return Assessment(
        notifiable=True,
        required_lead_days=required_lead_days(commitment, snap=snap),
        due_by=due_by,
        timely=late == 0,
        days_late=late,
        **common,
    )


# --- periodic obligations and procurement ----------------------------------------------


def calendar_due_by(commitment: Any, calendar_year: int) -> dt.date | None:
    """The date the annual calendar of ``calendar_year`` is due, if the commitment sets one."""
    if commitment.calendar_due_month is None:
        return None
    year = calendar_year - commitment.calendar_due_years_before
    return annual_date(year, commitment.calendar_due_month, commitment.calendar_due_day)


def procurement_plan_due_by(
    commitment: Any, plan_year: int, budget_approved_on: dt.date | None = None
) -> dt.date | None:
    """A fixed annual date if the commitment sets one, else months after the budget's approval."""
    if commitment.procurement_plan_due_month is not None:
        year = plan_year - commitment.procurement_plan_due_years_before
        return annual_date(
            year, commitment.procurement_plan_due_month, commitment.procurement_plan_due_day
        )
    months = commitment.procurement_plan_months_after_budget
    if months is not None and budget_approved_on is not None:
        return add_months(budget_approved_on, months)
    return None


def procurement_notice_due_by(commitment: Any, contract_date: dt.date | None) -> dt.date | None:
    if commitment.procurement_notice_days is None or contract_date is None:
        return None
    return contract_date + dt.timedelta(days=commitment.procurement_notice_days)


def assess_deadline(
    commitment: CommitmentParameters, due_by: dt.date | None, first_filed_at: dt.datetime
) -> Assessment:
    """On time or late against a single due date (calendars, plans, procurement notices)."""
    if due_by is None:
        return Assessment()
    late = days_late(local_date(commitment, first_filed_at), due_by)
    return Assessment(due_by=due_by, timely=late == 0, days_late=late)


def assess(
    commitment: Any, kind: str, content: Mapping[str, Any], first_filed_at: dt.datetime
) -> Assessment:
    """Assess the content of a version of any kind (content keyed as in the API)."""
    if kind == NoticeKind.EXERCISE:
        return assess_exercise(commitment, content, first_filed_at)
    if kind == NoticeKind.ANNUAL_CALENDAR:
        due_by = calendar_due_by(commitment, content["year"])
    elif kind == NoticeKind.PROCUREMENT_PLAN:
        due_by = procurement_plan_due_by(
            commitment, content["plan_year"], content.get("budget_approved_on")
        )
    elif kind == NoticeKind.PROCUREMENT_NOTICE:
        due_by = procurement_notice_due_by(commitment, content["item"].get("contract_date"))
    else:
        raise ValueError(f"unknown notice kind {kind!r}")
    return assess_deadline(commitment, due_by, first_filed_at)


# --- responses to notices (used by dispatch and reports) --------------------------------


def acknowledgement_window(commitment: CommitmentParameters) -> dt.timedelta:
    return dt.timedelta(hours=commitment.acknowledgement_hours)


def clarification_window(commitment: CommitmentParameters) -> dt.timedelta:
    return dt.timedelta(hours=commitment.clarification_hours)


def acknowledgement_due_at(
    commitment: CommitmentParameters, received_at: dt.datetime
) -> dt.datetime:
    return received_at + acknowledgement_window(commitment)


def clarification_due_at(commitment: CommitmentParameters, asked_at: dt.datetime) -> dt.datetime:
    return asked_at + clarification_window(commitment)


def acknowledgement_overdue_cutoff(
    commitment: CommitmentParameters, now: dt.datetime, times: int = 1
) -> dt.datetime:
    """Versions received before this moment are ``times`` deadlines late in being acknowledged."""
    return now - acknowledgement_window(commitment) * times


def clarification_overdue_cutoff(
    commitment: CommitmentParameters, now: dt.datetime, times: int = 1
) -> dt.datetime:
    """Questions asked before this moment are ``times`` deadlines late in being answered."""
    return now - clarification_window(commitment) * times


# --- audit flags (DOMAIN.md §6: sizes just under a threshold, sizes raised after filing) ---


def near_thresholds(commitment: Any, counts: Mapping[str, int]) -> list[str]:
    """Counts declared within the commitment's margin below a notifiability threshold."""
    margin = commitment.near_threshold_percent / 100
    near = []
    for count_name, parameter in NOTIFIABILITY_THRESHOLDS.items():
        limit = getattr(commitment, parameter, None)
        value = counts.get(count_name) or 0
        if limit is not None and limit * (1 - margin) <= value < limit:
            near.append(count_name)
    return near


def raised_above_thresholds(
    commitment: Any, before: Mapping[str, int], after: Mapping[str, int]
) -> list[str]:
    """Counts that an amendment brought to a threshold the earlier version stayed under."""
    earlier = set(thresholds_reached(commitment, before))
    return [name for name in thresholds_reached(commitment, after) if name not in earlier]


# --- periodic obligations, as a report judges them ---------------------------------------


class ObligationStatus:
    ON_TIME = "on_time"
    LATE = "late"
    FILED = "filed"  # filed, with no deadline to judge it by
    PENDING = "pending"  # not filed, not yet due
    MISSING = "missing"  # not filed, and due
    NOT_REQUIRED = "not_required"


def calendar_required(commitment: Any) -> bool:
    return commitment.calendar_due_month is not None


def procurement_plan_required(commitment: Any) -> bool:
    return (
        commitment.procurement_plan_due_month is not None
        or commitment.procurement_plan_months_after_budget is not None
    )


def obligation_status(
    *,
    required: bool,
    due_by: dt.date | None,
    filed_on: dt.date | None,
    today: dt.date,
    period_end: dt.date,
) -> str:
    """How a yearly obligation stands on ``today``; ``period_end`` is the year it covers."""
    if not required:
        return ObligationStatus.NOT_REQUIRED
    if filed_on is not None:
        if due_by is None:
            return ObligationStatus.FILED
        return ObligationStatus.ON_TIME if filed_on <= due_by else ObligationStatus.LATE
    deadline = due_by or period_end
    return ObligationStatus.MISSING if today > deadline else ObligationStatus.PENDING


# --- the transparency score ----------------------------------------------------------------

#: Weights of the score's components (registry policy, shown on the compliance pages).
SCORE_WEIGHTS = {
    "exercises": 35,
    "calendar": 15,
    "procurement_plan": 15,
    "procurement_notices": 10,
    "acknowledgements": 15,
    "clarifications": 10,
}
#: Points taken off the score for each finding recorded against the state in the period.
SCORE_FINDING_PENALTY = 5
#: A late response or obligation earns this share of the credit of a timely one.
SCORE_LATE_CREDIT = 0.5

OBLIGATION_CREDIT = {
    ObligationStatus.ON_TIME: 1.0,
    ObligationStatus.FILED: 1.0,
    ObligationStatus.LATE: SCORE_LATE_CREDIT,
    ObligationStatus.MISSING: 0.0,
}


def rate(good: float, total: int) -> float | None:
    return None if not total else good / total


def transparency_score(components: Mapping[str, float | None], findings: int) -> float | None:
    """0 to 100: the weighted mean of the components that apply, less a penalty per finding.

    A component that does not apply in the period (``None``: no notifiable exercise, nothing
    received, an obligation not yet due) is left out and the others' weights rescaled.
    """
    present = {name: value for name, value in components.items() if value is not None}
    if not present:
        return None
    weight = sum(SCORE_WEIGHTS[name] for name in present)
    mean = sum(SCORE_WEIGHTS[name] * value for name, value in present.items()) / weight
    return max(0.0, min(100.0, round(100 * mean - SCORE_FINDING_PENALTY * findings, 1)))


#: The score's components as the formula names them.
SCORE_COMPONENT_NAMES = {
    "exercises": gettext_lazy("exercises"),
    "calendar": gettext_lazy("calendar"),
    "procurement_plan": gettext_lazy("procurement plan"),
    "procurement_notices": gettext_lazy("procurement notices"),
    "acknowledgements": gettext_lazy("acknowledgements"),
    "clarifications": gettext_lazy("clarifications"),
}


def score_formula() -> str:
    """The formula in words, in the reader's language, for the pages and the exports."""
    parts = ", ".join(
        f"{SCORE_COMPONENT_NAMES[name]} {weight}" for name, weight in SCORE_WEIGHTS.items()
    )
    return gettext(
        "Score = 100 × the weighted mean of the rates that apply (weights: %(weights)s), "
        "minus %(penalty)s per finding, between 0 and 100. Rates: exercises timely ÷ "
        "notifiable; calendar and procurement plan 1 if on time, %(late)s if late, 0 if "
        "missing; procurement notices timely ÷ filed; acknowledgements and clarification "
        "answers (within the deadline + %(late)s × late) ÷ received. A rate with nothing to "
        "judge is left out."
    ) % {"weights": parts, "penalty": SCORE_FINDING_PENALTY, "late": SCORE_LATE_CREDIT}


#: Bands for showing a score or a rate (per cent): at or above the first is good, at or above
#: the second fair, below it poor.
SCORE_BANDS = (80, 50)


def band(percent: float | None) -> str:
    """``good``, ``fair``, ``poor`` or ``none`` (nothing to judge) for a score or a rate."""
    if percent is None:
        return "none"
    good, fair = SCORE_BANDS
    return "good" if percent >= good else "fair" if percent >= fair else "poor"
