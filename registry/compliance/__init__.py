"""The compliance engine: who keeps a commitment, per state and year, with the evidence.

Every figure is defined once, as a filter over the rows it counts (``FIGURES``); the
report aggregates those filters in the database, grouped by state and year, in a number
of queries that does not grow with the data or the number of years, and the evidence
pages list the rows of the same filters. Judgements (on time, late, missing, the score)
are ``registry.rules``' answers, from the commitment's parameters and the assessments
stored with each version.

What counts (DOMAIN.md §6):
- exercises belong to the year their current version starts; a cancelled exercise counts
  only as cancelled, a sub-threshold one as voluntary;
- the annual calendar and procurement plan of year Y are judged by their first filing
  (amendments do not move the filing date); a cancelled one is missing;
- procurement notices belong to the year of their contract's signature;
- a state owes an acknowledgement for the current version of each notice it received,
  counted in the year it received it; clarification answers are owed by the filing state,
  counted in the year the question was asked;
- findings count in the year they concern.

Speed (bench/README.md, "compliance": 57 states, 10 years, 100,000 notices, 6 million
receipts). Two tables kept by PostgreSQL triggers (migration ``0007_compliance_receipts``;
``0009_receipts_refresh_plan`` keeps their refresh cheap)
in the transaction of the write that changes them:

- **Receipts.** ``Receipt`` holds exactly the rows of the view ``registry_receipt_source``:
  the current versions received in registry inboxes, with the commitment, the year of
  receipt in the commitment's time zone and the time of the acknowledgement. Every write to
  deliveries, acknowledgements, a notice's current version or a commitment's time zone
  refreshes the receipts it concerns from the view. A year's receipts are then one index
  range (``receipt_commitment_year_idx``), with no join to the 6 million deliveries, their
  acknowledgements and the notices. Elsewhere than PostgreSQL (SQLite, the demo) the same
  filter is applied to the deliveries themselves (``receipts_from_deliveries``).
- **Closed years.** A year that has ended in the commitment's time zone has its figures
  (every section but the calendars and plans, which are few and judged against today)
  stored in a ``ComplianceRollup``. A report reads the stored years in one query and runs
  each aggregation once for all the other years, grouped by year, storing those that are
  closed. A write that changes a year's figures deletes its rollup (receipts, a notice's
  current version or status, clarifications, findings), so a late acknowledgement of an
  old notice changes that year's figures at once. ``parameters`` names the engine's
  version (``rollups.FIGURES_VERSION``), the time zone and the acknowledgement window: a
  rollup computed under others is computed again (``registry.compliance.rollups``).
- **Concurrent writes.** A write takes a shared advisory lock on each (commitment, year)
  it changes before deleting the rollup, and keeps it until it commits. The engine stores
  a year only if it got the same lock exclusively (``pg_try_advisory_xact_lock``, which
  never waits) before computing it, in the same transaction: no write to that year is then
  in flight, the figures see every committed one, and any later write waits for the store
  to commit and deletes it. A year whose lock is taken is computed but not stored. Writers
  run at READ COMMITTED (Django's default).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext

from notifications.messages import NOTICE_EVENTS
from notifications.models import Clarification, Delivery, Endpoint
from registry import rules
from registry.compliance import rollups
from registry.models import Commitment, Finding, Notice, Participation, Receipt
from registry.vocabulary import NoticeKind, NoticeStatus

# --- what each figure counts ----------------------------------------------------------------

LIVE = ~Q(status=NoticeStatus.CANCELLED)
NOTIFIABLE = LIVE & Q(current_version__notifiable=True)

EXERCISE_FIGURES = {
    "notifiable": NOTIFIABLE,
    "timely": NOTIFIABLE & Q(current_version__timely=True),
    "late": NOTIFIABLE & Q(current_version__timely=False),
    "snap": LIVE & Q(current_version__snap=True),
    "voluntary": LIVE & Q(current_version__notifiable=False),
    "cancelled": Q(status=NoticeStatus.CANCELLED),
}
PROCUREMENT_NOTICE_FIGURES = {
    "filed": LIVE,
    "timely": LIVE & Q(current_version__timely=True),
    "late": LIVE & Q(current_version__timely=False),
}
ACKNOWLEDGED = Q(acknowledged_at__isnull=False)
ACKNOWLEDGEMENT_FIGURES = {
    "received": Q(),
    "within_deadline": ACKNOWLEDGED & Q(acknowledged_at__lte=F("deadline")),
    "late": ACKNOWLEDGED & Q(acknowledged_at__gt=F("deadline")),
    "outstanding": Q(acknowledged_at__isnull=True),
}
ANSWERED = Q(answered_at__isnull=False)
CLARIFICATION_FIGURES = {
    "received": Q(),
    "answered_within_deadline": ANSWERED & Q(answered_at__lte=F("answer_due_at")),
    "late": ANSWERED & Q(answered_at__gt=F("answer_due_at")),
    "outstanding": Q(answered_at__isnull=True),
}


# --- the report's shape ---------------------------------------------------------------------


@dataclass
class Obligation:
    status: str
    filed_at: dt.datetime | None = None
    days_late: int | None = None
    due_by: dt.date | None = None
    notice_id: int | None = None

    @property
    def credit(self) -> float | None:
        return rules.OBLIGATION_CREDIT.get(self.status)


@dataclass
class StateYear:
    """Every figure of one state in one year, and the score they add up to."""

    state: str
    state_name: str
    year: int
    role: str
    exercises: dict[str, Any] = field(default_factory=dict)
    calendar: Obligation | None = None
    procurement_plan: Obligation | None = None
    procurement_notices: dict[str, int] = field(default_factory=dict)
    acknowledgements: dict[str, Any] = field(default_factory=dict)
    clarifications: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    score: float | None = None

    @property
    def local_state_name(self) -> str:
        """The state's name in the reader's language (``State.local_name``)."""
        return gettext(self.state_name)

    def score_components(self) -> dict[str, float | None]:
        ex, pn = self.exercises, self.procurement_notices
        return {
            "exercises": rules.rate(ex["timely"], ex["notifiable"]),
            "calendar": self.calendar.credit if self.calendar else None,
            "procurement_plan": self.procurement_plan.credit if self.procurement_plan else None,
            "procurement_notices": rules.rate(pn["timely"], pn["filed"]),
            "acknowledgements": _response_rate(self.acknowledgements, "within_deadline"),
            "clarifications": _response_rate(self.clarifications, "answered_within_deadline"),
        }


def _response_rate(figures: dict[str, Any], within: str) -> float | None:
    credit = figures[within] + rules.SCORE_LATE_CREDIT * figures["late"]
    return rules.rate(credit, figures["received"])


@dataclass
class ComplianceReport:
    commitment: Commitment
    years: list[int]
    generated_at: dt.datetime
    rows: list[StateYear]

    def for_year(self, year: int) -> list[StateYear]:
        return [row for row in self.rows if row.year == year]

    def for_state(self, state: str) -> list[StateYear]:
        return [row for row in self.rows if row.state == state]


# --- the engine -------------------------------------------------------------------------------

#: The sections stored for closed years (the calendars and plans are judged against today).
YEARLY_SECTIONS = (
    "exercises",
    "procurement_notices",
    "acknowledgements",
    "clarifications",
    "findings",
)


def compliance_report(
    commitment: Commitment, years: list[int] | range, *, now: dt.datetime | None = None
) -> ComplianceReport:
    """Every participating state's figures for each of ``years``."""
    now = now or timezone.now()
    years = sorted(set(years))
    today = rules.local_date(commitment, now)
    rows = _participants(commitment, years)
    calendars = _obligations(commitment, years, NoticeKind.ANNUAL_CALENDAR, "annual_calendar__year")
    plans = _obligations(
        commitment, years, NoticeKind.PROCUREMENT_PLAN, "procurement_plan__plan_year"
    )
    figures = rollups.yearly_figures(commitment, years, today, compute_years)
    for row in rows:
        key, year = (row.state, row.year), figures[row.year]
        row.exercises = year["exercises"].get(row.state) or _zero_exercises()
        row.calendar = _judge_calendar(commitment, row.year, calendars.get(key), today)
        row.procurement_plan = _judge_plan(commitment, row.year, plans.get(key), today)
        row.procurement_notices = year["procurement_notices"].get(row.state) or dict.fromkeys(
            PROCUREMENT_NOTICE_FIGURES, 0
        )
        row.acknowledgements = year["acknowledgements"].get(row.state) or _zero_acknowledgements()
        row.clarifications = year["clarifications"].get(row.state) or dict.fromkeys(
            CLARIFICATION_FIGURES, 0
        )
        row.findings = year["findings"].get(row.state, 0)
        row.score = rules.transparency_score(row.score_components(), row.findings)
    return ComplianceReport(commitment=commitment, years=years, generated_at=now, rows=rows)


def _participants(commitment: Commitment, years: list[int]) -> list[StateYear]:
    """A row for each state that took part at any time in each year."""
    participations = Participation.objects.filter(commitment=commitment).select_related("state")
    rows = []
    for year in years:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        seen = set()
        for participation in participations:
            ended = participation.left_on is not None and participation.left_on <= first
            if participation.joined_on > last or ended or participation.state_id in seen:
                continue
            seen.add(participation.state_id)
            rows.append(
                StateYear(
                    state=participation.state_id,
                    state_name=participation.state.name,
                    year=year,
                    role=participation.role,
                )
            )
    return sorted(rows, key=lambda row: (row.year, row.state))


def compute_years(commitment: Commitment, years: list[int]) -> dict:
    """Every section of ``years`` from the records, one query per section for all of them."""
    figures: dict = {year: {section: {} for section in YEARLY_SECTIONS} for year in years}
    if not years:
        return figures
    sections = {
        "exercises": _exercise_figures(commitment, years),
        "procurement_notices": _procurement_notice_figures(commitment, years),
        "acknowledgements": _acknowledgement_figures(commitment, years),
        "clarifications": _clarification_figures(commitment, years),
        "findings": _finding_counts(commitment, years),
    }
    for section, grouped in sections.items():
        for (state, year), values in grouped.items():
            figures[year][section][state] = values
    return figures


def _counts(figures: dict[str, Q], rows: str = "id") -> dict[str, Count]:
    """A count of the rows each figure's condition holds for (``rows``: a column never null)."""
    return {name: Count(rows, filter=condition) for name, condition in figures.items()}


def _grouped(
    queryset: QuerySet, group_by: tuple[str, ...], aggregates: dict, median: tuple
) -> dict[tuple, dict]:
    """``aggregates`` per group and the median ``(name, expression, condition)``: one query
    on PostgreSQL (``percentile_cont``), and one more elsewhere."""
    name, expression, condition = median
    medians = None
    if connection.vendor == "postgresql":
        aggregates = {**aggregates, name: Median(expression, filter=condition)}
    else:
        medians = _medians(queryset.filter(condition).annotate(_value=expression), group_by)
    grouped = {}
    for row in queryset.values(*group_by).annotate(**aggregates):
        key = tuple(row.pop(field_name) for field_name in group_by)
        if medians is not None:
            row[name] = medians.get(key)
        grouped[key] = row
    return grouped


# exercises ------------------------------------------------------------------------------


def exercises_in(commitment: Commitment, years: list[int]) -> QuerySet[Notice]:
    return Notice.objects.filter(
        commitment=commitment,
        kind=NoticeKind.EXERCISE,
        current_version__exercise__start_date__year__in=years,
    ).annotate(year_of=ExtractYear("current_version__exercise__start_date"))


def _exercise_figures(commitment: Commitment, years: list[int]) -> dict[tuple, dict]:
    late_days = EXERCISE_FIGURES["late"]
    figures = _grouped(
        exercises_in(commitment, years),
        ("state_id", "year_of"),
        {
            **_counts(EXERCISE_FIGURES),
            "days_late_total": Sum("current_version__days_late", filter=late_days),
            "days_late_max": Max("current_version__days_late", filter=late_days),
        },
        ("median_lead_days", F("current_version__lead_time_days"), NOTIFIABLE),
    )
    for values in figures.values():
        values["days_late_total"] = values["days_late_total"] or 0
    return figures


def _zero_exercises() -> dict[str, Any]:
    return {
        **dict.fromkeys(EXERCISE_FIGURES, 0),
        "days_late_total": 0,
        "days_late_max": None,
        "median_lead_days": None,
    }


# periodic obligations --------------------------------------------------------------------


def obligations_in(commitment: Commitment, years: list[int], kind: str, year_field: str):
    return Notice.objects.filter(
        commitment=commitment, kind=kind, **{f"current_version__{year_field}__in": years}
    ).annotate(year_of=F(f"current_version__{year_field}"))


def _obligations(commitment: Commitment, years: list[int], kind: str, year_field: str) -> dict:
    """The first live filing of each state's yearly obligation (one row per state and year)."""
    rows = (
        obligations_in(commitment, years, kind, year_field)
        .filter(LIVE)
        .order_by("first_filed_at")
        .values("id", "state_id", "year_of", "first_filed_at", "current_version__due_by")
    )
    first: dict[tuple, dict] = {}
    for row in rows:
        first.setdefault((row["state_id"], row["year_of"]), row)
    return first


def _judge_calendar(commitment, year: int, filing: dict | None, today: dt.date) -> Obligation:
    due_by = (
        rules.calendar_due_by(commitment, year) if rules.calendar_required(commitment) else None
    )
    return _obligation(commitment, rules.calendar_required(commitment), due_by, filing, today, year)


def _judge_plan(commitment, year: int, filing: dict | None, today: dt.date) -> Obligation:
    required = rules.procurement_plan_required(commitment)
    due_by = (
        filing["current_version__due_by"]
        if filing
        else rules.procurement_plan_due_by(commitment, year)
    )
    return _obligation(commitment, required, due_by, filing, today, year)


def _obligation(commitment, required, due_by, filing, today, year) -> Obligation:
    filed_at = filing["first_filed_at"] if filing else None
    filed_on = rules.local_date(commitment, filed_at) if filed_at else None
    status = rules.obligation_status(
        required=required,
        due_by=due_by,
        filed_on=filed_on,
        today=today,
        period_end=dt.date(year, 12, 31),
    )
    days_late = rules.days_late(filed_on, due_by) if filed_on and due_by else None
    return Obligation(
        status=status,
        filed_at=filed_at,
        days_late=days_late,
        due_by=due_by,
        notice_id=filing["id"] if filing else None,
    )


# procurement notices -----------------------------------------------------------------------


def procurement_notices_in(commitment: Commitment, years: list[int]) -> QuerySet[Notice]:
    return Notice.objects.filter(
        commitment=commitment,
        kind=NoticeKind.PROCUREMENT_NOTICE,
        current_version__items__contract_date__year__in=years,
    ).annotate(year_of=ExtractYear("current_version__items__contract_date"))


def _procurement_notice_figures(commitment: Commitment, years: list[int]) -> dict:
    grouped = (
        procurement_notices_in(commitment, years)
        .values("state_id", "year_of")
        .annotate(**_counts(PROCUREMENT_NOTICE_FIGURES))
    )
    return {(g.pop("state_id"), g.pop("year_of")): g for g in grouped}


# responsiveness ---------------------------------------------------------------------------


def receipts_in(commitment: Commitment, years: list[int]) -> QuerySet:
    """Current versions received in each state's registry inbox in ``years`` (in the
    commitment's time zone), with the time of the recipient's acknowledgement if any."""
    rows: QuerySet
    if rollups.uses_stored_figures():
        rows = Receipt.objects.filter(commitment=commitment, year__in=years).annotate(
            year_of=F("year"), ack=_acknowledgement()
        )
    else:
        rows = receipts_from_deliveries(commitment, years)
    return rows.annotate(deadline=F("delivered_at") + rules.acknowledgement_window(commitment))


def _acknowledgement() -> FilteredRelation:
    """The recipient's acknowledgement of the version received, if any."""
    return FilteredRelation(
        "version__acknowledgements", condition=Q(version__acknowledgements__state=F("recipient"))
    )


def receipts_from_deliveries(commitment: Commitment, years: list[int]) -> QuerySet[Delivery]:
    """The receipts read from the deliveries: what ``Receipt`` holds on PostgreSQL."""
    tz = ZoneInfo(commitment.time_zone)
    start = dt.datetime(min(years), 1, 1, tzinfo=tz)
    end = dt.datetime(max(years) + 1, 1, 1, tzinfo=tz)
    return (
        Delivery.objects.filter(
            version__notice__commitment=commitment,
            version__notice__current_version=F("version"),
            endpoint__kind=Endpoint.Kind.INBOX,
            event__in=NOTICE_EVENTS,
            delivered_at__gte=start,
            delivered_at__lt=end,
        )
        .annotate(
            ack=_acknowledgement(),
            acknowledged_at=F("ack__acknowledged_at"),
            year_of=ExtractYear("delivered_at", tzinfo=tz),
        )
        .filter(year_of__in=years)
    )


def _acknowledgement_figures(commitment: Commitment, years: list[int]) -> dict:
    """One query per year: a year's receipts are one range of the index, and PostgreSQL
    aggregates (and takes the median of) several ranges in one query more slowly than each
    alone (bench/README.md, "compliance": two years 0.96 s together, 0.3 s each)."""
    figures: dict[tuple, dict] = {}
    for year in years:
        figures |= _grouped(
            receipts_in(commitment, [year]),
            ("recipient_id", "year_of"),
            _counts(ACKNOWLEDGEMENT_FIGURES, "delivered_at"),
            ("median_hours", F("acknowledged_at") - F("delivered_at"), ACKNOWLEDGED),
        )
    for values in figures.values():
        waited = values["median_hours"]
        values["median_hours"] = round(waited.total_seconds() / 3600, 1) if waited else None
    return figures


def _zero_acknowledgements() -> dict[str, Any]:
    return {**dict.fromkeys(ACKNOWLEDGEMENT_FIGURES, 0), "median_hours": None}


def clarifications_in(commitment: Commitment, years: list[int]) -> QuerySet[Clarification]:
    tz = ZoneInfo(commitment.time_zone)
    return (
        Clarification.objects.filter(version__notice__commitment=commitment)
        .annotate(year_of=ExtractYear("asked_at", tzinfo=tz))
        .filter(year_of__in=years)
    )


def _clarification_figures(commitment: Commitment, years: list[int]) -> dict:
    grouped = (
        clarifications_in(commitment, years)
        .values("version__notice__state_id", "year_of")
        .annotate(**_counts(CLARIFICATION_FIGURES))
    )
    return {(g.pop("version__notice__state_id"), g.pop("year_of")): g for g in grouped}


def findings_in(commitment: Commitment, years: list[int]) -> QuerySet[Finding]:
    return Finding.objects.filter(commitment=commitment, year__in=years)


def _finding_counts(commitment: Commitment, years: list[int]) -> dict:
    grouped = findings_in(commitment, years).values("state_id", "year").annotate(n=Count("id"))
    return {(g["state_id"], g["year"]): g["n"] for g in grouped}


# --- medians: percentile_cont in PostgreSQL, one fetch elsewhere ---------------------------------


def _medians(queryset: QuerySet, group_by: tuple[str, ...]) -> dict[tuple, Any]:
    """The median of the ``_value`` annotation per group, in one query (outside PostgreSQL)."""
    values: dict[tuple, list] = defaultdict(list)
    for row in queryset.values_list(*group_by, "_value"):
        if row[-1] is not None:
            values[row[:-1]].append(row[-1])
    return {key: statistics.median(items) for key, items in values.items()}


class Median(Sum):
    """PostgreSQL's ``percentile_cont(0.5)``, keeping the field's type (days, or an interval)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


# --- documents (the API's and the exports' shape) ---------------------------------------------


def obligation_document(obligation: Obligation | None) -> dict[str, Any] | None:
    if obligation is None:
        return None
    return {
        "status": obligation.status,
        "filed_at": obligation.filed_at.isoformat() if obligation.filed_at else None,
        "days_late": obligation.days_late,
        "due_by": obligation.due_by.isoformat() if obligation.due_by else None,
    }


def state_year_document(row: StateYear) -> dict[str, Any]:
    """One state's figures for one year, as ``GET /api/v1/compliance/`` gives them."""
    exercises = dict(row.exercises)
    return {
        "state": row.state,
        "name": row.state_name,
        "role": row.role,
        "year": row.year,
        "exercises": exercises,
        "calendar": obligation_document(row.calendar),
        "procurement_plan": obligation_document(row.procurement_plan),
        "procurement_notices": dict(row.procurement_notices),
        "acknowledgements": dict(row.acknowledgements),
        "clarifications": dict(row.clarifications),
        "findings": row.findings,
        "score": row.score,
    }


# --- evidence: the rows behind each figure -------------------------------------------------------

EVIDENCE_SECTIONS = {
    "exercises": EXERCISE_FIGURES,
    "procurement_notices": PROCUREMENT_NOTICE_FIGURES,
    "acknowledgements": ACKNOWLEDGEMENT_FIGURES,
    "clarifications": CLARIFICATION_FIGURES,
}
WHOLE_SECTIONS = ("calendar", "procurement_plan", "findings")


def evidence(commitment: Commitment, state: str, year: int, section: str, figure: str = ""):
    """The rows one figure of one state's report counts, by the same filter as the figure.

    Raises ``KeyError`` for a section or figure the report does not have.
    """
    years = [year]
    if section in WHOLE_SECTIONS and not figure:
        if section == "findings":
            return findings_in(commitment, years).filter(state_id=state)
        year_field = (
            "annual_calendar__year" if section == "calendar" else "procurement_plan__plan_year"
        )
        kind = NoticeKind.ANNUAL_CALENDAR if section == "calendar" else NoticeKind.PROCUREMENT_PLAN
        return (
            obligations_in(commitment, years, kind, year_field)
            .filter(state_id=state)
            .order_by("first_filed_at")
        )
    condition = EVIDENCE_SECTIONS[section][figure]
    rows: QuerySet
    if section == "exercises":
        rows = exercises_in(commitment, years).filter(state_id=state)
    elif section == "procurement_notices":
        rows = procurement_notices_in(commitment, years).filter(state_id=state)
    elif section == "acknowledgements":
        rows = (
            receipts_in(commitment, years)
            .filter(recipient_id=state)
            .annotate(acknowledged_by=F("ack__acknowledged_by__username"), route=F("ack__route"))
            .select_related("version__notice")
        )
    else:
        rows = clarifications_in(commitment, years).filter(version__notice__state_id=state)
    return rows.filter(condition)
