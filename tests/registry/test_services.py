"""The write services: file, amend, cancel; their checks, their transactions, their numbering."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registry import rules, services
from registry.models import (
    ExerciseDetails,
    ImmutableRecordError,
    Notice,
    NoticeVersion,
    Participation,
    ProcurementItem,
)
from registry.services import ConflictError, NotPermitted, RegistryError
from tests import factories
from tests.factories import exercise, file, file_exercise


def days_ahead(commitment, days: int) -> dt.date:
    return factories.local_today(commitment) + dt.timedelta(days=days)


class TestFiling:
    def test_files_an_exercise_with_reference_assessment_and_recipients(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta, start=days_ahead(wb_rta, 41), troops=1500)
        notice, version = filing.notice, filing.version
        year = factories.local_today(wb_rta).year
        assert notice.reference == f"RS-{year}-EX-0001"
        assert notice.status == "filed" and notice.current_version == version
        assert version.number == 1 and version.filed_by == liaison_rs
        assert version.notifiable and version.timely is False and version.days_late == 1
        assert sorted(version.recipients.values_list("code", flat=True)) == [
            "AL",
            "BA",
            "HR",
            "ME",
            "MK",
            "XK",
        ]
        assert ExerciseDetails.objects.get(version=version).troops == 1500

    def test_1499_troops_is_not_notifiable(self, liaison_rs, wb_rta):
        version = file_exercise(
            liaison_rs, wb_rta, start=days_ahead(wb_rta, 41), troops=1499
        ).version
        assert version.notifiable is False and version.timely is None

    def test_vd11_recipients_exclude_kosovo(self, liaison_rs, vd11):
        version = file_exercise(liaison_rs, vd11).version
        assert sorted(version.recipients.values_list("code", flat=True)) == [
            "AL",
            "BA",
            "HR",
            "ME",
            "MK",
        ]

    def test_references_count_per_state_kind_and_year(self, liaison_rs, liaison_hr, wb_rta):
        year = factories.local_today(wb_rta).year
        first = file_exercise(liaison_rs, wb_rta).notice
        second = file_exercise(liaison_rs, wb_rta).notice
        croatian = file_exercise(liaison_hr, wb_rta).notice
        plan = file(liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(year + 1))
        assert [first.reference, second.reference] == [f"RS-{year}-EX-0001", f"RS-{year}-EX-0002"]
        assert croatian.reference == f"HR-{year}-EX-0001"
        assert plan.notice.reference == f"RS-{year}-PP-0001"

    def test_each_kind_can_be_filed(self, liaison_rs, wb_rta):
        year = factories.local_today(wb_rta).year
        plan = file(liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(year + 1))
        notice = file(
            liaison_rs, wb_rta, "procurement_notice", {"item": factories.procurement_item()}
        )
        calendar = file(liaison_rs, wb_rta, "annual_calendar", factories.annual_calendar(year + 1))
        nil = file(
            liaison_rs, wb_rta, "annual_calendar", factories.annual_calendar(year + 2, nil=True)
        )
        assert plan.version.items.count() == 1
        assert notice.version.timely is True and notice.version.days_late == 0
        assert calendar.version.calendar_entries.count() == 1
        assert nil.version.annual_calendar.nil and nil.version.calendar_entries.count() == 0

    def test_a_replay_returns_the_existing_notice(self, liaison_rs, wb_rta):
        content = exercise()
        first = file(liaison_rs, wb_rta, "exercise", content, client_ref="nat-42")
        replay = file(liaison_rs, wb_rta, "exercise", dict(content), client_ref="nat-42")
        assert replay.created is False and replay.notice == first.notice
        assert Notice.objects.filter(client_ref="nat-42").count() == 1

    def test_a_different_body_under_the_same_client_ref_conflicts(self, liaison_rs, wb_rta):
        file(liaison_rs, wb_rta, "exercise", exercise(), client_ref="nat-43")
        with pytest.raises(ConflictError) as refused:
            file(liaison_rs, wb_rta, "exercise", exercise(troops=5), client_ref="nat-43")
        assert "client_ref" in refused.value.errors

    def test_client_refs_are_unique_per_state_only(self, liaison_rs, liaison_hr, wb_rta):
        file(liaison_rs, wb_rta, "exercise", exercise(), client_ref="shared")
        assert file(liaison_hr, wb_rta, "exercise", exercise(), client_ref="shared").created

    def test_bad_content_names_the_fields_and_saves_nothing(self, liaison_rs, wb_rta):
        start = days_ahead(wb_rta, 50)
        bad = exercise(start=start, end_date=start - dt.timedelta(days=1), area_polygon=[[1, 2]])
        with pytest.raises(RegistryError) as refused:
            file(liaison_rs, wb_rta, "exercise", bad)
        assert set(refused.value.errors["exercise"]) == {"end_date", "area_polygon"}
        assert not Notice.objects.exists() and not NoticeVersion.objects.exists()

    def test_row_errors_are_reported_by_position(self, liaison_rs, wb_rta):
        items = [factories.procurement_item(), factories.procurement_item(quantity=0)]
        with pytest.raises(RegistryError) as refused:
            file(liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(2027, items))
        errors = refused.value.errors["procurement_plan"]["items"]
        assert errors[0] == {} and "quantity" in errors[1]

    def test_country_codes_are_checked_against_the_country_table(self, liaison_rs, wb_rta):
        # Services check content themselves (the web forms and imports call them too).
        bad_exercise = exercise(participating_states=["RS", "ZZ"])
        bad_item = factories.procurement_item(supplier_state="QZ")
        with pytest.raises(RegistryError) as exercise_refused:
            file(liaison_rs, wb_rta, "exercise", bad_exercise)
        with pytest.raises(RegistryError) as item_refused:
            file(liaison_rs, wb_rta, "procurement_notice", {"item": bad_item})
        assert "ZZ" in str(exercise_refused.value.errors["exercise"]["participating_states"])
        assert "supplier_state" in item_refused.value.errors["procurement_notice"]["item"]
        kosovo = file(liaison_rs, wb_rta, "exercise", exercise(participating_states=["XK", "RS"]))
        supplied = file(
            liaison_rs,
            wb_rta,
            "procurement_notice",
            {"item": factories.procurement_item(supplier_state="FR", mode="import")},
        )
        assert kosovo.version.exercise.participating_states == ["RS", "XK"]
        assert supplied.version.items.get().supplier_state == "FR"

    @pytest.mark.parametrize(
        "kind, content, field",
        [
            ("annual_calendar", factories.annual_calendar(2027, entries=[]), "entries"),
            (
                "annual_calendar",
                {"year": 2027, "nil": True, "entries": [factories.calendar_entry(2027)]},
                "entries",
            ),
            (
                "procurement_notice",
                {"item": factories.procurement_item(contract_date=None)},
                "item",
            ),
        ],
    )
    def test_kind_rules(self, liaison_rs, wb_rta, kind, content, field):
        with pytest.raises(RegistryError) as refused:
            file(liaison_rs, wb_rta, kind, content)
        assert field in refused.value.errors[kind]

    def test_only_liaisons_file(self, official_hr, monitor_eu, secretariat, wb_rta):
        for user in (official_hr, monitor_eu, secretariat):
            with pytest.raises(NotPermitted):
                file_exercise(user, wb_rta)

    def test_a_state_files_only_under_commitments_it_takes_part_in_today(self, seeded, vd11):
        from tests.conftest import user

        with pytest.raises(RegistryError) as refused:
            file_exercise(user("xk-liaison"), vd11)
        assert "commitment" in refused.value.errors

    def test_participation_is_dated(self, liaison_rs, wb_rta):
        today = factories.local_today(wb_rta)
        Participation.objects.filter(commitment=wb_rta, state_id="RS").update(left_on=today)
        with pytest.raises(RegistryError):
            file_exercise(liaison_rs, wb_rta)
        Participation.objects.filter(commitment=wb_rta, state_id="ME").update(
            joined_on=today + dt.timedelta(days=1)
        )
        Participation.objects.filter(commitment=wb_rta, state_id="RS").update(left_on=None)
        version = file_exercise(liaison_rs, wb_rta).version
        assert "ME" not in version.recipients.values_list("code", flat=True)

    def test_the_written_out_participants_match_the_orm_on_every_boundary(self, wb_rta):
        day = dt.date(2026, 3, 10)
        Participation.objects.filter(commitment=wb_rta, state_id="RS").update(left_on=day)
        Participation.objects.filter(commitment=wb_rta, state_id="ME").update(joined_on=day)
        Participation.objects.filter(commitment=wb_rta, state_id="AL").update(
            joined_on=day - dt.timedelta(days=1), left_on=day + dt.timedelta(days=1)
        )
        for offset in (-1, 0, 1, 2):
            on = day + dt.timedelta(days=offset)
            orm = set(wb_rta.participations.on(on).values_list("state_id", flat=True))
            assert Participation.objects.state_codes_on(wb_rta, on) == orm
        codes_on = Participation.objects.state_codes_on
        assert "RS" in codes_on(wb_rta, day - dt.timedelta(days=1))
        assert "RS" not in codes_on(wb_rta, day) and "ME" in codes_on(wb_rta, day)
        assert "ME" not in codes_on(wb_rta, day - dt.timedelta(days=1))
        assert "AL" in codes_on(wb_rta, day) and "AL" not in codes_on(wb_rta, day + dt.timedelta(1))


class TestAmendAndCancel:
    def test_amend_writes_a_new_version_and_keeps_the_old(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta, troops=2000)
        amended = services.amend_notice(
            user=liaison_rs,
            notice=filing.notice,
            content=exercise(start=filing.version.exercise.start_date, troops=2500),
            reason="More troops",
        )
        notice = Notice.objects.get(pk=filing.notice.pk)
        assert notice.status == "amended" and notice.current_version == amended.version
        assert amended.version.number == 2 and amended.version.amends == filing.version
        assert amended.version.reason == "More troops"
        assert ExerciseDetails.objects.get(version=filing.version).troops == 2000
        assert ExerciseDetails.objects.get(version=amended.version).troops == 2500

    def test_an_earlier_start_is_measured_from_the_first_filing(self, liaison_rs, wb_rta):
        start = days_ahead(wb_rta, 45)
        filing = file_exercise(liaison_rs, wb_rta, start=start, troops=2000)
        assert filing.version.timely
        amended = services.amend_notice(
            user=liaison_rs,
            notice=filing.notice,
            content=exercise(start=start - dt.timedelta(days=5), troops=2000),
            reason="Moved forward",
        )
        assert amended.version.lead_time_days == 40
        assert amended.version.timely is False and amended.version.days_late == 2

    def test_an_amendment_that_changes_nothing_is_refused(self, liaison_rs, wb_rta):
        content = exercise()
        filing = file(liaison_rs, wb_rta, "exercise", content)
        with pytest.raises(RegistryError):
            services.amend_notice(
                user=liaison_rs, notice=filing.notice, content=content, reason="No change"
            )

    def test_a_reason_is_required(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta)
        with pytest.raises(RegistryError) as refused:
            services.cancel_notice(user=liaison_rs, notice=filing.notice, reason="  ")
        assert "reason" in refused.value.errors

    def test_another_states_liaison_cannot_change_it(self, liaison_rs, liaison_hr, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta)
        with pytest.raises(NotPermitted):
            services.cancel_notice(user=liaison_hr, notice=filing.notice, reason="Not mine")
        with pytest.raises(NotPermitted):
            services.amend_notice(
                user=liaison_hr, notice=filing.notice, content=exercise(troops=1), reason="x"
            )

    def test_cancel_keeps_the_content_and_ends_the_notice(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta, troops=3000)
        cancelled = services.cancel_notice(
            user=liaison_rs, notice=filing.notice, reason="Called off"
        )
        assert cancelled.version.status == "cancelled" and cancelled.version.number == 2
        assert cancelled.version.exercise.troops == 3000
        assert Notice.objects.get(pk=filing.notice.pk).status == "cancelled"
        with pytest.raises(RegistryError):
            services.cancel_notice(user=liaison_rs, notice=filing.notice, reason="Again")
        with pytest.raises(RegistryError):
            services.amend_notice(
                user=liaison_rs, notice=filing.notice, content=exercise(troops=1), reason="x"
            )

    def test_cancelling_a_plan_copies_its_items(self, liaison_rs, wb_rta):
        items = [factories.procurement_item(), factories.procurement_item(system="Nora B-52")]
        filing = file(
            liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(2027, items)
        )
        cancelled = services.cancel_notice(
            user=liaison_rs, notice=filing.notice, reason="Withdrawn"
        )
        assert list(cancelled.version.items.values_list("system", flat=True)) == [
            "Lazar 3 APC",
            "Nora B-52",
        ]


class TestRecordsStayAsFiled:
    def test_versions_cannot_be_edited_or_deleted(self, liaison_rs, wb_rta):
        version = file_exercise(liaison_rs, wb_rta).version
        version.reason = "rewritten"
        with pytest.raises(ImmutableRecordError):
            version.save()
        with pytest.raises(ImmutableRecordError):
            version.delete()

    @pytest.mark.parametrize(
        "change",
        [
            {"troops": -1},
            {"end_date": dt.date(2020, 1, 1)},
        ],
    )
    def test_database_constraints_on_exercises(self, liaison_rs, wb_rta, change):
        version = file_exercise(liaison_rs, wb_rta).version
        table = ExerciseDetails._meta.db_table
        column, value = next(iter(change.items()))
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE version_id = %s", [value, version.pk]
            )

    def test_database_constraints_on_items(self, liaison_rs, wb_rta):
        version = file(
            liaison_rs, wb_rta, "procurement_plan", factories.procurement_plan(2027)
        ).version
        for change in ({"quantity": 0}, {"value_eur": -1}):
            with pytest.raises(IntegrityError), transaction.atomic():
                ProcurementItem.objects.filter(version=version).update(**change)


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_dense_unique_references(seeded, liaison_rs, wb_rta):
    """Eight threads, each with its own database connection, file at once."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def file_some() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                file_exercise(liaison_rs, wb_rta)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sequences = sorted(Notice.objects.filter(state_id="RS").values_list("sequence", flat=True))
    assert sequences == list(range(1, 41))


def test_assessment_stored_is_the_rules_answer(liaison_rs, wb_rta):
    filing = file_exercise(liaison_rs, wb_rta, troops=1600)
    expected = rules.assess(
        wb_rta,
        "exercise",
        exercise(start=filing.version.exercise.start_date, troops=1600),
        filing.notice.first_filed_at,
    )
    stored = {name: getattr(filing.version, name) for name in expected.as_dict()}
    assert stored == expected.as_dict()
    assert filing.notice.first_filed_at <= timezone.now()
