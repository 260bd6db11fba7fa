"""Secretariat actions are in the evidence log with who and when: commitments and their
participants, officials' roles, and endpoints (created, changed, suspended, resumed, keys
rotated), whether done in the admin or through the API; what the registry does by itself
is logged with no one as the author."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client, RequestFactory
from django.utils import timezone

from notifications import services
from notifications.models import Endpoint
from registry import ledger
from registry.ledger.verify import verify_log
from registry.models import Commitment, LedgerEntry, Participation, State
from tests.registry.test_ledger import saved_form

pytestmark = pytest.mark.django_db


def entries(kind: str, source_id: int | None = None) -> list[LedgerEntry]:
    ledger.sequence_pending()
    found = LedgerEntry.objects.filter(kind=kind).order_by("index")
    return list(found.filter(source_id=source_id) if source_id is not None else found)


def data_of(entry: LedgerEntry) -> dict:
    return json.loads(bytes(entry.payload))["data"]


def assert_verifies() -> None:
    report = verify_log()
    assert report.ok, report.summary()


def admin_request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    return request


class TestEndpoints:
    def test_every_api_action_is_logged_with_the_official_and_the_time(self, api, secretariat):
        client = api.as_user(secretariat)
        before = timezone.now()
        created = client.post(
            "/api/v1/endpoints/",
            {"state": "HR", "kind": "email", "email": "desk@hr.example", "label": "Desk"},
            format="json",
        ).json()
        pk = created["id"]
        assert client.patch(f"/api/v1/endpoints/{pk}/", {"label": "Duty desk"}).status_code == 200
        assert client.post(f"/api/v1/endpoints/{pk}/suspend/").status_code == 200
        assert client.post(f"/api/v1/endpoints/{pk}/resume/").status_code == 200
        logged = entries("endpoint.changed", pk)
        assert [data_of(e)["action"] for e in logged] == [
            "created",
            "updated",
            "suspended",
            "resumed",
        ]
        assert {data_of(e)["changed_by"] for e in logged} == {"secretariat"}
        assert [data_of(e)["label"] for e in logged] == [
            "Desk",
            "Duty desk",
            "Duty desk",
            "Duty desk",
        ]
        assert [data_of(e)["status"] for e in logged][2:] == ["suspended", "active"]
        assert all(e.recorded_at >= before and e.state_id == "HR" for e in logged)
        assert_verifies()

    def test_a_key_rotation_names_who_rotated(self, api, secretariat):
        endpoint = services.create_webhook_endpoint(
            state=State.objects.get(pk="RS"), url="https://rs.example/hook", by=secretariat
        )
        api.as_user(secretariat).post(f"/api/v1/endpoints/{endpoint.pk}/rotate-secret/")
        [rotation] = entries("endpoint.key_rotated", endpoint.pk)
        assert data_of(rotation)["changed_by"] == "secretariat"
        assert_verifies()

    def test_the_admin_logs_creation_change_and_its_actions(self, secretariat):
        endpoint_admin = admin_site._registry[Endpoint]
        request = admin_request(secretariat)
        request._messages = _NoMessages()
        endpoint = Endpoint(state_id="BA", kind=Endpoint.Kind.EMAIL, email="ops@ba.example")
        endpoint_admin.save_model(request, endpoint, None, change=False)
        endpoint.label = "Operations"
        endpoint_admin.save_model(request, endpoint, None, change=True)
        endpoint_admin.suspend(request, Endpoint.objects.filter(pk=endpoint.pk))
        endpoint_admin.resume(request, Endpoint.objects.filter(pk=endpoint.pk))
        logged = entries("endpoint.changed", endpoint.pk)
        assert [(data_of(e)["action"], data_of(e)["changed_by"]) for e in logged] == [
            ("created", "secretariat"),
            ("updated", "secretariat"),
            ("suspended", "secretariat"),
            ("resumed", "secretariat"),
        ]
        assert_verifies()

    def test_a_suspension_by_the_registry_itself_has_no_author(self, seeded):
        endpoint = services.create_email_endpoint(
            state=State.objects.get(pk="ME"), email="me@me.example"
        )
        services.suspend_endpoint(endpoint, reason="The endpoint answered 410 Gone.")
        services.suspend_endpoint(endpoint, reason="again")  # already suspended: nothing new
        _created, suspended = entries("endpoint.changed", endpoint.pk)
        assert data_of(suspended)["changed_by"] is None
        assert data_of(suspended)["status_reason"] == "The endpoint answered 410 Gone."
        assert_verifies()

    def test_a_change_that_was_not_logged_fails_verification(self, secretariat):
        endpoint = services.create_email_endpoint(
            state=State.objects.get(pk="ME"), email="me@me.example", by=secretariat
        )
        Endpoint.objects.filter(pk=endpoint.pk).update(email="attacker@evil.example")
        ledger.sequence_pending()
        report = verify_log()
        assert not report.ok
        assert "changed without being logged" in report.summary()


class TestCommitmentsAndRoles:
    def test_commitment_and_participation_changes_name_the_official(self, secretariat, wb_rta):
        request = admin_request(secretariat)
        wb_rta.acknowledgement_hours = 96
        wb_rta.save()
        admin_site._registry[Commitment].save_related(request, saved_form(wb_rta), [], change=True)
        participation_admin = admin_site._registry[Participation]
        participation_admin.delete_queryset(
            request, Participation.objects.filter(commitment=wb_rta, state_id="XK")
        )
        *_, changed, removed = entries("commitment.changed", wb_rta.pk)
        assert data_of(changed)["acknowledgement_hours"] == 96
        assert data_of(changed)["changed_by"] == "secretariat"
        assert "XK" not in {p["state"] for p in data_of(removed)["participants"]}
        assert data_of(removed)["changed_by"] == "secretariat"
        assert_verifies()

    def test_role_changes_in_the_admin_name_the_official(self, secretariat, official_hr):
        official_hr.official.is_liaison = True
        official_hr.official.save()
        admin_site._registry[type(secretariat)].save_related(
            admin_request(secretariat), saved_form(official_hr), [], change=True
        )
        seeded_roles, changed = entries("official.roles_changed", official_hr.pk)
        assert data_of(seeded_roles)["changed_by"] is None  # seed_demo, on the server
        assert data_of(changed)["roles"] == ["liaison", "counterpart"]
        assert data_of(changed)["changed_by"] == "secretariat"
        assert_verifies()

    def test_an_unchanged_save_logs_nothing_whoever_saves(self, secretariat, wb_rta):
        request = admin_request(secretariat)
        admin_site._registry[Commitment].save_related(request, saved_form(wb_rta), [], True)
        count = len(entries("commitment.changed", wb_rta.pk))
        admin_site._registry[Commitment].save_related(request, saved_form(wb_rta), [], True)
        assert len(entries("commitment.changed", wb_rta.pk)) == count


class TestWhoSeesTheAudit:
    def test_an_endpoint_change_is_for_its_state_and_the_secretariat(
        self, api, secretariat, liaison_hr, liaison_rs
    ):
        endpoint = services.create_email_endpoint(
            state=State.objects.get(pk="HR"), email="desk@hr.example", by=secretariat
        )
        [entry] = entries("endpoint.changed", endpoint.pk)
        for who, visible in ((liaison_hr, True), (liaison_rs, False), (secretariat, True)):
            rows = api.as_user(who).get(
                f"/api/v1/ledger/entries/?start={entry.index}&end={entry.index + 1}"
            )
            assert (rows.json()["entries"][0]["payload"] is not None) is visible, who


class _NoMessages:
    """The admin's actions add messages; these tests read the log, not the messages."""

    def add(self, *args, **kwargs) -> None:
        return None


def test_the_web_pages_of_the_secretariat_log_resumption(secretariat):
    endpoint = services.create_email_endpoint(
        state=State.objects.get(pk="AL"), email="al@al.example", by=secretariat
    )
    services.suspend_endpoint(endpoint, reason="Bounced.")
    client = Client()
    client.force_login(secretariat)
    assert client.post(f"/endpoints/{endpoint.pk}/resume/").status_code == 302
    last = entries("endpoint.changed", endpoint.pk)[-1]
    assert (data_of(last)["action"], data_of(last)["changed_by"]) == ("resumed", "secretariat")
