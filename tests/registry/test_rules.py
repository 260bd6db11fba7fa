"""The rules as pure functions, on commitments built from the shipped parameters (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from registry import rules
from registry.models import Commitment
from registry.seed_data import COMMITMENTS

UTC = dt.UTC
BELGRADE = ZoneInfo("Europe/Belgrade")


def commitment(code: str, **changes) -> Commitment:
    parameters = {k: v for k, v in COMMITMENTS[code].items() if k != "participants"}
    return Commitment(code=code, **{**parameters, **changes})


@pytest.fixture
def wb_rta() -> Commitment:
    return commitment("WB-RTA")


@pytest.fixture
def vd11() -> Commitment:
    return commitment("VD11")


def belgrade(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BELGRADE)


def exercise(start: dt.date, troops: int = 0, **counts) -> dict:
    return {"start_date": start, "troops": troops, **counts}


START = dt.date(2027, 1, 4)


class TestNotifiable:
    @pytest.mark.parametrize(
        "count, below, at",
        [
            ("troops", 1499, 1500),
            ("battle_tanks", 24, 25),
            ("acv", 49, 50),
            ("artillery", 24, 25),
            ("airborne_amphibious_troops", 499, 500),
        ],
    )
    def test_wb_rta_thresholds_are_inclusive(self, wb_rta, count, below, at):
        assert not rules.is_notifiable(wb_rta, {count: below})
        assert rules.is_notifiable(wb_rta, {count: at})
        assert rules.thresholds_reached(wb_rta, {count: at}) == [count]

    def test_vd11_troops_threshold(self, vd11):
        assert not rules.is_notifiable(vd11, {"troops": 8999})
        assert rules.is_notifiable(vd11, {"troops": 9000})

    def test_several_counts_reached_are_all_named(self, wb_rta):
        reached = rules.thresholds_reached(wb_rta, {"troops": 2000, "battle_tanks": 30, "acv": 1})
        assert reached == ["troops", "battle_tanks"]

    def test_an_empty_threshold_is_not_a_criterion(self, wb_rta):
        wb_rta.threshold_troops = None
        assert not rules.is_notifiable(wb_rta, {"troops": 1_000_000})

    def test_thresholds_are_read_from_the_commitment(self, wb_rta):
        wb_rta.threshold_troops = 1000
        assert rules.is_notifiable(wb_rta, {"troops": 1000})

    def test_observation_and_air_component_under_vd11(self, vd11, wb_rta):
        assert not rules.observation_required(vd11, {"troops": 12999})
        assert rules.observation_required(vd11, {"troops": 13000})
        assert rules.observation_required(vd11, {"battle_tanks": 300})
        assert rules.air_component_required(vd11, 200)
        assert not rules.air_component_required(vd11, 199)
        assert not rules.air_component_required(wb_rta, 10_000)
        assert not rules.observation_required(wb_rta, {"troops": 100_000})


class TestLeadTime:
    def test_42_days_is_timely_41_is_late_by_one(self, wb_rta):
        on_time = rules.assess_exercise(wb_rta, exercise(START, 1500), belgrade(2026, 11, 23, 10))
        assert on_time.lead_time_days == 42
        assert on_time.timely and on_time.days_late == 0
        assert on_time.due_by == dt.date(2026, 11, 23)

        late = rules.assess_exercise(wb_rta, exercise(START, 1500), belgrade(2026, 11, 24, 10))
        assert late.notifiable
        assert late.lead_time_days == 41
        assert late.required_lead_days == 42
        assert late.timely is False and late.days_late == 1
        assert late.due_by == dt.date(2026, 11, 23)

    def test_sub_threshold_exercise_is_voluntary_with_no_deadline(self, wb_rta):
        assessment = rules.assess_exercise(wb_rta, exercise(START, 1499), belgrade(2026, 11, 24))
        assert assessment.notifiable is False
        assert assessment.lead_time_days == 41
        assert assessment.timely is None and assessment.days_late is None
        assert assessment.due_by is None

    def test_lead_time_uses_the_commitment_time_zone_date(self, wb_rta):
        # 23:30 UTC on 22 November is already 00:30 on 23 November in Belgrade (UTC+1).
        filed = dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
        assert rules.lead_time_days(wb_rta, filed, START) == 42
        assert rules.assess_exercise(wb_rta, exercise(START, 1500), filed).timely

    def test_one_minute_after_local_midnight_is_a_day_late(self, wb_rta):
        last_minute = dt.datetime(2026, 11, 23, 22, 59, tzinfo=UTC)  # 23:59 in Belgrade
        first_minute = dt.datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 00:00 on the 24th
        assert rules.assess_exercise(wb_rta, exercise(START, 1500), last_minute).days_late == 0
        assert rules.assess_exercise(wb_rta, exercise(START, 1500), first_minute).days_late == 1

    def test_summer_time_offset_is_respected(self, vd11):
        # Vienna is UTC+2 in summer: 22:30 UTC on 30 June is 1 July locally.
        filed = dt.datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
        assert rules.local_date(vd11, filed) == dt.date(2026, 7, 1)
        assert rules.lead_time_days(vd11, filed, dt.date(2026, 8, 12)) == 42

    def test_naive_datetimes_are_refused(self, wb_rta):
        with pytest.raises(ValueError):
            rules.local_date(wb_rta, dt.datetime(2026, 11, 23, 10))

    def test_lead_days_come_from_the_commitment(self, wb_rta):
        wb_rta.exercise_lead_days = 30
        assessment = rules.assess_exercise(wb_rta, exercise(START, 1500), belgrade(2026, 11, 24))
        assert assessment.timely and assessment.required_lead_days == 30

    def test_an_amendment_moving_the_start_earlier_can_make_it_late(self, wb_rta):
        first_filed = belgrade(2026, 11, 23, 9)
        original = rules.assess_exercise(wb_rta, exercise(START, 1500), first_filed)
        earlier = rules.assess_exercise(
            wb_rta, exercise(START - dt.timedelta(days=3), 1500), first_filed
        )
        assert original.timely
        assert earlier.lead_time_days == 39 and earlier.days_late == 3

    def test_filed_after_the_start_has_negative_lead_time(self, wb_rta):
        assessment = rules.assess_exercise(wb_rta, exercise(START, 1500), belgrade(2027, 1, 6))
        assert assessment.lead_time_days == -2
        assert assessment.days_late == 44


class TestSnapExercises:
    def test_snap_is_due_the_day_the_troops_begin(self, wb_rta):
        snap = exercise(START, 3000, without_advance_notice=True)
        same_day = rules.assess_exercise(wb_rta, snap, belgrade(2027, 1, 4, 23, 59))
        assert same_day.snap and same_day.timely
        assert same_day.due_by == START
        assert same_day.required_lead_days == 0

        next_day = rules.assess_exercise(wb_rta, snap, belgrade(2027, 1, 5, 0, 1))
        assert next_day.timely is False and next_day.days_late == 1

    def test_snap_grace_comes_from_the_commitment(self, wb_rta):
        wb_rta.snap_notice_days = 2
        snap = exercise(START, 3000, without_advance_notice=True)
        assessment = rules.assess_exercise(wb_rta, snap, belgrade(2027, 1, 6, 12))
        assert assessment.timely and assessment.due_by == dt.date(2027, 1, 6)
        assert assessment.required_lead_days == -2


class TestPeriodicObligations:
    def test_calendar_for_next_year_due_15_november(self, wb_rta):
        assert rules.calendar_due_by(wb_rta, 2027) == dt.date(2026, 11, 15)
        timely = rules.assess(
            wb_rta, "annual_calendar", {"year": 2027}, belgrade(2026, 11, 15, 23, 59)
        )
        late = rules.assess(wb_rta, "annual_calendar", {"year": 2027}, belgrade(2026, 11, 18, 0, 5))
        assert timely.timely and timely.days_late == 0
        assert late.timely is False and late.days_late == 3
        assert late.notifiable is None

    def test_procurement_plan_due_31_january_of_its_year(self, wb_rta):
        content = {"plan_year": 2027}
        assert rules.assess(wb_rta, "procurement_plan", content, belgrade(2027, 1, 31, 20)).timely
        late = rules.assess(wb_rta, "procurement_plan", content, belgrade(2027, 2, 2, 8))
        assert late.days_late == 2 and late.due_by == dt.date(2027, 1, 31)

    def test_vd11_plan_runs_from_the_budget_approval(self, vd11):
        assert rules.procurement_plan_due_by(vd11, 2027) is None
        due = rules.procurement_plan_due_by(vd11, 2027, dt.date(2026, 11, 30))
        assert due == dt.date(2027, 2, 28)  # three months on, clamped to the month's end
        no_budget = rules.assess(
            vd11, "procurement_plan", {"plan_year": 2027}, belgrade(2027, 5, 1)
        )
        assert no_budget.timely is None and no_budget.due_by is None

    def test_procurement_notice_within_30_days_of_signature(self, wb_rta, vd11):
        content = {"item": {"contract_date": dt.date(2026, 10, 1)}}
        on_time = rules.assess(wb_rta, "procurement_notice", content, belgrade(2026, 10, 31, 18))
        late = rules.assess(wb_rta, "procurement_notice", content, belgrade(2026, 11, 2, 9))
        assert on_time.timely and on_time.due_by == dt.date(2026, 10, 31)
        assert late.days_late == 2
        assert (
            rules.assess(vd11, "procurement_notice", content, belgrade(2026, 12, 1)).timely is None
        )

    def test_29_february_deadline_in_a_common_year(self):
        assert rules.annual_date(2027, 2, 29) == dt.date(2027, 2, 28)
        assert rules.annual_date(2028, 2, 29) == dt.date(2028, 2, 29)

    def test_unknown_kind_is_an_error(self, wb_rta):
        with pytest.raises(ValueError):
            rules.assess(wb_rta, "memo", {}, belgrade(2027, 1, 1))


def test_response_deadlines(wb_rta):
    received = dt.datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert rules.acknowledgement_due_at(wb_rta, received) == received + dt.timedelta(hours=72)
    assert rules.clarification_due_at(wb_rta, received) == received + dt.timedelta(hours=48)
