"""The compliance engine against small histories whose reports are computed by hand.

Every history is imported with its original times (registry.services.history), under WB-RTA:
42 days' lead, 1,500 troops, calendar due 15 November of the year before, plan due
31 January, procurement notices within 30 days, 72 hours to acknowledge, 48 to answer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications.models import Clarification, Delivery
from registry.compliance import compliance_report
from registry.models import Finding, State
from registry.services.history import HistoricalNotice, HistoricalVersion, import_notice
from tests import factories
from tests.conftest import user

BELGRADE = ZoneInfo("Europe/Belgrade")
YEAR = 2025


def at(month: int, day: int, hour: int = 10, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=BELGRADE)


def history(state: str, commitment, kind: str, versions, acknowledgements=(), ref=None):
    return import_notice(
        HistoricalNotice(
            state=State.objects.get(pk=state),
            commitment=commitment,
            kind=kind,
            client_ref=ref or f"h-{state}-{kind}-{versions[0].filed_at.isoformat()}",
            filed_by=user(f"{state.lower()}-liaison"),
            versions=list(versions),
            acknowledgements=list(acknowledgements),
        )
    )


def filed(moment, content, status="filed", reason=""):
    return HistoricalVersion(filed_at=moment, status=status, content=content, reason=reason)


def exercise(start: dt.date, troops: int = 2000, **extra):
    return factories.exercise(start=start, troops=troops, **extra)


def row(report, state: str, year: int = YEAR):
    (found,) = [r for r in report.rows if r.state == state and r.year == year]
    return found


@pytest.fixture
def serbia_2025(seeded, wb_rta):
    """Serbia's 2025 under WB-RTA, every case once:

    - A: filed 50 days ahead: timely;
    - B: filed 40 days ahead: late by 2;
    - C: 1,200 troops: voluntary;
    - D: snap, filed the day it began: timely;
    - E: cancelled;
    - F: filed 45 days ahead, amended to start 5 days earlier: late by 2 (lead 40);
    - calendar for 2025 filed 20 November 2024: late by 5;
    - no procurement plan for 2025: missing;
    - a procurement notice filed 10 days after signature: timely.
    """
    start = dt.date(YEAR, 6, 1)
    history("RS", wb_rta, "exercise", [filed(at(4, 12), exercise(start, name="A"))])
    history("RS", wb_rta, "exercise", [filed(at(4, 22), exercise(start, name="B"))])
    history("RS", wb_rta, "exercise", [filed(at(3, 1), exercise(start, 1200, name="C"))])
    history(
        "RS",
        wb_rta,
        "exercise",
        [filed(at(6, 1, 20), exercise(start, 3000, name="D", without_advance_notice=True))],
    )
    history(
        "RS",
        wb_rta,
        "exercise",
        [filed(at(3, 2), exercise(start, name="E")), filed(at(3, 9), None, "cancelled", "Off")],
    )
    history(
        "RS",
        wb_rta,
        "exercise",
        [
            filed(at(4, 17), exercise(start, name="F")),
            filed(
                at(4, 20), exercise(start - dt.timedelta(days=5), name="F"), "amended", "Earlier"
            ),
        ],
    )
    history(
        "RS",
        wb_rta,
        "annual_calendar",
        [filed(at(11, 20, year=2024), factories.annual_calendar(YEAR))],
    )
    item = factories.procurement_item(contract_date=dt.date(YEAR, 3, 1))
    history("RS", wb_rta, "procurement_notice", [filed(at(3, 11), {"item": item})])


def test_exercise_figures(serbia_2025, wb_rta):
    figures = row(compliance_report(wb_rta, [YEAR]), "RS").exercises
    assert figures["notifiable"] == 4  # A, B, D, F
    assert figures["timely"] == 2  # A, D
    assert figures["late"] == 2  # B, F
    assert figures["days_late_total"] == 4 and figures["days_late_max"] == 2
    assert figures["snap"] == 1
    assert figures["voluntary"] == 1
    assert figures["cancelled"] == 1
    assert figures["median_lead_days"] == 40  # leads 50, 40, 0 (snap), 40


def test_periodic_obligations(serbia_2025, wb_rta):
    report = row(compliance_report(wb_rta, [YEAR]), "RS")
    assert report.calendar.status == "late" and report.calendar.days_late == 5
    assert report.calendar.due_by == dt.date(2024, 11, 15)
    assert report.procurement_plan.status == "missing"
    assert report.procurement_notices == {"filed": 1, "timely": 1, "late": 0}


def test_a_state_with_nothing_filed(serbia_2025, wb_rta):
    montenegro = row(compliance_report(wb_rta, [YEAR]), "ME")
    assert montenegro.exercises["notifiable"] == 0
    assert montenegro.calendar.status == "missing"
    assert montenegro.exercises["median_lead_days"] is None


def test_obligations_not_yet_due_are_pending(seeded, wb_rta):
    now = dt.datetime(2024, 11, 1, tzinfo=BELGRADE)
    report = compliance_report(wb_rta, [2025], now=now)
    assert row(report, "RS", 2025).calendar.status == "pending"
    assert row(report, "RS", 2025).procurement_plan.status == "pending"


def test_acknowledgements_within_late_and_outstanding(seeded, wb_rta):
    """One notice filed 1 March received by six states: HR within 10 h, BA late at 80 h,
    AL within 30 h, the others never."""
    history(
        "RS",
        wb_rta,
        "exercise",
        [filed(at(3, 1), exercise(dt.date(YEAR, 6, 1)))],
        acknowledgements=[
            ("HR", 1, at(3, 1, 20)),
            ("BA", 1, at(3, 4, 18)),
            ("AL", 1, at(3, 2, 16)),
        ],
    )
    report = compliance_report(wb_rta, [YEAR])
    assert row(report, "HR").acknowledgements == {
        "received": 1,
        "within_deadline": 1,
        "late": 0,
        "outstanding": 0,
        "median_hours": 10.0,
    }
    assert row(report, "BA").acknowledgements["late"] == 1
    assert row(report, "BA").acknowledgements["median_hours"] == 80.0
    assert row(report, "ME").acknowledgements["outstanding"] == 1
    assert row(report, "RS").acknowledgements["received"] == 0  # the filer owes nothing


def test_only_the_current_version_is_owed(seeded, wb_rta):
    start = dt.date(YEAR, 6, 1)
    history(
        "RS",
        wb_rta,
        "exercise",
        [
            filed(at(3, 1), exercise(start)),
            filed(at(3, 3), exercise(start, 2500), "amended", "More"),
        ],
        acknowledgements=[("HR", 2, at(3, 3, 12))],
    )
    hr = row(compliance_report(wb_rta, [YEAR]), "HR").acknowledgements
    assert (hr["received"], hr["within_deadline"], hr["outstanding"]) == (1, 1, 0)


def test_clarification_answers(seeded, wb_rta):
    notice = history(
        "RS", wb_rta, "exercise", [filed(at(3, 1), exercise(dt.date(YEAR, 6, 1)))]
    ).notice
    version = notice.current_version
    asker = user("hr-official")
    answerer = user("rs-liaison")
    for asked, answered in ((at(3, 2), at(3, 3)), (at(3, 5), at(3, 9)), (at(3, 6), None)):
        Clarification.objects.create(
            version=version,
            asking_state_id="HR",
            question="?",
            asked_by=asker,
            asked_at=asked,
            answer_due_at=asked + dt.timedelta(hours=48),
            answer="!" if answered else "",
            answered_by=answerer if answered else None,
            answered_at=answered,
        )
    figures = row(compliance_report(wb_rta, [YEAR]), "RS").clarifications
    assert figures == {"received": 3, "answered_within_deadline": 1, "late": 1, "outstanding": 1}


def test_findings_count_against_the_score(serbia_2025, wb_rta, monitor_eu):
    before = row(compliance_report(wb_rta, [YEAR]), "RS").score
    Finding.objects.create(
        kind="unnotified_activity",
        commitment=wb_rta,
        state_id="RS",
        year=YEAR,
        observed_from=dt.date(YEAR, 9, 1),
        note="Brigade-size activity near the border",
        organisation=monitor_eu.official.organisation,
        recorded_by=monitor_eu,
    )
    after = row(compliance_report(wb_rta, [YEAR]), "RS")
    assert after.findings == 1 and after.score == before - 5


def test_score_is_computed_from_the_figures(serbia_2025, wb_rta):
    rs = row(compliance_report(wb_rta, [YEAR]), "RS")
    # exercises 2/4, calendar late 0.5, plan missing 0, procurement notices 1/1;
    # nothing received or asked: those rates do not apply.
    expected = 100 * (35 * 0.5 + 15 * 0.5 + 15 * 0 + 10 * 1) / (35 + 15 + 15 + 10)
    assert rs.score == round(expected, 1)


def test_registry_flags_sizes_near_and_raised_after_filing(seeded, wb_rta):
    start = dt.date(YEAR, 6, 1)
    near = history("RS", wb_rta, "exercise", [filed(at(3, 1), exercise(start, 1450))]).notice
    raised = history(
        "RS",
        wb_rta,
        "exercise",
        [
            filed(at(3, 2), exercise(start, 1000)),
            filed(at(3, 5), exercise(start, 1800), "amended", "Up"),
        ],
    ).notice
    assert near.findings.get().kind == "near_threshold"
    assert "1450 troops declared" in near.findings.get().note
    assert raised.findings.get().kind == "raised_after_filing"
    assert row(compliance_report(wb_rta, [YEAR]), "RS").findings == 2


def test_imported_history_sends_nothing(serbia_2025, wb_rta):
    assert not Delivery.objects.exclude(endpoint__kind="inbox").exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_range_of_years_and_participation_dates(seeded, wb_rta):
    report = compliance_report(wb_rta, range(2021, 2024))
    assert {r.year for r in report.rows} == {2022, 2023}  # WB-RTA began mid-2022
    assert len(report.for_year(2023)) == 7


def test_query_count_does_not_grow(serbia_2025, wb_rta, django_assert_max_num_queries):
    years = range(2020, 2031)
    bound = 11 + len(years)  # the sections, and the acknowledgements once per year
    with django_assert_max_num_queries(bound):
        compliance_report(wb_rta, years)
    for day in range(1, 20):
        history("HR", wb_rta, "exercise", [filed(at(2, day), exercise(dt.date(YEAR, 7, 1)))])
    with django_assert_max_num_queries(bound):
        compliance_report(wb_rta, years)
