"""What keeps reports fast stays exact: the receipts table, and closed years' rollups.

``Receipt`` must hold exactly the receipts the definition gives (the deliveries, read
directly), and a stored year must be thrown away by any write that changes it, in the
same transaction, also while a report is being computed at the same time.

The reports here are made on 1 March 2026 (``NOW``): 2025 is a closed year, 2026 is not.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from notifications import services as notification_services
from notifications.models import Clarification, Delivery, Route
from registry import services
from registry.compliance import (
    ACKNOWLEDGEMENT_FIGURES,
    compliance_report,
    compute_years,
    evidence,
    receipts_from_deliveries,
    state_year_document,
)
from registry.compliance.rollups import rollup_parameters
from registry.compliance.tasks import store_closed_years
from registry.models import ComplianceRollup, Finding, Notice, Receipt, State
from tests.conftest import user
from tests.registry.test_compliance import BELGRADE, YEAR, at, exercise, filed, history, row

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=BELGRADE)
RECEIPT_FIELDS = ("pk", "version_id", "recipient_id", "delivered_at", "acknowledged_at")


def report(commitment, years=(YEAR,)):
    return compliance_report(commitment, list(years), now=NOW)


def stored_years(commitment) -> set[int]:
    return set(
        ComplianceRollup.objects.filter(commitment=commitment).values_list("year", flat=True)
    )


def receipts(commitment, years=(YEAR - 1, YEAR, YEAR + 1)) -> set[tuple]:
    """The receipts table's rows, as (delivery, version, recipient, year, times)."""
    rows = Receipt.objects.filter(commitment=commitment, year__in=years)
    return {(*r, year) for *r, year in rows.values_list(*RECEIPT_FIELDS, "year")}


def receipts_by_definition(commitment, years=(YEAR - 1, YEAR, YEAR + 1)) -> set[tuple]:
    rows = receipts_from_deliveries(commitment, list(years))
    return {(*r, year) for *r, year in rows.values_list(*RECEIPT_FIELDS, "year_of")}


@pytest.fixture
def amended_with_responses(seeded, wb_rta):
    """Serbia's exercise filed 1 March 2025 and amended 3 March: HR acknowledged both
    versions, BA only the first, AL only the second; Croatia asked a question."""
    start = dt.date(YEAR, 6, 1)
    notice = history(
        "RS",
        wb_rta,
        "exercise",
        [filed(at(3, 1), exercise(start)), filed(at(3, 3), exercise(start, 2500), "amended", "+")],
        acknowledgements=[
            ("HR", 1, at(3, 1, 12)),
            ("BA", 1, at(3, 2)),
            ("HR", 2, at(3, 4)),
            ("AL", 2, at(3, 8)),
        ],
    ).notice
    Clarification.objects.create(
        version=notice.current_version,
        asking_state_id="HR",
        question="Which units?",
        asked_by=user("hr-official"),
        asked_at=at(3, 5),
        answer_due_at=at(3, 7),
    )
    return notice


def outstanding_receipt(notice, state: str):
    return Delivery.objects.get(
        version=notice.current_version, recipient_id=state, endpoint__kind="inbox"
    )


class TestReceipts:
    def test_hold_exactly_the_receipts_the_definition_gives(self, amended_with_responses, wb_rta):
        assert receipts(wb_rta) == receipts_by_definition(wb_rta)
        current = amended_with_responses.current_version
        assert {r[1] for r in receipts(wb_rta)} == {current.pk}  # the first version is not owed
        acknowledged = {r[2] for r in receipts(wb_rta) if r[4] is not None}
        assert acknowledged == {"HR", "AL"}

    def test_follow_acknowledgements_and_amendments(
        self, amended_with_responses, wb_rta, liaison_rs
    ):
        notice = amended_with_responses
        notification_services.acknowledge(
            version=notice.current_version, route=Route.SIGNED_URL, state=State.objects.get(pk="ME")
        )
        assert receipts(wb_rta) == receipts_by_definition(wb_rta)
        services.amend_notice(
            user=liaison_rs,
            notice=Notice.objects.get(pk=notice.pk),
            content=exercise(dt.date(YEAR, 6, 1), 2600),
            reason="More troops",
        )
        notice.refresh_from_db()
        years = (YEAR, 2026, NOW.year + 1, dt.date.today().year)
        assert receipts(wb_rta, years) == receipts_by_definition(wb_rta, years)
        assert {r[1] for r in receipts(wb_rta, years)} == {notice.current_version_id}
        assert not Receipt.objects.filter(version=notice.versions.get(number=2)).exists()

    def test_follow_deliveries_changed_or_deleted(self, amended_with_responses, wb_rta):
        inbox = outstanding_receipt(amended_with_responses, "ME")
        later = dt.datetime(YEAR + 1, 1, 2, tzinfo=BELGRADE)
        Delivery.objects.filter(pk=inbox.pk).update(delivered_at=later)
        assert Receipt.objects.get(pk=inbox.pk).year == YEAR + 1
        Delivery.objects.filter(pk=inbox.pk).update(event="clarification.asked")
        assert not Receipt.objects.filter(pk=inbox.pk).exists()
        Delivery.objects.filter(pk=inbox.pk).update(event="notice.amended")
        Delivery.objects.filter(pk=inbox.pk).delete()
        assert not Receipt.objects.filter(pk=inbox.pk).exists()
        years = (YEAR, YEAR + 1)
        assert receipts(wb_rta, years) == receipts_by_definition(wb_rta, years)

    def test_are_counted_in_the_year_of_receipt_in_the_commitments_time_zone(self, seeded, wb_rta):
        """Filed at 00:30 on 1 January 2025 in Belgrade: 23:30 on 31 December 2024 in UTC."""
        moment = dt.datetime(YEAR, 1, 1, 0, 30, tzinfo=BELGRADE)
        history("RS", wb_rta, "exercise", [filed(moment, exercise(dt.date(YEAR, 6, 1)))])
        assert set(Receipt.objects.values_list("year", flat=True)) == {YEAR}
        assert receipts(wb_rta) == receipts_by_definition(wb_rta)

    def test_evidence_lists_exactly_what_each_figure_counts(self, amended_with_responses, wb_rta):
        figures = row(report(wb_rta), "HR").acknowledgements
        for figure in ACKNOWLEDGEMENT_FIGURES:
            rows = evidence(wb_rta, "HR", YEAR, "acknowledgements", figure)
            assert rows.count() == figures[figure], figure
        (received,) = evidence(wb_rta, "HR", YEAR, "acknowledgements", "received")
        assert received.acknowledged_by is None and received.route == "imported"
        assert received.version.notice.reference == amended_with_responses.reference


class TestClosedYears:
    def test_are_stored_and_read_back_unchanged(self, amended_with_responses, wb_rta):
        first = report(wb_rta, (YEAR, 2026))
        assert stored_years(wb_rta) == {YEAR}  # 2026 is not over
        again = report(wb_rta, (YEAR, 2026))
        assert [state_year_document(r) for r in again.rows] == [
            state_year_document(r) for r in first.rows
        ]
        computed = compute_years(wb_rta, [YEAR])[YEAR]
        stored = ComplianceRollup.objects.get(commitment=wb_rta, year=YEAR)
        assert stored.figures == computed and stored.parameters == rollup_parameters(wb_rta)

    def test_a_stored_year_costs_no_aggregation(
        self, amended_with_responses, wb_rta, django_assert_max_num_queries
    ):
        report(wb_rta)
        with django_assert_max_num_queries(6):  # participants, calendars, plans, rollups
            report(wb_rta)

    def test_the_periodic_task_stores_the_years_a_write_threw_away(
        self, amended_with_responses, wb_rta
    ):
        first_year = wb_rta.participations.order_by("joined_on").first().joined_on.year
        store_closed_years()
        assert stored_years(wb_rta) == set(range(first_year, dt.date.today().year))
        ComplianceRollup.objects.filter(commitment=wb_rta, year=YEAR).delete()
        store_closed_years()
        stored = ComplianceRollup.objects.get(commitment=wb_rta, year=YEAR)
        assert stored.figures == compute_years(wb_rta, [YEAR])[YEAR]

    def test_a_late_acknowledgement_changes_its_year_at_once(self, amended_with_responses, wb_rta):
        before = row(report(wb_rta), "ME").acknowledgements
        assert (before["outstanding"], before["late"]) == (1, 0)
        notification_services.acknowledge(
            version=amended_with_responses.current_version,
            route=Route.SIGNED_URL,
            state=State.objects.get(pk="ME"),
            at=dt.datetime(2026, 2, 1, tzinfo=BELGRADE),
        )
        assert YEAR not in stored_years(wb_rta)  # thrown away by the acknowledgement itself
        after = row(report(wb_rta), "ME").acknowledgements
        assert (after["outstanding"], after["late"], after["median_hours"]) == (0, 1, 8030.0)

    def test_an_amendment_moves_figures_between_years(
        self, amended_with_responses, wb_rta, liaison_rs
    ):
        assert row(report(wb_rta), "RS").exercises["notifiable"] == 1
        assert row(report(wb_rta), "HR").acknowledgements["received"] == 1
        services.amend_notice(
            user=liaison_rs,
            notice=Notice.objects.get(pk=amended_with_responses.pk),
            content=exercise(dt.date(YEAR + 2, 6, 1), 2500),
            reason="Postponed",
        )
        assert YEAR not in stored_years(wb_rta)
        assert row(report(wb_rta), "RS").exercises["notifiable"] == 0  # now starts in 2027
        assert row(report(wb_rta), "HR").acknowledgements["received"] == 0  # owed in 2026

    def test_answers_and_findings_change_their_year(
        self, amended_with_responses, wb_rta, liaison_rs, monitor_eu
    ):
        assert row(report(wb_rta), "RS").clarifications["outstanding"] == 1
        notification_services.answer_clarification(
            user=liaison_rs, clarification=Clarification.objects.get(), answer="Two brigades"
        )
        assert YEAR not in stored_years(wb_rta)
        assert row(report(wb_rta), "RS").clarifications["late"] == 1
        services.record_finding(
            user=monitor_eu,
            commitment=wb_rta,
            state=State.objects.get(pk="RS"),
            kind=Finding.Kind.UNNOTIFIED_ACTIVITY,
            observed_from=dt.date(YEAR, 9, 1),
            note="Brigade-size activity",
        )
        assert YEAR not in stored_years(wb_rta)
        assert row(report(wb_rta), "RS").findings == 1

    def test_other_parameters_are_computed_again(self, amended_with_responses, wb_rta):
        assert row(report(wb_rta), "AL").acknowledgements["late"] == 1  # 5 days after
        wb_rta.acknowledgement_hours = 24 * 6
        wb_rta.save()
        assert row(report(wb_rta), "AL").acknowledgements["late"] == 0
        stored = ComplianceRollup.objects.get(commitment=wb_rta, year=YEAR)
        assert stored.parameters == rollup_parameters(wb_rta)

    def test_a_new_time_zone_moves_receipts_between_years(self, seeded, wb_rta):
        moment = dt.datetime(YEAR, 1, 1, 0, 30, tzinfo=BELGRADE)
        history("RS", wb_rta, "exercise", [filed(moment, exercise(dt.date(YEAR, 6, 1)))])
        wb_rta.time_zone = "UTC"
        wb_rta.save()
        assert set(Receipt.objects.values_list("year", flat=True)) == {YEAR - 1}
        assert receipts(wb_rta) == receipts_by_definition(wb_rta)


# --- concurrent writes -----------------------------------------------------------------------


def in_thread(work) -> threading.Thread:
    """Run ``work`` on its own database connection."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def acknowledge_me(notice, *, committed: threading.Event | None = None, hold=None):
    """Montenegro acknowledges in its own transaction; it waits for ``hold`` before committing."""
    with transaction.atomic():
        notification_services.acknowledge(
            version=notice.current_version, route=Route.SIGNED_URL, state=State.objects.get(pk="ME")
        )
        if hold is not None:
            hold()
    if committed is not None:
        committed.set()


@pytest.mark.django_db(transaction=True)
def test_a_year_is_not_stored_while_a_write_to_it_is_in_flight(amended_with_responses, wb_rta):
    written, release = threading.Event(), threading.Event()

    def hold():
        written.set()
        assert release.wait(30)

    writer = in_thread(lambda: acknowledge_me(amended_with_responses, hold=hold))
    assert written.wait(30)
    during = row(report(wb_rta), "ME").acknowledgements
    assert during["outstanding"] == 1 and YEAR not in stored_years(wb_rta)
    release.set()
    writer.join(30)
    after = row(report(wb_rta), "ME").acknowledgements
    assert after["outstanding"] == 0 and YEAR in stored_years(wb_rta)


@pytest.mark.django_db(transaction=True)
def test_a_write_waits_for_a_year_being_stored_then_throws_it_away(amended_with_responses, wb_rta):
    """The engine holds the year's lock while it computes and stores it: a write to that
    year waits for the store to commit, then deletes it."""
    committed = threading.Event()
    with transaction.atomic():
        report(wb_rta)  # computes and stores 2025, and keeps its lock until this commits
        assert YEAR in stored_years(wb_rta)
        writer = in_thread(lambda: acknowledge_me(amended_with_responses, committed=committed))
        assert not committed.wait(1)  # the write waits for the year's lock
    writer.join(30)
    assert committed.is_set()
    assert YEAR not in stored_years(wb_rta)
    assert row(report(wb_rta), "ME").acknowledgements["outstanding"] == 0
