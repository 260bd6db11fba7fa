"""Historical imports: ``manage.py import_notices`` and ``seed_demo --with-history``.

The import tests write small JSON-lines files of Serbia's 2025 WB-RTA notices (42 days'
lead, 72 hours to acknowledge, 48 to answer). The demo history test runs the generator
on PostgreSQL twice; it takes some seconds.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from notifications.models import Acknowledgement, Clarification, Delivery
from registry.compliance import compliance_report
from registry.management.demo_history import HistoryGenerator, participants_by_commitment
from registry.models import (
    Commitment,
    Finding,
    Notice,
    NoticeVersion,
    Participation,
    ReferenceCounter,
)
from tests import factories
from tests.conftest import PASSWORD

BELGRADE = ZoneInfo("Europe/Belgrade")
STATES = {"AL", "BA", "HR", "XK", "ME", "MK", "RS"}


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=BELGRADE)


def api_exercise(start: dt.date, **overrides) -> dict:
    """The API's exercise object (area as an object, not model fields)."""
    content = factories.exercise(start=start, **{"troops": 2000, **overrides})
    area = {
        "description": content.pop("area_description"),
        "polygon": content.pop("area_polygon"),
    }
    return {**content, "area": area}


def exercise_line(ref: str = "RS-H-1", **overrides) -> dict:
    """Filed 1 March 2025 for 1 June (timely), acknowledged by Croatia 8 hours later."""
    line = {
        "state": "RS",
        "commitment": "WB-RTA",
        "kind": "exercise",
        "client_ref": ref,
        "filed_by": "rs-liaison",
        "filed_at": at(3, 1),
        "exercise": api_exercise(dt.date(2025, 6, 1), name=f"Exercise {ref}"),
        "acknowledgements": [{"state": "HR", "version": 1, "acknowledged_at": at(3, 1, 18)}],
    }
    line.update(overrides)
    return line


def calendar_line() -> dict:
    return {
        "state": "RS",
        "commitment": "WB-RTA",
        "kind": "annual_calendar",
        "client_ref": "RS-H-AC-2025",
        "filed_at": at(11, 10, year=2024),
        "annual_calendar": factories.annual_calendar(2025),
    }


def write(tmp_path, *lines) -> str:
    """A JSON-lines file; a string is written as it is (a bad line, or a blank one)."""
    path = tmp_path / "history.jsonl"
    text = [ln if isinstance(ln, str) else json.dumps(ln, cls=DjangoJSONEncoder) for ln in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return str(path)


def run_import(path: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_notices", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    models = (Notice, NoticeVersion, Acknowledgement, Clarification, Delivery, ReferenceCounter)
    return {model.__name__: model.objects.count() for model in models}


# --- import_notices ---------------------------------------------------------------------------


def test_import_reports_counts_and_a_second_run_changes_nothing(seeded, tmp_path):
    amendment = {
        "filed_at": at(3, 20),
        "reason": "Earlier start",
        "exercise": api_exercise(dt.date(2025, 4, 25), name="Exercise RS-H-1"),
    }
    path = write(tmp_path, exercise_line(amendments=[amendment]), calendar_line())

    out, err = run_import(path)

    assert "2 imported, 0 already present, 0 with errors." in out and not err
    notice = Notice.objects.get(client_ref="RS-H-1")
    assert notice.imported and notice.first_filed_at == at(3, 1)
    assert notice.reference == "RS-2025-EX-0001"
    assert [v.filed_at for v in notice.versions.order_by("number")] == [at(3, 1), at(3, 20)]
    # The amendment moved the start to 25 April: 55 days after filing, still timely.
    assert notice.current_version.lead_time_days == 55 and notice.current_version.timely
    before = row_counts()

    out, err = run_import(path)

    assert "0 imported, 2 already present, 0 with errors." in out and not err
    assert row_counts() == before


def test_bad_lines_are_reported_and_good_lines_imported(seeded, tmp_path):
    bad_exercise = api_exercise(dt.date(2025, 6, 1), troops="many")
    out_of_order = {"filed_at": at(2, 1), "exercise": api_exercise(dt.date(2025, 6, 10))}
    acknowledged = {"state": "HR", "version": 1, "acknowledged_at": at(3, 2)}
    path = write(
        tmp_path,
        exercise_line("RS-H-1"),  # 1
        exercise_line("RS-H-2", state="ZZ"),  # 2
        "",  # 3: blank lines are skipped
        exercise_line("RS-H-3", exercise=bad_exercise),  # 4
        exercise_line("RS-H-4", amendments=[out_of_order]),  # 5
        exercise_line("RS-H-5", filed_at=timezone.now() + dt.timedelta(days=1)),  # 6
        '{"state": "RS", "kind": ',  # 7
        {k: v for k, v in exercise_line().items() if k != "client_ref"},  # 8
        exercise_line("RS-H-6", acknowledgements=[{**acknowledged, "version": 2}]),  # 9
        calendar_line(),  # 10
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="7 line"):
        call_command("import_notices", path, stdout=out, stderr=err)

    errors = dict(line.split(": ", 1) for line in err.getvalue().splitlines())
    assert set(errors) == {f"line {n}" for n in (2, 4, 5, 6, 7, 8, 9)}
    assert errors["line 2"] == "Unknown state ZZ. state: ZZ"
    assert "exercise.troops: A valid integer is required." in errors["line 4"]
    assert "in order of time" in errors["line 5"]
    assert "in the past" in errors["line 6"]
    assert "not valid JSON" in errors["line 7"]
    assert errors["line 8"] == "missing field 'client_ref'"
    assert "No version 2" in errors["line 9"]
    assert "2 imported, 0 already present, 7 with errors." in out.getvalue()
    assert set(Notice.objects.values_list("client_ref", flat=True)) == {"RS-H-1", "RS-H-AC-2025"}


def test_a_response_that_does_not_fit_rolls_the_whole_line_back(seeded, tmp_path):
    """An acknowledgement by the filing state itself fails after the notice was written."""
    own = [{"state": "RS", "version": 1, "acknowledged_at": at(3, 2)}]
    path = write(tmp_path, exercise_line(acknowledgements=own))

    with pytest.raises(CommandError):
        run_import(path)

    assert row_counts()["Notice"] == 0 and row_counts()["Delivery"] == 0


def test_check_validates_and_writes_nothing(seeded, tmp_path):
    path = write(tmp_path, exercise_line(), calendar_line())

    out, err = run_import(path, "--check")

    assert "2 would be imported, 0 already present, 0 with errors." in out
    assert "Nothing was written" in out and not err
    assert set(row_counts().values()) == {0}
    run_import(path)
    assert Notice.objects.get(client_ref="RS-H-1").reference == "RS-2025-EX-0001"
    out, _ = run_import(path, "--check")
    assert "0 would be imported, 2 already present" in out


def test_check_reports_bad_lines(seeded, tmp_path):
    path = write(tmp_path, exercise_line(commitment="NOPE"))
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_notices", path, "--check", stdout=out, stderr=err)

    assert err.getvalue().startswith("line 1: Unknown commitment NOPE.")


def test_acknowledgements_and_clarifications_keep_their_times(seeded, wb_rta, tmp_path):
    asked = [at(3, 2), at(3, 5), at(3, 6)]
    clarifications = [
        {"state": "HR", "version": 1, "asked_at": asked[0], "question": "Tanks?",
         "asked_by": "hr-official", "answered_at": at(3, 3), "answer": "None."},
        {"state": "BA", "version": 1, "asked_at": asked[1], "question": "Area?",
         "answered_at": at(3, 9), "answer": "North."},
        {"state": "ME", "version": 1, "asked_at": asked[2], "question": "Observers?",
         "answered_at": None, "answer": ""},
    ]  # fmt: skip
    acknowledgements = [
        {"state": "HR", "version": 1, "acknowledged_at": at(3, 1, 18)},
        {"state": "BA", "version": 1, "acknowledged_at": at(3, 5, 12)},
    ]
    path = write(
        tmp_path,
        exercise_line(acknowledgements=acknowledgements, clarifications=clarifications),
    )

    run_import(path, "--user", "secretariat")

    notice = Notice.objects.get(client_ref="RS-H-1")
    acks = {a.state_id: a for a in Acknowledgement.objects.all()}
    assert acks["HR"].acknowledged_at == at(3, 1, 18) and acks["HR"].route == "imported"
    assert acks["BA"].acknowledged_at == at(3, 5, 12)
    questions = list(Clarification.objects.order_by("asked_at"))
    assert [q.asked_at for q in questions] == asked
    assert [q.answer_due_at for q in questions] == [a + dt.timedelta(hours=48) for a in asked]
    assert questions[0].asked_by.username == "hr-official"
    assert questions[1].asked_by.username == "secretariat"  # no asker given: the importer
    assert questions[0].answered_by == notice.created_by
    assert questions[2].answered_at is None and questions[2].answered_by is None
    report = compliance_report(wb_rta, [2025])
    rs, ba = (next(r for r in report.rows if r.state == code) for code in ("RS", "BA"))
    assert rs.clarifications == {
        "received": 3,
        "answered_within_deadline": 1,
        "late": 1,
        "outstanding": 1,
    }
    assert (ba.acknowledgements["late"], ba.acknowledgements["median_hours"]) == (1, 98.0)
    # Questions and answers reached the inboxes when they were asked and answered.
    receipts = Delivery.objects.filter(clarification__isnull=False)
    assert receipts.count() == 5 and set(receipts.values_list("status", flat=True)) == {"delivered"}
    assert not Delivery.objects.exclude(endpoint__kind="inbox").exists()


def test_an_answer_before_its_question_is_refused(seeded, tmp_path):
    clarification = {"state": "HR", "version": 1, "asked_at": at(3, 5), "question": "When?",
                     "answered_at": at(3, 4), "answer": "Now."}  # fmt: skip
    path = write(tmp_path, exercise_line(clarifications=[clarification]))
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_notices", path, stdout=out, stderr=err)

    assert "after its question" in err.getvalue()
    assert not Notice.objects.exists()


def test_the_importing_user_files_what_has_no_known_filer(seeded, tmp_path):
    path = write(tmp_path, exercise_line(filed_by="nobody-here"))

    run_import(path, "--user", "rs-official")

    assert Notice.objects.get().created_by.username == "rs-official"
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run_import(path, "--user", "ghost")


# --- the demo history -----------------------------------------------------------------------


def test_the_generated_history_does_not_depend_on_the_day_it_is_made(seeded):
    """What was filed before an earlier day is generated identically on a later day, so a
    later run of ``seed_demo --with-history`` replays it instead of conflicting."""
    commitments = {c.code: c for c in Commitment.objects.all()}
    participants = participants_by_commitment(commitments)
    earlier = HistoryGenerator(commitments, participants, at(6, 30)).lines()
    later = {
        line["client_ref"]: line
        for line in HistoryGenerator(commitments, participants, timezone.now()).lines()
    }

    assert earlier and len(later) > len(earlier)
    for line in earlier:
        assert dt.datetime.fromisoformat(line["filed_at"]) <= at(6, 30)
        match = later[line["client_ref"]]
        assert (match["filed_at"], match[match["kind"]]) == (line["filed_at"], line[line["kind"]])


def test_seed_demo_with_history(seeded, wb_rta, vd11):
    """Every state has a scored year under WB-RTA for 2023-2025, with the faults a dashboard
    must show somewhere; VD11 has its six; a second run creates nothing. (Slow: two runs.)"""
    out = io.StringIO()
    call_command("seed_demo", password=PASSWORD, with_history=True, stdout=out)
    assert "notices imported" in out.getvalue()

    rows = compliance_report(wb_rta, [2023, 2024, 2025]).rows
    assert {(r.state, r.year) for r in rows} == {(s, y) for s in STATES for y in (2023, 2024, 2025)}
    for row in rows:
        filed = sum(row.exercises[k] for k in ("notifiable", "voluntary", "cancelled"))
        assert filed and row.acknowledgements["received"] and row.score is not None, row
    assert sum(r.exercises["late"] for r in rows) >= 1
    assert any("missing" in (r.calendar.status, r.procurement_plan.status) for r in rows)
    assert sum(r.acknowledgements["late"] + r.acknowledgements["outstanding"] for r in rows)
    vienna = compliance_report(vd11, [2023, 2024, 2025]).rows
    assert {r.state for r in vienna} == STATES - {"XK"}
    assert all(r.score is not None for r in vienna)
    _assert_history_is_plausible()
    before = {**row_counts(), "Finding": Finding.objects.count()}

    out = io.StringIO()
    call_command("seed_demo", password=PASSWORD, with_history=True, stdout=out)

    assert "0 notices imported" in out.getvalue() and "0 new findings" in out.getvalue()
    assert {**row_counts(), "Finding": Finding.objects.count()} == before


def _assert_history_is_plausible() -> None:
    """Filed in the past, by participants on the day, imported; monitors' findings signed."""
    now = timezone.now()
    for notice in Notice.objects.select_related("commitment"):
        participation = Participation.objects.get(
            commitment=notice.commitment, state=notice.state_id
        )
        assert participation.joined_on <= notice.first_filed_at.date(), notice
        assert notice.first_filed_at <= now and notice.imported
    assert not Notice.objects.filter(commitment__code="VD11", state="XK").exists()
    assert Notice.objects.filter(status="cancelled").exists()
    assert Notice.objects.filter(current_version__snap=True).exists()
    assert Finding.objects.filter(kind="near_threshold").exists()
    unnotified = Finding.objects.filter(kind="unnotified_activity")
    assert unnotified.exists()
    for finding in unnotified.select_related("recorded_by__official"):
        assert finding.recorded_by.official.organisation_id == finding.organisation_id
    assert Clarification.objects.filter(answered_at__isnull=True).exists()
    assert not Delivery.objects.exclude(endpoint__kind="inbox").exists()
