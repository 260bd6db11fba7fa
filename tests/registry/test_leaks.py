"""No object of another state leaks through lists, filters, error messages, exports or the
evidence log's payloads. The world is the isolation matrix's: Albania's notice under a
bilateral commitment (with Bosnia) is the one the personas (RS liaison, HR counterpart, EU
monitor) may never see."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import Delivery, DeliveryAttempt
from registry import ledger
from registry.compliance.exports import build_export, request_export
from registry.ledger import events as ledger_events
from registry.models import LedgerEntry, LedgerKind, ReportExport
from tests.registry.test_isolation import PERSONAS, World, user
from tests.registry.test_isolation import world as world

STATE_PERSONAS = ("liaison", "counterpart", "monitor")


def private(world: World) -> dict[str, str]:
    """What must never show: the private notice's reference, and its objects' ids."""
    notice = world.notices["AL"]
    return {
        "reference": notice.reference,
        "spare_reference": world.spare_notices["AL"].reference,
        "notice": str(notice.pk),
        "spare_notice": str(world.spare_notices["AL"].pk),
        "clarification": str(world.clarifications["AL"].pk),
        "finding": str(world.findings["AL"].pk),
    }


def api_client(world: World, role: str) -> Client:
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {world.keys[PERSONAS[role]]}"
    return client


def ids_in(data, key: str = "id") -> set[str]:
    """Every value of ``key`` anywhere in a JSON document."""
    found: set[str] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key and isinstance(value, int | str):
                found.add(str(value))
            found |= ids_in(value, key)
    elif isinstance(data, list):
        for item in data:
            found |= ids_in(item, key)
    return found


@pytest.mark.parametrize("role", STATE_PERSONAS)
def test_lists_and_filters_never_name_the_other_states_objects(world: World, role: str):
    secret = private(world)
    client = api_client(world, role)
    notices = {secret["notice"], secret["spare_notice"]}
    checks = [  # path, the key holding ids, the ids that must not be there
        ("/api/v1/notices/", "id", notices),
        ("/api/v1/notices/?state=AL", "id", notices),
        ("/api/v1/notices/?commitment=AB-PILOT", "id", notices),
        ("/api/v1/clarifications/", "id", {secret["clarification"]}),
        ("/api/v1/clarifications/", "notice", notices),
        (f"/api/v1/clarifications/?notice={secret['notice']}", "notice", notices),
        ("/api/v1/findings/", "id", {secret["finding"]}),
        ("/api/v1/findings/?state=AL", "id", {secret["finding"]}),
        ("/api/v1/inbox/", "notice", notices),
    ]
    own = user(PERSONAS[role]).official.state_id
    if own:  # a state's officials get their own state's report; monitors every state's
        others = {"AL", "BA", "HR", "ME", "MK", "RS", "XK"} - {own}
        checks.append(("/api/v1/compliance/?commitment=WB-RTA&year=2026", "state", others))
    for path, key, forbidden in checks:
        answer = client.get(path)
        assert answer.status_code == 200, path
        body = answer.content.decode()
        assert secret["reference"] not in body and secret["spare_reference"] not in body, path
        assert not ids_in(answer.json(), key) & forbidden, path


@pytest.mark.parametrize("role", STATE_PERSONAS)
def test_the_web_lists_never_name_the_other_states_objects(world: World, role: str):
    secret = private(world)
    client = Client()
    client.force_login(user(PERSONAS[role]))
    for path in [
        "/notices/",
        "/notices/?state=AL",
        "/notices/?commitment=AB-PILOT",
        "/inbox/",
        "/findings/",
        "/findings/?state=AL",
        "/alerts/",
        "/calendar/",
        "/ledger/",
    ]:
        body = client.get(path).content.decode()
        assert secret["reference"] not in body, path
        assert f"/notices/{secret['notice']}/" not in body, path
        assert "Activity seen in AL" not in body, path


def test_error_answers_do_not_tell_another_states_object_from_none(world: World):
    client = api_client(world, "liaison")
    secret = private(world)
    hidden = client.get(f"/api/v1/notices/{secret['notice']}/")
    missing = client.get("/api/v1/notices/987654321/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert secret["reference"] not in hidden.content.decode()
    acknowledged = client.post(
        f"/api/v1/notices/{secret['notice']}/acknowledge/", {"version": 1}, "application/json"
    )
    assert acknowledged.status_code == 404
    assert secret["reference"] not in acknowledged.content.decode()


def test_exports_hold_only_what_the_requester_may_see(world: World, wb_rta):
    official = user("rs-liaison")
    job = request_export(
        user=official, commitment=wb_rta, first_year=2026, last_year=2026, fmt="csv"
    )
    build_export(job.pk)
    job.refresh_from_db()
    assert job.status == ReportExport.Status.DONE, job.message
    content = bytes(job.content).decode()
    assert "RS" in content
    for other in ("HR", "AL", "BA", "ME", "MK", "XK"):
        assert f"\n{other}," not in content and f",{other}," not in content, other
    assert private(world)["reference"] not in content


# --- the evidence log ----------------------------------------------------------------------


def settle_deliveries(world: World) -> None:
    """A delivered attempt for each notice's first delivery, as a worker would log it."""
    with_attempts = []
    for code in ("RS", "HR", "AL"):
        delivery = Delivery.objects.filter(version__notice=world.notices[code]).first()
        with_attempts.append(
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=1,
                started_at=timezone.now(),
                duration_ms=12,
                status_code=200,
            )
        )
    from django.db import transaction

    with transaction.atomic():
        ledger_events.record_settled_deliveries(with_attempts)


@pytest.fixture
def busy_log(world: World) -> World:
    """Every kind of entry, about each of the three states."""
    for code, counterpart in (("RS", "hr-official"), ("HR", "rs-official"), ("AL", "ba-official")):
        notice = world.notices[code]
        notification_services.acknowledge(
            version=notice.current_version, user=user(counterpart), route="api"
        )
        notification_services.answer_clarification(
            user=user(f"{code.lower()}-liaison"),
            clarification=world.clarifications[code],
            answer="Yes.",
        )
    settle_deliveries(world)
    ledger.sequence_pending()
    return world


def may_see(client: Client, role: str, entry: LedgerEntry) -> bool:
    """The oracle: what the pages and the API already let this persona see."""
    data = json.loads(bytes(entry.payload))["data"]
    official = user(PERSONAS[role]).official
    mine = official.state_id
    if entry.kind in (LedgerKind.DELIVERY_DELIVERED, LedgerKind.DELIVERY_FAILED) or (
        entry.kind == LedgerKind.ACKNOWLEDGEMENT
    ):
        deliveries = client.get(f"/api/v1/notices/{entry.notice_id}/deliveries/")
        return deliveries.status_code == 200 or (mine is not None and entry.state_id == mine)
    if entry.kind == LedgerKind.FINDING_RECORDED:
        return client.get(f"/api/v1/findings/{entry.source_id}/").status_code == 200
    if entry.notice_id is not None:
        return client.get(f"/api/v1/notices/{entry.notice_id}/").status_code == 200
    if entry.kind == LedgerKind.COMMITMENT_CHANGED:
        return client.get(f"/api/v1/commitments/{data['code']}/").status_code == 200
    return mine is not None and entry.state_id == mine  # roles, endpoints: their state's


@pytest.mark.parametrize("role", [*STATE_PERSONAS, "secretariat"])
def test_the_log_gives_each_payload_exactly_to_who_may_see_it(busy_log: World, role: str):
    client = api_client(busy_log, role)
    size = ledger.tree_size()
    rows = client.get(f"/api/v1/ledger/entries/?start=0&end={size}").json()["entries"]
    assert len(rows) == size
    entries = {entry.index: entry for entry in LedgerEntry.objects.all()}
    kinds_seen = set()
    for row in rows:
        entry = entries[row["index"]]
        expected = True if role == "secretariat" else may_see(client, role, entry)
        assert (row["payload"] is not None) is expected, (role, entry.kind, entry.index)
        kinds_seen.add(entry.kind)
    assert kinds_seen >= {  # every kind about a state is put to the test
        LedgerKind.NOTICE_FILED,
        LedgerKind.ACKNOWLEDGEMENT,
        LedgerKind.CLARIFICATION_ASKED,
        LedgerKind.CLARIFICATION_ANSWERED,
        LedgerKind.DELIVERY_DELIVERED,
        LedgerKind.FINDING_RECORDED,
        LedgerKind.ENDPOINT_CHANGED,
        LedgerKind.OFFICIAL_ROLES_CHANGED,
    }


@pytest.mark.parametrize("role", STATE_PERSONAS)
def test_no_visible_payload_names_the_private_notice(busy_log: World, role: str):
    secret = private(busy_log)
    client = api_client(busy_log, role)
    size = ledger.tree_size()
    for page in (
        client.get(f"/api/v1/ledger/entries/?start=0&end={size}&recompute=1").content.decode(),
        _web_log(role),
    ):
        assert secret["reference"] not in page and secret["spare_reference"] not in page
        assert "Activity seen in AL" not in page


def _web_log(role: str) -> str:
    client = Client()
    client.force_login(user(PERSONAS[role]))
    return client.get("/ledger/").content.decode()


def test_another_recipients_acknowledgement_is_not_for_a_third_state(busy_log: World):
    """HR acknowledged Serbia's notice: Serbia (filer) sees it, Bosnia (recipient) does not."""
    [entry] = LedgerEntry.objects.filter(
        kind=LedgerKind.ACKNOWLEDGEMENT, notice=busy_log.notices["RS"], state_id="HR"
    )
    for username, visible in (("rs-liaison", True), ("hr-official", True), ("ba-official", False)):
        client = Client()
        client.force_login(user(username))
        answer = client.get(f"/api/v1/ledger/entries/?start={entry.index}&end={entry.index + 1}")
        assert (answer.json()["entries"][0]["payload"] is not None) is visible, username


def test_the_commitment_of_a_finding_is_not_enough_to_read_it(busy_log: World):
    """A finding about Croatia is under WB-RTA, which Serbia takes part in: still not Serbia's."""
    finding = busy_log.findings["HR"]
    [entry] = LedgerEntry.objects.filter(kind=LedgerKind.FINDING_RECORDED, source_id=finding.pk)
    client = api_client(busy_log, "liaison")
    answer = client.get(f"/api/v1/ledger/entries/?start={entry.index}&end={entry.index + 1}")
    assert answer.json()["entries"][0]["payload"] is None
    assert dt.date(2026, 3, 1).isoformat() not in answer.content.decode()
