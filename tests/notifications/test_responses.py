"""Acknowledgements, clarifications and reminders, through services, the API and signed links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications import dispatch, reminders, services
from notifications.links import acknowledgement_token
from notifications.models import Acknowledgement, Alert, Clarification, Delivery, Reminder
from registry.services import NotPermitted, amend_notice
from tests.conftest import user
from tests.factories import exercise, file_exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(liaison_rs, wb_rta):
    """Serbia's WB-RTA exercise: every other state receives it."""
    return file_exercise(liaison_rs, wb_rta).notice


def ack_url(notice) -> str:
    return f"/api/v1/notices/{notice.pk}/acknowledge/"


class TestAcknowledgements:
    def test_a_recipient_acknowledges_once(self, api, notice, official_hr):
        client = api.as_user(official_hr)
        first = client.post(ack_url(notice), {"version": 1, "comment": "Received."}, format="json")
        again = client.post(ack_url(notice), {"version": 1}, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert first.json()["route"] == "api" and first.json()["acknowledged_by"] == "hr-official"
        assert first.json()["comment"] == "Received."

    def test_received_and_acknowledged_are_separate_facts(self, api, notice, official_hr):
        client = api.as_user(official_hr)
        item = client.get("/api/v1/inbox/").json()["results"][0]
        assert item["reference"] == notice.reference and item["received_at"]
        assert item["acknowledged_at"] is None and item["overdue"] is False
        client.post(ack_url(notice), {"version": 1}, format="json")
        item = client.get("/api/v1/inbox/?status=acknowledged").json()["results"][0]
        assert item["acknowledged_at"] is not None
        assert client.get("/api/v1/inbox/?status=new").json()["count"] == 0

    def test_the_wrong_state_cannot_acknowledge(
        self, api, liaison_rs, vd11, official_xk, monitor_eu
    ):
        vd11_notice = file_exercise(liaison_rs, vd11).notice
        xk = api.as_user(official_xk).post(ack_url(vd11_notice), {"version": 1}, format="json")
        assert xk.status_code == 404  # Kosovo takes no part in VD11: it cannot even see it
        own = api.as_user(user("rs-official")).post(
            ack_url(vd11_notice), {"version": 1}, format="json"
        )
        assert own.status_code == 403  # the filing state is not a recipient
        monitor = api.as_user(monitor_eu).post(ack_url(vd11_notice), {"version": 1}, format="json")
        assert monitor.status_code == 403
        liaison = api.as_user(user("hr-liaison")).post(
            ack_url(vd11_notice), {"version": 1}, format="json"
        )
        assert liaison.status_code == 403  # acknowledging is the counterpart's role
        assert not Acknowledgement.objects.exists()

    def test_an_unknown_version_is_404(self, api, notice, official_hr):
        response = api.as_user(official_hr).post(ack_url(notice), {"version": 7}, format="json")
        assert response.status_code == 404

    def test_the_signed_link_acknowledges_without_a_login(self, api, notice):
        token = acknowledgement_token(notice.current_version.pk, "ME")
        response = api.post(f"/api/v1/acknowledgements/signed/{token}/")
        assert response.status_code == 201
        acknowledgement = Acknowledgement.objects.get()
        assert acknowledgement.state_id == "ME" and acknowledgement.route == "signed_url"
        assert acknowledgement.acknowledged_by is None
        assert api.post(f"/api/v1/acknowledgements/signed/{token}/").status_code == 200

    def test_a_forged_or_foreign_link_is_refused(self, api, notice, liaison_rs, vd11):
        token = acknowledgement_token(notice.current_version.pk, "ME")
        assert api.post(f"/api/v1/acknowledgements/signed/{token[:-2]}xx/").status_code == 403
        vd11_version = file_exercise(liaison_rs, vd11).version
        not_recipient = acknowledgement_token(vd11_version.pk, "XK")
        assert api.post(f"/api/v1/acknowledgements/signed/{not_recipient}/").status_code == 403

    def test_the_webhook_carries_a_working_link(self, api, webhooks, notice, receiver, settings):
        dispatch.deliver(
            list(Delivery.objects.filter(endpoint__kind="webhook").values_list("id", flat=True))
        )
        link = receiver.at("/BA")[0].json["data"]["acknowledge_url"]
        path = link.removeprefix(settings.REGISTRY_BASE_URL)
        assert api.post(path).status_code == 201
        assert Acknowledgement.objects.get().state_id == "BA"


class TestClarifications:
    def ask(self, api, notice, who, question="Which units take part?"):
        return api.as_user(who).post(
            f"/api/v1/notices/{notice.pk}/clarifications/", {"question": question}, format="json"
        )

    def test_ask_and_answer_are_delivered_both_ways(
        self, api, notice, official_hr, liaison_rs, wb_rta
    ):
        asked = self.ask(api, notice, official_hr)
        assert asked.status_code == 201
        clarification = Clarification.objects.get()
        assert clarification.answer_due_at - clarification.asked_at == dt.timedelta(hours=48)
        to_rs = Delivery.objects.filter(clarification=clarification, event="clarification.asked")
        assert set(to_rs.values_list("recipient", flat=True)) == {"RS"}

        answered = api.as_user(liaison_rs).post(
            f"/api/v1/clarifications/{clarification.pk}/answer/",
            {"answer": "The 72nd brigade."},
            format="json",
        )
        assert answered.status_code == 200 and answered.json()["answer"] == "The 72nd brigade."
        to_hr = Delivery.objects.filter(clarification=clarification, event="clarification.answered")
        assert set(to_hr.values_list("recipient", flat=True)) == {"HR"}

    def test_clarification_webhooks(self, api, webhooks, notice, official_hr, receiver):
        self.ask(api, notice, official_hr)
        clarification = Clarification.objects.get()
        asked_id = Delivery.objects.get(clarification=clarification, endpoint__kind="webhook").pk
        dispatch.deliver([asked_id])
        payload = receiver.at("/RS")[-1].json
        assert payload["type"] == "clarification.asked"
        assert payload["data"]["clarification"]["question"] == "Which units take part?"
        assert payload["data"]["notice"]["reference"] == notice.reference

    def test_only_the_filing_states_liaison_answers_once(
        self, api, notice, official_hr, liaison_rs
    ):
        self.ask(api, notice, official_hr)
        clarification = Clarification.objects.get()
        url = f"/api/v1/clarifications/{clarification.pk}/answer/"
        other = api.as_user(user("hr-liaison"))
        assert other.post(url, {"answer": "x"}, format="json").status_code == 403
        assert other.post(url, {}, format="json").status_code == 403  # refused before the body
        rs = api.as_user(liaison_rs)
        assert rs.post(url, {"answer": "First"}, format="json").status_code == 200
        assert rs.post(url, {"answer": "Second"}, format="json").status_code == 400

    def test_monitors_see_both_and_cannot_ask(self, api, notice, official_hr, monitor_eu):
        self.ask(api, notice, official_hr)
        monitor = api.as_user(monitor_eu)
        listed = monitor.get("/api/v1/clarifications/").json()
        assert listed["count"] == 1
        assert self.ask(api, notice, monitor_eu).status_code == 403

    def test_a_question_needs_text(self, api, notice, official_hr):
        assert self.ask(api, notice, official_hr, question="").status_code == 400


def age_inbox(notice, hours: float) -> None:
    Delivery.objects.filter(version=notice.current_version, endpoint__kind="inbox").update(
        delivered_at=timezone.now() - dt.timedelta(hours=hours)
    )


class TestReminders:
    def test_overdue_acknowledgements_remind_then_escalate_once(self, notice, wb_rta, official_hr):
        services.acknowledge(version=notice.current_version, user=official_hr, route="web")
        age_inbox(notice, 71)
        assert reminders.send_due_reminders() == 0
        age_inbox(notice, 73)
        assert reminders.send_due_reminders() == 5  # six recipients, Croatia acknowledged
        assert reminders.send_due_reminders() == 0
        states = set(
            Alert.objects.filter(kind="ack_overdue", audience="state").values_list(
                "state", flat=True
            )
        )
        assert states == {"AL", "BA", "ME", "MK", "XK"}
        age_inbox(notice, 145)
        assert reminders.send_due_reminders() == 5
        assert (
            Alert.objects.filter(kind="ack_overdue", audience="monitors", commitment=wb_rta).count()
            == 5
        )
        assert Reminder.objects.count() == 10

    def test_officials_with_an_address_are_emailed(self, notice, seeded):
        official = user("me-official")
        official.email = "duty@mod.gov.me"
        official.save()
        age_inbox(notice, 80)
        reminders.send_due_reminders()
        assert any("duty@mod.gov.me" in message.to for message in mail.outbox)

    def test_superseded_versions_are_not_chased(self, notice, liaison_rs):
        age_inbox(notice, 100)
        start = notice.current_version.exercise.start_date
        amend_notice(
            user=liaison_rs,
            notice=notice,
            content=exercise(start=start, troops=4000),
            reason="More",
        )
        assert reminders.send_due_reminders() == 0

    def test_unanswered_questions_remind_the_filing_state(self, notice, official_hr):
        clarification = services.ask_clarification(
            user=official_hr, version=notice.current_version, question="Where exactly?"
        )
        Clarification.objects.filter(pk=clarification.pk).update(
            asked_at=timezone.now() - dt.timedelta(hours=49)
        )
        assert reminders.send_due_reminders() == 1
        alert = Alert.objects.get(kind="answer_overdue")
        assert alert.audience == "state" and alert.state_id == "RS"


class TestDeliveryApi:
    def test_the_filing_state_sees_the_matrix_recipients_do_not(
        self, api, notice, liaison_rs, official_hr
    ):
        matrix = api.as_user(liaison_rs).get(f"/api/v1/notices/{notice.pk}/deliveries/")
        assert matrix.status_code == 200
        assert {d["recipient"] for d in matrix.json()["deliveries"]} == {
            "AL",
            "BA",
            "HR",
            "ME",
            "MK",
            "XK",
        }
        denied = api.as_user(official_hr).get(f"/api/v1/notices/{notice.pk}/deliveries/")
        assert denied.status_code == 403

    def test_secretariat_manages_endpoints(self, api, secretariat, seeded, liaison_rs):
        client = api.as_user(secretariat)
        created = client.post(
            "/api/v1/endpoints/",
            {"state": "HR", "kind": "webhook", "url": "https://mod.hr/registry", "label": "MORH"},
            format="json",
        )
        assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
        endpoint_id = created.json()["id"]
        assert "secret" not in client.get(f"/api/v1/endpoints/{endpoint_id}/").json()
        rotated = client.post(f"/api/v1/endpoints/{endpoint_id}/rotate-secret/").json()
        assert rotated["secret"] != created.json()["secret"]
        assert (
            client.post(f"/api/v1/endpoints/{endpoint_id}/suspend/").json()["status"] == "suspended"
        )
        assert client.post(f"/api/v1/endpoints/{endpoint_id}/resume/").json()["status"] == "active"
        replay = client.post(
            f"/api/v1/endpoints/{endpoint_id}/replay/",
            {"since": "2020-01-01T00:00:00Z"},
            format="json",
        )
        assert replay.json() == {"replayed": 0}
        assert api.as_user(liaison_rs).get("/api/v1/endpoints/").status_code == 403

    def test_an_inbox_cannot_be_created_or_an_endpoint_without_url(self, api, secretariat):
        client = api.as_user(secretariat)
        assert (
            client.post(
                "/api/v1/endpoints/", {"state": "HR", "kind": "inbox"}, format="json"
            ).status_code
            == 400
        )

    def test_secretariat_lists_and_replays_deliveries(self, api, secretariat, webhooks, notice):
        client = api.as_user(secretariat)
        listed = client.get("/api/v1/deliveries/?channel=webhook&recipient=HR").json()
        assert listed["count"] == 1
        delivery_id = listed["results"][0]["id"]
        assert client.get(f"/api/v1/deliveries/{delivery_id}/").json()["attempt_log"] == []
        assert client.post(f"/api/v1/deliveries/{delivery_id}/replay/").json() == {"replayed": 1}

    def test_public_key_is_published(self, api):
        key = api.get("/api/v1/keys/").json()["webhook"]
        assert key["public_key"].startswith("whpk_") and key["signature_version"] == "v1a"


def test_services_refuse_non_recipients(notice, seeded):
    with pytest.raises(NotPermitted):
        services.acknowledge(version=notice.current_version, user=user("rs-official"), route="web")


def test_imported_history_is_never_chased(seeded, wb_rta):
    from registry.models import State
    from registry.services.history import HistoricalNotice, HistoricalVersion, import_notice
    from tests.factories import exercise as exercise_content

    filed_at = timezone.now() - dt.timedelta(days=30)
    import_notice(
        HistoricalNotice(
            state=State.objects.get(pk="RS"),
            commitment=wb_rta,
            kind="exercise",
            client_ref="old-1",
            filed_by=user("rs-liaison"),
            versions=[HistoricalVersion(filed_at, "filed", exercise_content(troops=3000))],
        )
    )
    assert reminders.send_due_reminders() == 0
