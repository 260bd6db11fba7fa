"""The evidence log's API and pages: contract, visibility, receipts in answers, downloads."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from notifications import services
from notifications.links import acknowledgement_token
from registry import ledger
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger import merkle
from registry.models import LedgerEntry, LedgerVerification
from tests.factories import file_exercise
from tests.registry.test_api import ahead, exercise_body, filing

pytestmark = pytest.mark.django_db


def b64d(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def vd11_filing(liaison_rs, vd11):
    """A VD11 notice: Kosovo takes no part in VD11 and must not read it."""
    filing = file_exercise(liaison_rs, vd11)
    ledger_checkpoints.issue_checkpoint()
    return filing


class TestReceiptsInAnswers:
    def test_filing_amending_and_cancelling_answer_with_the_entry(self, api, liaison_rs, wb_rta):
        rs = api.as_user(liaison_rs)
        body = filing("exercise", exercise_body(ahead(60, wb_rta)), client_ref="ledger-1")
        created = rs.post("/api/v1/notices/", body, format="json").json()
        replay = rs.post("/api/v1/notices/", body, format="json").json()
        pk = created["id"]
        amended = rs.post(
            f"/api/v1/notices/{pk}/amend/",
            {"reason": "More troops", "exercise": exercise_body(ahead(60, wb_rta), troops=1600)},
            format="json",
        ).json()
        cancelled = rs.post(
            f"/api/v1/notices/{pk}/cancel/", {"reason": "Off"}, format="json"
        ).json()
        receipts = [created["ledger"], amended["ledger"], cancelled["ledger"]]
        assert replay["ledger"] == created["ledger"]
        kinds = []
        for receipt in receipts:
            entry = LedgerEntry.objects.get(index=receipt["index"])
            assert b64d(receipt["leaf_hash"]) == bytes(entry.leaf_hash)
            kinds.append(entry.kind)
        assert kinds == ["notice.filed", "notice.amended", "notice.cancelled"]
        assert receipts[0]["index"] < receipts[1]["index"] < receipts[2]["index"]

    def test_acknowledging_and_answering_answer_with_the_entry(
        self, api, liaison_rs, official_hr, wb_rta
    ):
        version = file_exercise(liaison_rs, wb_rta).version
        hr = api.as_user(official_hr)
        ack = hr.post(
            f"/api/v1/notices/{version.notice_id}/acknowledge/", {"version": 1}, format="json"
        )
        assert ack.status_code == 201
        assert LedgerEntry.objects.get(index=ack.json()["ledger"]["index"]).kind == (
            "acknowledgement.recorded"
        )
        question = services.ask_clarification(user=official_hr, version=version, question="?")
        rs = api.as_user(liaison_rs)
        answer = rs.post(
            f"/api/v1/clarifications/{question.pk}/answer/", {"answer": "A."}, format="json"
        )
        assert answer.status_code == 200
        entry = LedgerEntry.objects.get(index=answer.json()["ledger"]["index"])
        assert entry.kind == "clarification.answered" and entry.source_id == question.pk

    def test_signed_link_acknowledgement_answers_with_the_entry(self, client, liaison_rs, wb_rta):
        version = file_exercise(liaison_rs, wb_rta).version
        token = acknowledgement_token(version.pk, "ME")
        answer = client.post(f"/api/v1/acknowledgements/signed/{token}/")
        assert answer.status_code == 201
        entry = LedgerEntry.objects.get(index=answer.json()["ledger"]["index"])
        assert json.loads(bytes(entry.payload))["data"]["route"] == "signed_url"


class TestLedgerApi:
    def test_checkpoint_latest_and_by_size(self, api, monitor_eu, liaison_rs, wb_rta):
        file_exercise(liaison_rs, wb_rta)
        first = ledger_checkpoints.issue_checkpoint()
        file_exercise(liaison_rs, wb_rta)
        second = ledger_checkpoints.issue_checkpoint()
        client = api.as_user(monitor_eu)
        latest = client.get("/api/v1/ledger/checkpoint/").json()
        assert latest["tree_size"] == second.tree_size and latest["note"] == second.note
        assert b64d(latest["root_hash"]) == ledger.root_hash(second.tree_size)
        older = client.get(f"/api/v1/ledger/checkpoint/?size={first.tree_size}").json()
        assert older["note"] == first.note
        assert client.get("/api/v1/ledger/checkpoint/?size=999999").status_code == 404

    def test_proofs_verify_against_signed_roots(self, api, official_hr, liaison_rs, wb_rta):
        for _ in range(5):
            file_exercise(liaison_rs, wb_rta)
            ledger_checkpoints.issue_checkpoint()
        client = api.as_user(official_hr)
        latest = client.get("/api/v1/ledger/checkpoint/").json()
        size, root = latest["tree_size"], b64d(latest["root_hash"])
        proof = client.get(f"/api/v1/ledger/proof/inclusion/?index=3&tree_size={size}").json()
        merkle.verify_inclusion(
            3, size, b64d(proof["leaf_hash"]), [b64d(h) for h in proof["audit_path"]], root
        )
        consistency = client.get(f"/api/v1/ledger/proof/consistency/?first=7&second={size}")
        merkle.verify_consistency(
            7,
            size,
            ledger.root_hash(7),
            root,
            [b64d(h) for h in consistency.json()["consistency"]],
        )
        assert client.get("/api/v1/ledger/proof/inclusion/?index=3").json() == proof  # default
        bad = client.get(f"/api/v1/ledger/proof/inclusion/?index={size}&tree_size={size}")
        assert bad.status_code == 400
        assert client.get("/api/v1/ledger/proof/consistency/?first=0").status_code == 400
        assert client.get("/api/v1/ledger/proof/inclusion/?index=x").status_code == 400

    def test_key_gives_the_name_raw_key_and_verifier_key(self, api, official_xk):
        key = api.as_user(official_xk).get("/api/v1/ledger/key/").json()
        public = b64d(key["public_key"])
        assert public == ledger_checkpoints.public_key_bytes("ledger") and len(public) == 32
        name, key_hash, encoded = key["verifier_key"].split("+")
        assert name == key["key_name"] and key_hash == key["key_hash"]
        assert b64d(encoded) == b"\x01" + public

    def test_entries_are_capped_and_every_leaf_is_public(
        self, api, settings, official_xk, vd11_filing
    ):
        settings.LEDGER_MAX_ENTRIES_PER_REQUEST = 5
        answer = api.as_user(official_xk).get("/api/v1/ledger/entries/?start=0&end=50").json()
        assert answer["end"] - answer["start"] == 5 == len(answer["entries"])
        size = answer["tree_size"]
        every = api.get(f"/api/v1/ledger/entries/?start={size - 1}&end={size}").json()
        [entry] = every["entries"]
        stored = LedgerEntry.objects.get(index=size - 1)
        assert entry["kind"] == "notice.filed" and b64d(entry["leaf_hash"]) == bytes(
            stored.leaf_hash
        )

    def test_a_state_that_must_not_see_a_notice_gets_its_entry_without_payload(
        self, api, official_xk, official_hr, monitor_eu, secretariat, vd11_filing
    ):
        index = ledger.receipt_for(["notice.filed"], vd11_filing.version.pk).index
        url = f"/api/v1/ledger/entries/?start={index}&end={index + 1}&recompute=1"
        hidden = api.as_user(official_xk).get(url).json()["entries"][0]
        assert hidden["payload"] is None and hidden["source_data"] is None
        assert hidden["leaf_hash"] and hidden["kind"] == "notice.filed"
        for reader in (official_hr, monitor_eu, secretariat):
            shown = api.as_user(reader).get(url).json()["entries"][0]
            assert merkle.leaf_hash(shown["payload"].encode()) == b64d(shown["leaf_hash"])
            data = json.loads(shown["payload"])["data"]
            assert data["reference"] == vd11_filing.notice.reference
            assert json.loads(shown["source_data"]) == data

    def test_role_entries_are_visible_to_their_state_and_the_secretariat(
        self, api, official_hr, official_xk, secretariat
    ):
        ledger.sequence_pending()
        hr_roles = LedgerEntry.objects.get(kind="official.roles_changed", source_id=official_hr.pk)
        url = f"/api/v1/ledger/entries/?start={hr_roles.index}&end={hr_roles.index + 1}"
        assert api.as_user(official_xk).get(url).json()["entries"][0]["payload"] is None
        assert api.as_user(official_hr).get(url).json()["entries"][0]["payload"]
        assert api.as_user(secretariat).get(url).json()["entries"][0]["payload"]

    def test_anonymous_and_roleless_users_are_refused(self, api, seeded, django_user_model):
        assert api.get("/api/v1/ledger/checkpoint/").status_code in (401, 403)
        nobody = django_user_model.objects.create_user("nobody", password="x" * 16)
        api.force_authenticate(nobody)
        assert api.get("/api/v1/ledger/key/").status_code == 403

    def test_the_schema_documents_base64_and_the_receipts(self, api):
        schema = yaml.safe_load(api.get("/api/v1/schema/").content)
        components = schema["components"]["schemas"]
        assert "base64" in components["InclusionProof"]["properties"]["audit_path"]["description"]
        assert "ledger" in components["NoticeWithLedger"]["properties"]
        assert "ledger" in components["AcknowledgementWithLedger"]["properties"]
        assert "/api/v1/ledger/proof/consistency/" in schema["paths"]


class TestPages:
    def test_receipt_download_proves_the_version(self, client, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta)
        client.force_login(liaison_rs)
        response = client.get(f"/notices/{filing.notice.pk}/versions/1/receipt/")
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        receipt = response.json()
        entry, proof = receipt["entry"], receipt["inclusion_proof"]
        assert json.loads(entry["payload"])["data"]["reference"] == filing.notice.reference
        key = ledger_checkpoints.public_key_bytes("ledger")
        signed = ledger_checkpoints.open_note(
            receipt["checkpoint"]["note"], receipt["checkpoint"]["origin"], key
        )  # a checkpoint was issued on demand
        leaf = merkle.leaf_hash(entry["payload"].encode())
        assert leaf == b64d(entry["leaf_hash"])
        merkle.verify_inclusion(
            entry["index"], signed.size, leaf, [b64d(h) for h in proof["audit_path"]], signed.root
        )

    def test_notice_page_links_each_version_receipt(self, client, liaison_rs, wb_rta):
        filing = file_exercise(liaison_rs, wb_rta)
        client.force_login(liaison_rs)
        page = client.get(f"/notices/{filing.notice.pk}/").content.decode()
        assert f"/notices/{filing.notice.pk}/versions/1/receipt/" in page

    def test_receipt_of_an_invisible_notice_is_404(self, client, official_xk, vd11_filing):
        client.force_login(official_xk)
        url = f"/notices/{vd11_filing.notice.pk}/versions/1/receipt/"
        assert client.get(url).status_code == 404

    def test_log_page_shows_checkpoint_entries_and_verification(
        self, client, monitor_eu, official_xk, vd11_filing
    ):
        client.force_login(monitor_eu)
        page = client.get("/ledger/").content.decode()
        checkpoint = ledger_checkpoints.latest_checkpoint()
        assert checkpoint.note.splitlines()[2] in page
        assert vd11_filing.notice.reference in page
        assert "not been verified yet" in page
        response = client.post("/ledger/verify/")
        assert response.status_code == 302
        assert LedgerVerification.objects.get().status == "queued"
        client.force_login(official_xk)
        page = client.get("/ledger/").content.decode()
        assert vd11_filing.notice.reference not in page and "Not visible to you" in page
        assert client.post("/ledger/verify/").status_code == 403

    def test_a_verification_run_is_shown(self, client, monitor_eu, vd11_filing):
        from registry.ledger.runs import run_verification

        run = run_verification()
        assert run.status == "passed" and run.entries_checked == ledger.tree_size()
        client.force_login(monitor_eu)
        page = client.get("/ledger/").content.decode()
        assert "Passed" in page and f"{run.entries_checked} entries" in page
