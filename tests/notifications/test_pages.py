"""The notifications pages: inbox, acknowledging, asking and answering, deliveries, health."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from notifications import services
from notifications.models import Acknowledgement, Clarification, Delivery, Endpoint
from tests.conftest import PASSWORD, user
from tests.factories import file_exercise

pytestmark = pytest.mark.django_db


def client_for(who) -> Client:
    client = Client()
    assert client.login(username=who.username, password=PASSWORD)
    return client


@pytest.fixture
def notice(liaison_rs, wb_rta):
    return file_exercise(liaison_rs, wb_rta).notice


class TestInbox:
    def test_lists_received_versions_and_acknowledges_from_the_list(self, notice, official_hr):
        client = client_for(official_hr)
        page = client.get("/inbox/")
        assert page.status_code == 200
        assert notice.reference in page.content.decode()
        assert "Not yet acknowledged" in page.content.decode()
        response = client.post(
            f"/notices/{notice.pk}/acknowledge/", {"version": 1, "next": "/inbox/"}, follow=True
        )
        assert response.redirect_chain[-1][0] == "/inbox/"
        assert f"Acknowledged {notice.reference} version 1." in response.content.decode()
        assert Acknowledgement.objects.get().route == "web"
        assert "Acknowledged" in client.get("/inbox/?status=acknowledged").content.decode()

    def test_overdue_items_are_marked_in_words(self, notice, official_hr):
        Delivery.objects.filter(endpoint__kind="inbox").update(
            delivered_at=timezone.now() - dt.timedelta(hours=80)
        )
        page = client_for(official_hr).get("/inbox/?status=overdue").content.decode()
        assert notice.reference in page and "Overdue" in page

    def test_an_empty_inbox_says_so(self, seeded):
        page = client_for(user("al-official")).get("/inbox/").content.decode()
        assert "has not received any notice yet" in page

    def test_a_foreign_redirect_target_is_ignored(self, notice, official_hr):
        response = client_for(official_hr).post(
            f"/notices/{notice.pk}/acknowledge/", {"version": 1, "next": "https://evil.example/"}
        )
        assert response["Location"] == f"/notices/{notice.pk}/"

    def test_the_wrong_state_cannot_acknowledge_through_the_page(
        self, liaison_rs, vd11, official_xk
    ):
        vd11_notice = file_exercise(liaison_rs, vd11).notice
        response = client_for(official_xk).post(
            f"/notices/{vd11_notice.pk}/acknowledge/", {"version": 1}
        )
        assert response.status_code == 404
        response = client_for(user("rs-official")).post(
            f"/notices/{vd11_notice.pk}/acknowledge/", {"version": 1}
        )
        assert response.status_code == 403


class TestClarificationPages:
    def test_ask_then_answer(self, notice, official_hr, liaison_rs):
        asker = client_for(official_hr)
        assert asker.get(f"/notices/{notice.pk}/ask/").status_code == 200
        response = asker.post(
            f"/notices/{notice.pk}/ask/", {"version": 1, "question": "How many tanks?"}, follow=True
        )
        assert "Your question was sent" in response.content.decode()
        clarification = Clarification.objects.get()
        answerer = client_for(liaison_rs)
        assert "How many tanks?" in answerer.get("/inbox/").content.decode()
        response = answerer.post(
            f"/clarifications/{clarification.pk}/answer/", {"answer": "Twelve."}, follow=True
        )
        assert "Your answer was sent" in response.content.decode()
        clarification.refresh_from_db()
        assert clarification.answer == "Twelve." and clarification.answered_by == liaison_rs

    def test_an_empty_question_is_refused_and_kept(self, notice, official_hr):
        response = client_for(official_hr).post(
            f"/notices/{notice.pk}/ask/", {"version": 1, "question": ""}
        )
        assert response.status_code == 200 and "This field is required" in response.content.decode()
        assert not Clarification.objects.exists()

    def test_another_states_liaison_cannot_answer(self, notice, official_hr):
        clarification = services.ask_clarification(
            user=official_hr, version=notice.current_version, question="Where?"
        )
        response = client_for(user("ba-liaison")).post(
            f"/clarifications/{clarification.pk}/answer/", {"answer": "Here."}
        )
        assert response.status_code == 403


class TestDeliveryPages:
    def test_the_filing_state_sees_the_matrix(self, notice, liaison_rs, official_hr):
        page = client_for(liaison_rs).get(f"/notices/{notice.pk}/deliveries/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "Croatia" in body and "Registry inbox" in body and "Delivered" in body
        assert client_for(official_hr).get(f"/notices/{notice.pk}/deliveries/").status_code == 403

    def test_secretariat_health_page_replays_and_resumes(self, secretariat, webhooks, notice):
        services.suspend_endpoint(webhooks["HR"], reason="maintenance")
        Delivery.objects.filter(endpoint=webhooks["AL"]).update(status="failed", attempts=10)
        client = client_for(secretariat)
        body = client.get("/deliveries/health/").content.decode()
        assert "Suspended" in body and "maintenance" in body and "Failed" in body
        failed = Delivery.objects.get(endpoint=webhooks["AL"])
        response = client.post(f"/deliveries/{failed.pk}/replay/", follow=True)
        assert f"Delivery {failed.pk} will be sent again now." in response.content.decode()
        assert Delivery.objects.get(pk=failed.pk).status == "pending"
        client.post(f"/endpoints/{webhooks['HR'].pk}/resume/")
        assert Endpoint.objects.get(pk=webhooks["HR"].pk).status == "active"

    def test_only_the_secretariat_sees_health(self, liaison_rs, monitor_eu):
        assert client_for(liaison_rs).get("/deliveries/health/").status_code == 403
        assert client_for(monitor_eu).get("/deliveries/health/").status_code == 403

    def test_alerts_page(self, secretariat, webhooks):
        services.suspend_endpoint(webhooks["HR"], reason="410 Gone")
        assert "410 Gone" in client_for(secretariat).get("/alerts/").content.decode()
