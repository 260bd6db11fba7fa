"""Tampering with the database behind the registry's back is caught, and the entry named:
by ``verify_ledger`` on the server, and by the standalone client against the live API."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from registry import ledger
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger import client as ledger_client
from registry.ledger import merkle
from registry.ledger.checkpoints import public_key_info
from registry.ledger.verify import verify_log
from registry.ledger.views import receipt_document
from registry.models import (
    ApiToken,
    ImmutableRecordError,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerNode,
    LedgerSubmission,
)
from tests.factories import file_exercise

PROTECTED = ("registry_ledgerentry", "registry_ledgernode", "registry_ledgercheckpoint")


@contextlib.contextmanager
def triggers_disabled():
    """What an operator with the owner's rights could do: switch the protection off."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER
        for table in PROTECTED:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in PROTECTED:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def entry_of(version) -> LedgerEntry:
    return ledger.receipt_for(["notice.filed"], version.pk).entry()


def rewrite_payload(entry: LedgerEntry, *, with_leaf: bool) -> None:
    document = json.loads(bytes(entry.payload))
    document["data"]["content"]["troops"] = 99
    payload = ledger.canonical(document)
    with triggers_disabled():
        if with_leaf:
            sql(
                'UPDATE registry_ledgerentry SET payload = %s, leaf_hash = %s WHERE "index" = %s',
                [payload, merkle.leaf_hash(payload), entry.index],
            )
        else:
            sql(
                'UPDATE registry_ledgerentry SET payload = %s WHERE "index" = %s',
                [payload, entry.index],
            )


def change_leaf(index: int) -> None:
    with triggers_disabled():
        sql(
            'UPDATE registry_ledgerentry SET leaf_hash = %s WHERE "index" = %s',
            [merkle.leaf_hash(b"forged"), index],
        )


def change_troops(version, troops: int) -> None:
    sql(
        "UPDATE registry_exercisedetails SET troops = %s WHERE version_id = %s",
        [troops, version.pk],
    )


def log_with_checkpoints(liaison_rs, wb_rta, count: int = 4) -> list:
    versions = []
    for _ in range(count):
        versions.append(file_exercise(liaison_rs, wb_rta).version)
        ledger_checkpoints.issue_checkpoint()
    return versions


# --- the database refuses ---------------------------------------------------------------------


@pytest.mark.django_db
class TestTrigger:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE registry_ledgerentry SET kind = 'forged'",
            "DELETE FROM registry_ledgerentry",
            "UPDATE registry_ledgernode SET hash = '\\x00'",
            "DELETE FROM registry_ledgernode",
            "UPDATE registry_ledgercheckpoint SET tree_size = tree_size + 1",
            "DELETE FROM registry_ledgercheckpoint",
        ],
    )
    def test_update_and_delete_are_rejected(self, statement, liaison_rs, wb_rta):
        log_with_checkpoints(liaison_rs, wb_rta, count=2)
        assert LedgerNode.objects.exists()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)

    def test_the_queue_accepts_deletes_and_the_models_refuse_changes(self, liaison_rs, wb_rta):
        file_exercise(liaison_rs, wb_rta)
        assert LedgerSubmission.objects.exists()
        ledger.sequence_pending()  # deletes what it moved
        assert not LedgerSubmission.objects.exists()
        entry = LedgerEntry.objects.first()
        with pytest.raises(ImmutableRecordError):
            entry.save()
        with pytest.raises(ImmutableRecordError):
            entry.delete()


# --- verify_ledger --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestVerifyLedger:
    def test_a_changed_notice_row_is_named(self, liaison_rs, wb_rta):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        change_troops(versions[1], 900)
        report = verify_log()
        entry = entry_of(versions[1])
        assert report.problem.entry == entry.index
        assert report.problem.where == f"entry {entry.index} (notice.filed)"
        assert "source records" in report.problem.message

    @pytest.mark.parametrize("with_leaf", [False, True])
    def test_a_changed_payload_is_named(self, with_leaf, liaison_rs, wb_rta):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        entry = entry_of(versions[2])
        rewrite_payload(entry, with_leaf=with_leaf)
        report = verify_log()
        assert report.problem.entry == entry.index
        expected = "source records" if with_leaf else "not the hash of its payload"
        assert expected in report.problem.message

    def test_a_changed_leaf_hash_is_named(self, liaison_rs, wb_rta):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        entry = entry_of(versions[0])
        change_leaf(entry.index)
        assert verify_log().problem.entry == entry.index

    def test_a_changed_node_and_a_forged_checkpoint_are_named(self, liaison_rs, wb_rta):
        log_with_checkpoints(liaison_rs, wb_rta)
        with triggers_disabled():
            sql("UPDATE registry_ledgernode SET hash = %s WHERE level = 1 AND index = 0", [b"x"])
        assert verify_log().problem.where.startswith("tree node 1/0 (entries 0 to 1)")
        with triggers_disabled():
            sql(
                "UPDATE registry_ledgernode SET hash = %s WHERE level = 1 AND index = 0",
                [merkle.node_hash(*[bytes(e.leaf_hash) for e in LedgerEntry.objects.all()[:2]])],
            )
            checkpoint = LedgerCheckpoint.objects.order_by("tree_size")[1]
            forged = checkpoint.note.replace(checkpoint.note.split("\n")[2], "A" * 43 + "=")
            sql(
                "UPDATE registry_ledgercheckpoint SET note = %s WHERE id = %s",
                [forged, checkpoint.pk],
            )
        assert verify_log().problem.where == f"checkpoint {checkpoint.tree_size}"

    def test_the_command_exits_non_zero_naming_the_entry(self, liaison_rs, wb_rta, capsys):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        change_troops(versions[3], 1)
        with pytest.raises(SystemExit) as exit_:
            call_command("verify_ledger")
        assert exit_.value.code == 1
        index = entry_of(versions[3]).index
        assert f"MISMATCH at entry {index} (notice.filed)" in capsys.readouterr().err


# --- the standalone client against the live API ---------------------------------------------------


@pytest.fixture
def counterpart(live_server, official_hr, tmp_path):
    """Runs the client as Croatia's national system would, with the pinned key."""
    _, token = ApiToken.issue(official_hr, dt.timedelta(days=1))
    key = public_key_info()["verifier_key"]

    def run(*extra: str) -> int:
        return ledger_client.main(
            [
                "--url",
                live_server.url,
                "--token",
                token,
                "--key",
                key,
                "--state",
                str(tmp_path / "state.json"),
                *extra,
            ]
        )

    return run


def save_receipt(tmp_path, version) -> str:
    path = tmp_path / f"receipt-{version.pk}.json"
    path.write_text(json.dumps(receipt_document(entry_of(version))))
    return str(path)


@pytest.mark.django_db(transaction=True)
class TestClient:
    def test_a_clean_log_verifies_and_the_state_is_kept(
        self, counterpart, liaison_rs, wb_rta, tmp_path, capsys
    ):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        receipt = save_receipt(tmp_path, versions[0])
        assert counterpart(receipt, "--audit") == 0
        log_with_checkpoints(liaison_rs, wb_rta, count=2)
        assert counterpart(receipt, "--audit") == 0
        out = capsys.readouterr().out
        assert "consistent with the saved checkpoint" in out and "audit:" in out

    def test_a_changed_notice_row_is_named(self, counterpart, liaison_rs, wb_rta, tmp_path, capsys):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        receipt = save_receipt(tmp_path, versions[1])
        change_troops(versions[1], 900)
        assert counterpart(receipt) == 1
        index = entry_of(versions[1]).index
        assert f"entry {index}: the registry's records no longer say" in capsys.readouterr().err
        assert counterpart("--audit") == 1
        assert f"entry {index} (notice.filed): the registry's records" in capsys.readouterr().err

    def test_a_changed_payload_is_named(self, counterpart, liaison_rs, wb_rta, tmp_path, capsys):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        receipt = save_receipt(tmp_path, versions[2])
        entry = entry_of(versions[2])
        rewrite_payload(entry, with_leaf=False)
        assert counterpart(receipt) == 1
        assert f"entry {entry.index}: the registry now serves a different payload" in (
            capsys.readouterr().err
        )
        assert counterpart("--audit") == 1
        assert f"entry {entry.index} (notice.filed): its payload does not hash" in (
            capsys.readouterr().err
        )

    def test_a_changed_leaf_hash_is_named(self, counterpart, liaison_rs, wb_rta, tmp_path, capsys):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        receipt = save_receipt(tmp_path, versions[0])
        entry = entry_of(versions[0])
        change_leaf(entry.index)
        assert counterpart(receipt) == 1
        assert f"entry {entry.index}: the registry now serves a different leaf hash" in (
            capsys.readouterr().err
        )

    def test_a_changed_leaf_it_cannot_read_is_found_by_bisection(
        self, counterpart, liaison_rs, wb_rta, capsys
    ):
        log_with_checkpoints(liaison_rs, wb_rta)
        hidden = LedgerEntry.objects.filter(kind="official.roles_changed", state_id="RS").first()
        change_leaf(hidden.index)  # Croatia may not read Serbia's officials' roles
        assert counterpart("--audit") == 1
        assert f"entry {hidden.index}: its leaf hash is not the one the signed tree holds" in (
            capsys.readouterr().err
        )

    def test_a_rewritten_history_is_refused(self, counterpart, liaison_rs, wb_rta, capsys):
        versions = log_with_checkpoints(liaison_rs, wb_rta)
        assert counterpart() == 0
        rewrite_history(entry_of(versions[0]).index)
        file_exercise(liaison_rs, wb_rta)
        ledger_checkpoints.issue_checkpoint()  # signed by the real key, over the new history
        assert counterpart() == 1
        assert re.search(
            r"checkpoint \d+ is not a prefix of checkpoint \d+", capsys.readouterr().err
        )

    def test_bad_key_and_unreachable_registry(self, counterpart, live_server, liaison_rs, wb_rta):
        log_with_checkpoints(liaison_rs, wb_rta, count=1)
        assert ledger_client.main(["--url", live_server.url, "--token", "t", "--key", "x"]) == 2
        other = "other.example/ledger+00000000+" + "AQ" + "A" * 41 + "="
        assert counterpart("--key", other) == 2  # hash does not match
        args = ["--url", "http://127.0.0.1:9", "--token", "t"]
        assert ledger_client.main([*args, "--key", public_key_info()["verifier_key"]]) == 3


def rewrite_history(index: int) -> None:
    """An operator rewrites an entry and recomputes the whole tree to match it."""
    document = json.loads(bytes(LedgerEntry.objects.get(index=index).payload))
    document["data"]["content"]["troops"] = 5
    payload = ledger.canonical(document)
    with triggers_disabled():
        sql(
            'UPDATE registry_ledgerentry SET payload = %s, leaf_hash = %s WHERE "index" = %s',
            [payload, merkle.leaf_hash(payload), index],
        )
        sql("DELETE FROM registry_ledgernode")
        tree = merkle.CompactRange()
        nodes = []
        for entry in LedgerEntry.objects.order_by("index"):
            nodes += [n for n in tree.append(bytes(entry.leaf_hash)) if n[0][0] > 0]
        LedgerNode.objects.bulk_create(
            [LedgerNode(level=level, index=i, hash=value) for (level, i), value in nodes]
        )
