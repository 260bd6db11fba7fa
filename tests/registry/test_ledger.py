"""The evidence log: what each event records, sequencing, the stored tree, checkpoints and
verification of an untouched log."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from notifications import dispatch, services
from notifications.models import Delivery, Route
from registry import ledger
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger import merkle
from registry.ledger.events import version_document
from registry.ledger.verify import verify_log
from registry.models import (
    Commitment,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    LedgerSubmission,
    NoticeVersion,
    Organisation,
    State,
)
from registry.services import amend_notice, cancel_notice, onboard_official
from tests.factories import (
    annual_calendar,
    exercise,
    file,
    file_exercise,
    procurement_item,
    procurement_plan,
)
from tests.notifications.receiver import Receiver

pytestmark = pytest.mark.django_db


def logged(kind: str | None = None) -> list[LedgerEntry]:
    """Entries of one kind (or all), once everything pending is sequenced."""
    ledger.sequence_pending()
    entries = LedgerEntry.objects.order_by("index")
    return list(entries.filter(kind=kind) if kind else entries)


@pytest.fixture
def start(seeded) -> int:
    """The log's size after the seed (which logs the demo officials' roles)."""
    ledger.sequence_pending()
    return ledger.tree_size()


def data_of(entry: LedgerEntry) -> dict:
    return json.loads(bytes(entry.payload))["data"]


def assert_stored_tree_is_the_rfc_tree(entries: list[LedgerEntry]) -> None:
    """The node table holds exactly the RFC 6962 tree of the entries' leaves."""
    leaves = [bytes(e.leaf_hash) for e in entries]
    stored = {(n.level, n.index): bytes(n.hash) for n in LedgerNode.objects.all()}
    expected = {}
    tree = merkle.CompactRange()
    for leaf in leaves:
        expected.update({k: v for k, v in tree.append(leaf) if k[0] > 0})
    assert stored == expected
    for size in range(1, len(leaves) + 1):
        assert ledger.root_hash(size) == merkle.root_of_leaf_hashes(leaves[:size])


def assert_verifies() -> None:
    report = verify_log()
    assert report.ok, report.summary()


class TestRecording:
    def test_a_filing_is_logged_with_its_version_document(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta, troops=2100)
        [entry] = logged("notice.filed")
        document = json.loads(bytes(entry.payload))
        assert document["kind"] == "notice.filed" and document["time"] == ledger.iso(
            entry.recorded_at
        )
        assert document["data"] == version_document(NoticeVersion.objects.get(pk=filing.version.pk))
        assert document["data"]["content"]["troops"] == 2100
        assert document["data"]["assessment"]["notifiable"] is True
        assert document["data"]["filed_at"].endswith("+00:00")  # UTC, whatever the display zone
        assert bytes(entry.leaf_hash) == merkle.leaf_hash(bytes(entry.payload))
        assert bytes(entry.payload) == ledger.canonical(document)  # RFC 8785 canonical
        assert (entry.notice_id, entry.state_id, entry.source_id) == (
            filing.notice.pk,
            "RS",
            filing.version.pk,
        )

    def test_every_kind_of_content_is_logged_as_stored(self, liaison_rs, wb_rta):
        year = timezone.localdate().year + 1
        plan = procurement_plan(
            year,
            [
                procurement_item(value_eur=Decimal("1250000"), supplier_state="FR"),
                procurement_item(system="Nora B-52", category="III", value_eur=Decimal("0.50")),
            ],
        )
        filings = [
            file(liaison_rs, wb_rta, "procurement_plan", plan),
            file(liaison_rs, wb_rta, "annual_calendar", annual_calendar(year)),
            file(liaison_rs, wb_rta, "procurement_notice", {"item": procurement_item()}),
            file_exercise(liaison_rs, wb_rta, participating_states=["US", "RS", "HU"]),
        ]
        entries = logged("notice.filed")
        assert len(entries) == 4
        items = data_of(entries[0])["content"]["items"]
        assert [item["value_eur"] for item in items] == ["1250000", "0.5"]
        assert data_of(entries[3])["content"]["participating_states"] == ["HU", "RS", "US"]
        assert [data_of(e)["notice_id"] for e in entries] == [f.notice.pk for f in filings]
        assert_verifies()

    def test_amendment_and_cancellation_are_logged(self, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta)
        amend_notice(
            user=liaison_rs,
            notice=filing.notice,
            content=exercise(troops=900),
            reason="Fewer troops.",
        )
        cancel_notice(user=liaison_rs, notice=filing.notice, reason="Called off.")
        kinds = [entry.kind for entry in logged() if entry.kind.startswith("notice.")]
        assert kinds == ["notice.filed", "notice.amended", "notice.cancelled"]
        assert data_of(logged("notice.amended")[0])["content"]["troops"] == 900
        assert_verifies()

    def test_acknowledgement_and_clarification_are_logged(self, liaison_rs, official_hr, wb_rta):
        version = file_exercise(liaison_rs, wb_rta).version
        services.acknowledge(version=version, user=official_hr, route=Route.API, comment="Seen.")
        services.acknowledge(version=version, user=official_hr, route=Route.API)  # a repeat
        question = services.ask_clarification(
            user=official_hr, version=version, question="Which units?"
        )
        services.answer_clarification(
            user=liaison_rs, clarification=question, answer="The 2nd brigade."
        )
        [ack] = logged("acknowledgement.recorded")
        assert data_of(ack)["comment"] == "Seen." and data_of(ack)["state"] == "HR"
        assert data_of(logged("clarification.asked")[0])["question"] == "Which units?"
        answered = data_of(logged("clarification.answered")[0])
        assert answered["answer"] == "The 2nd brigade." and answered["answered_by"] == "rs-liaison"
        assert_verifies()

    def test_settled_deliveries_are_logged_not_every_retry(
        self, settings, liaison_rs, wb_rta, seeded
    ):
        settings.DELIVERY_RETRY_SCHEDULE = [0, 1]
        with Receiver() as receiver:
            hr = services.create_webhook_endpoint(
                state=State.objects.get(code="HR"), url=receiver.url("/HR")
            )
            me = services.create_webhook_endpoint(
                state=State.objects.get(code="ME"), url=receiver.url("/ME")
            )
            receiver.script("/ME", 500, 500)
            version = file_exercise(liaison_rs, wb_rta).version
            for _ in range(2):
                Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
                dispatch.deliver(list(Delivery.objects.values_list("pk", flat=True)))
        [delivered] = logged("delivery.delivered")
        [failed] = logged("delivery.failed")
        assert data_of(delivered)["endpoint_id"] == hr.pk
        assert data_of(delivered)["status_code"] == 200
        assert data_of(failed)["endpoint_id"] == me.pk and data_of(failed)["attempt"] == 2
        assert data_of(failed)["reference"] == version.notice.reference
        assert_verifies()

    def test_key_rotation_logs_fingerprints_never_secrets(self, seeded):
        endpoint = services.create_webhook_endpoint(
            state=State.objects.get(code="HR"), url="https://hr.example/hook"
        )
        old_secret = endpoint.secret
        services.rotate_secret(endpoint)
        [entry] = logged("endpoint.key_rotated")
        text = bytes(entry.payload).decode()
        assert endpoint.secret not in text and old_secret not in text
        assert data_of(entry)["secret_fingerprint"] == ledger_events_fingerprint(endpoint.secret)
        assert entry.state_id == "HR"
        assert_verifies()

    def test_roles_are_logged_when_they_change(self, seeded):
        hr = State.objects.get(code="HR")
        onboard_official(username="a.kovac", roles=["counterpart"], state=hr)
        onboard_official(username="a.kovac", roles=["counterpart"], state=hr)  # no change
        onboard_official(username="a.kovac", roles=["liaison", "counterpart"], state=hr)
        entries = [
            e for e in logged("official.roles_changed") if data_of(e)["username"] == "a.kovac"
        ]
        assert [data_of(e)["roles"] for e in entries] == [
            ["counterpart"],
            ["liaison", "counterpart"],
        ]
        assert_verifies()

    def test_the_admin_logs_commitment_and_participation_changes(self, secretariat, wb_rta):
        commitment_admin = admin_site._registry[Commitment]
        request = RequestFactory().post("/admin/")
        request.user = secretariat
        wb_rta.exercise_lead_days = 30
        wb_rta.save()
        commitment_admin.save_related(request, saved_form(wb_rta), [], change=True)
        participation = wb_rta.participations.get(state_id="XK")
        participation.left_on = timezone.localdate()
        participation_admin = admin_site._registry[type(participation)]
        participation_admin.save_model(request, participation, None, change=True)
        entries = logged("commitment.changed")
        assert [data_of(e)["exercise_lead_days"] for e in entries] == [30, 30]
        xk = [p for p in data_of(entries[-1])["participants"] if p["state"] == "XK"]
        assert xk[0]["left_on"] == str(timezone.localdate())
        assert entries[-1].commitment_id == wb_rta.pk
        assert_verifies()

    def test_the_user_admin_logs_roles(self, secretariat, seeded):
        user_admin = admin_site._registry[type(secretariat)]
        request = RequestFactory().post("/admin/")
        request.user = secretariat
        monitor = type(secretariat).objects.get(username="eu-monitor")
        monitor.official.organisation = Organisation.objects.get(code="NATO")
        monitor.official.save()
        user_admin.save_related(request, saved_form(monitor), [], change=True)
        seeded_roles, changed = [
            e for e in logged("official.roles_changed") if e.source_id == monitor.pk
        ]
        assert data_of(seeded_roles)["organisation"] == "EU"
        assert data_of(changed)["organisation"] == "NATO" and data_of(changed)["roles"] == [
            "monitor"
        ]
        assert_verifies()

    def test_recording_outside_a_transaction_is_refused(self, monkeypatch):
        monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
        with pytest.raises(RuntimeError):
            ledger.record("finding.recorded", {"note": "x"})


def saved_form(instance):
    """What the admin hands ``save_related`` once the main form is saved."""
    return SimpleNamespace(instance=instance, save_m2m=lambda: None)


def ledger_events_fingerprint(secret: str) -> str:
    from registry.ledger.events import fingerprint

    return fingerprint(secret)


class TestSequencing:
    def test_indexes_are_dense_and_the_stored_tree_is_the_rfc_tree(
        self, settings, liaison_rs, wb_rta
    ):
        settings.LEDGER_SEQUENCE_BATCH = 3  # several batches, frontiers of every shape
        for _ in range(11):
            file_exercise(liaison_rs, wb_rta)
        assert LedgerSubmission.objects.count() >= 11
        ledger.sequence_pending()
        entries = logged()
        assert [e.index for e in entries] == list(range(len(entries)))
        assert LedgerSubmission.objects.count() == 0
        assert LedgerHead.objects.get().size == len(entries)
        assert_stored_tree_is_the_rfc_tree(entries)

    def test_a_head_without_its_right_edge_is_read_from_the_stored_tree(
        self, settings, liaison_rs, wb_rta, start
    ):
        settings.LEDGER_SEQUENCE_BATCH = 4
        for _ in range(5):
            file_exercise(liaison_rs, wb_rta)
        ledger.sequence_pending()
        LedgerHead.objects.update(frontier=b"")  # as a log built in bulk leaves it
        for _ in range(6):
            file_exercise(liaison_rs, wb_rta)
        entries = logged()
        assert_stored_tree_is_the_rfc_tree(entries)
        edge = merkle.frontier_nodes(len(entries))
        assert len(bytes(LedgerHead.objects.get().frontier)) == 32 * len(edge)
        assert_verifies()

    def test_receipt_sequences_what_is_pending(self, liaison_rs, wb_rta, start):
        filing = file_exercise(liaison_rs, wb_rta)
        assert LedgerSubmission.objects.count() == 1
        receipt = ledger.receipt_for(["notice.filed"], filing.version.pk)
        assert receipt.index == start and receipt.entry() is not None
        assert receipt.leaf_hash == bytes(receipt.entry().leaf_hash)


class TestCheckpoints:
    def test_issued_when_the_log_grows_signed_in_the_c2sp_format(self, liaison_rs, wb_rta, start):
        file_exercise(liaison_rs, wb_rta)
        first = ledger_checkpoints.issue_checkpoint()
        assert first.tree_size == start + 1
        assert ledger_checkpoints.issue_checkpoint() is None  # not grown
        file_exercise(liaison_rs, wb_rta)
        second = ledger_checkpoints.issue_checkpoint()
        key = ledger_checkpoints.public_key_info()
        lines = second.note.split("\n")
        assert lines[0] == key["key_name"] == second.origin
        assert lines[1] == str(start + 2) and lines[3] == ""
        assert lines[4].startswith(f"\u2014 {key['key_name']} ")
        public = __import__("base64").b64decode(key["public_key"])
        signed = ledger_checkpoints.open_note(second.note, key["key_name"], public)
        assert (signed.size, signed.root) == (start + 2, ledger.root_hash(start + 2))
        assert key["verifier_key"].startswith(f"{key['key_name']}+{key['key_hash']}+")
        assert LedgerCheckpoint.objects.count() == 2  # all kept

    def test_a_note_signed_by_another_key_is_refused(self, liaison_rs, wb_rta):
        file_exercise(liaison_rs, wb_rta)
        checkpoint = ledger_checkpoints.issue_checkpoint()
        with pytest.raises(ledger_checkpoints.NoteError):
            ledger_checkpoints.open_note(checkpoint.note, checkpoint.origin, bytes(32))
        size = checkpoint.tree_size
        tampered = checkpoint.note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
        public = ledger_checkpoints.public_key_bytes("ledger")
        with pytest.raises(ledger_checkpoints.NoteError):
            ledger_checkpoints.open_note(tampered, checkpoint.origin, public)

    def test_issue_checkpoint_command(self, liaison_rs, wb_rta):
        file_exercise(liaison_rs, wb_rta)
        out = io.StringIO()
        call_command("issue_checkpoint", stdout=out)
        assert out.getvalue() == LedgerCheckpoint.objects.get().note


class TestVerification:
    def test_an_untouched_log_verifies(self, liaison_rs, official_hr, wb_rta, start):
        for _ in range(3):
            version = file_exercise(liaison_rs, wb_rta).version
            ledger_checkpoints.issue_checkpoint()
        services.acknowledge(version=version, user=official_hr, route=Route.WEB)
        ledger_checkpoints.issue_checkpoint()
        report = verify_log()
        assert report.ok, report.summary()
        assert (report.entries, report.checkpoints) == (start + 4, 4)
        assert report.recomputed == start + 4  # the seed's roles are snapshots, checked too
        out = io.StringIO()
        call_command("verify_ledger", stdout=out)
        assert out.getvalue().startswith(f"OK: {start + 4} entries")

    def test_an_event_missing_from_the_log_is_named(self, liaison_rs, wb_rta):
        version = file_exercise(liaison_rs, wb_rta).version
        ledger.sequence_pending()
        file_exercise(liaison_rs, wb_rta)
        LedgerSubmission.objects.all().delete()  # lost before sequencing
        report = verify_log()
        assert not report.ok
        assert report.problem.where == f"version {version.pk + 1}"


class TestTasks:
    def test_beat_tasks_sequence_sign_and_verify(self, liaison_rs, wb_rta, start):
        from registry.ledger import tasks as ledger_tasks
        from registry.models import LedgerVerification

        file_exercise(liaison_rs, wb_rta)
        assert ledger_tasks.sequence_ledger() == 1
        assert ledger_tasks.issue_ledger_checkpoint() == start + 1
        assert ledger_tasks.issue_ledger_checkpoint() is None  # the log has not grown
        queued = LedgerVerification.objects.create()
        assert ledger_tasks.verify_ledger(queued.pk) == "passed"
        queued.refresh_from_db()
        assert (queued.entries_checked, queued.checkpoints_checked) == (start + 1, 1)
        assert queued.finished_at is not None and queued.problem == ""

    def test_the_schedule_names_the_tasks(self, settings):
        schedule = settings.CELERY_BEAT_SCHEDULE
        assert schedule["issue-ledger-checkpoint"]["schedule"] == settings.LEDGER_CHECKPOINT_SECONDS
        assert settings.LEDGER_CHECKPOINT_SECONDS == 60
        # Events without a receipt reach the log within a second; a call that waited too
        # long for a worker is dropped, the next one doing its work.
        assert schedule["sequence-ledger"]["schedule"] == settings.LEDGER_SEQUENCE_SECONDS == 1
        assert schedule["sequence-ledger"]["options"]["expires"] >= 10
        from registry.celery import app

        app.loader.import_default_modules()
        for entry in ("sequence-ledger", "issue-ledger-checkpoint", "verify-ledger"):
            assert schedule[entry]["task"] in app.tasks
