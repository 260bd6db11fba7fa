"""The outbox and its sending, in-process against a real local HTTP receiver."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from notifications import dispatch, http, services
from notifications.models import Alert, Delivery, Endpoint
from tests.factories import annual_calendar, file, file_exercise, procurement_plan

pytestmark = pytest.mark.django_db


def webhook_deliveries(version) -> list[Delivery]:
    return list(
        Delivery.objects.filter(version=version, endpoint__kind="webhook").select_related(
            "endpoint"
        )
    )


def send_due(version) -> None:
    """Make the version's webhook deliveries due now and send them, as a worker would."""
    Delivery.objects.filter(version=version, status="pending").update(
        next_attempt_at=timezone.now()
    )
    dispatch.deliver([d.pk for d in webhook_deliveries(version)])


def refreshed(delivery: Delivery) -> Delivery:
    return Delivery.objects.select_related("endpoint").get(pk=delivery.pk)


class TestOutbox:
    def test_filing_writes_a_delivery_per_recipient_and_channel(self, liaison_rs, wb_rta, webhooks):
        version = file_exercise(liaison_rs, wb_rta).version
        rows = Delivery.objects.filter(version=version)
        recipients = ["AL", "BA", "HR", "ME", "MK", "XK"]
        assert (
            sorted(rows.filter(endpoint__kind="webhook").values_list("recipient", flat=True))
            == recipients
        )
        inbox = rows.filter(endpoint__kind="inbox")
        assert inbox.count() == 6 and set(inbox.values_list("status", flat=True)) == {"delivered"}
        assert set(rows.filter(endpoint__kind="webhook").values_list("status", flat=True)) == {
            "pending"
        }
        assert not rows.filter(recipient="RS").exists()

    def test_a_recipient_without_an_inbox_gets_one_and_each_delivery_once(
        self, liaison_rs, wb_rta, webhooks
    ):
        Endpoint.objects.filter(state_id="HR", kind="inbox").delete()  # a newly added state
        version = file_exercise(liaison_rs, wb_rta).version
        to_croatia = Delivery.objects.filter(version=version, recipient="HR")
        assert sorted(to_croatia.values_list("endpoint__kind", "status")) == [
            ("inbox", "delivered"),
            ("webhook", "pending"),
        ]
        assert Endpoint.objects.filter(state_id="HR", kind="inbox").count() == 1
        assert Delivery.objects.filter(version=version).count() == 12

    def test_a_suspended_endpoint_gets_held_deliveries(self, liaison_rs, wb_rta, webhooks):
        services.suspend_endpoint(webhooks["HR"], reason="maintenance")
        version = file_exercise(liaison_rs, wb_rta).version
        held = Delivery.objects.get(version=version, endpoint=webhooks["HR"])
        assert held.status == "held"
        services.resume_endpoint(webhooks["HR"])
        assert refreshed(held).status == "pending"


class TestSigning:
    def test_the_receiver_verifies_both_signatures(
        self, liaison_rs, wb_rta, webhooks, receiver, api
    ):
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        public_key = api.get("/api/v1/keys/").json()["webhook"]["public_key"]
        verifier = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(public_key.removeprefix("whpk_"))
        )
        for code, endpoint in webhooks.items():
            if code == "RS":
                continue
            (request,) = receiver.at(f"/{code}")
            payload = Webhook(endpoint.secret).verify(request.body, request.headers)
            signed = (
                f"{request.webhook_id}.{request.headers['webhook-timestamp']}.".encode()
                + request.body
            )
            v1a = [s for s in request.headers["webhook-signature"].split() if s.startswith("v1a,")]
            verifier.verify(base64.b64decode(v1a[0][4:]), signed)  # raises if forged
            assert payload["type"] == "notice.filed"
            assert payload["data"]["reference"] == version.notice.reference
            assert payload["data"]["exercise"]["troops"] == version.exercise.troops
            assert "/api/v1/acknowledgements/signed/" in payload["data"]["acknowledge_url"]
        assert {d.status for d in webhook_deliveries(version)} == {"delivered"}

    def test_every_kind_of_notice_carries_its_content(self, liaison_rs, wb_rta, webhooks, receiver):
        year = timezone.localdate().year + 1
        plan = file(liaison_rs, wb_rta, "procurement_plan", procurement_plan(year)).version
        calendar = file(liaison_rs, wb_rta, "annual_calendar", annual_calendar(year)).version
        send_due(plan)
        send_due(calendar)
        plan_body, calendar_body = (request.json for request in receiver.at("/HR"))
        assert plan_body["data"]["procurement_plan"]["items"][0]["system"] == "Lazar 3 APC"
        assert calendar_body["data"]["annual_calendar"]["entries"][0]["name"] == "Spring Shield"
        for body, version in ((plan_body, plan), (calendar_body, calendar)):
            assert body["data"]["version"] == version.number
            assert body["data"]["recipients"] == ["AL", "BA", "HR", "ME", "MK", "XK"]
            assert body["data"]["acknowledge_url"].startswith("http")

    def test_rotation_signs_with_old_and_new_secret_for_the_overlap(
        self, liaison_rs, wb_rta, webhooks, receiver
    ):
        old_secret = webhooks["HR"].secret
        endpoint = services.rotate_secret(webhooks["HR"])
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        (request,) = receiver.at("/HR")
        assert request.headers["webhook-signature"].count("v1,") == 2
        Webhook(old_secret).verify(request.body, request.headers)
        Webhook(endpoint.secret).verify(request.body, request.headers)
        Endpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        again = file_exercise(liaison_rs, wb_rta).version
        send_due(again)
        assert receiver.at("/HR")[-1].headers["webhook-signature"].count("v1,") == 1


class TestCost:
    def test_a_batch_costs_the_same_queries_however_many_deliveries(
        self, liaison_rs, wb_rta, webhooks, receiver
    ):
        def queries_to_deliver() -> int:
            version = file_exercise(liaison_rs, wb_rta).version
            ids = [d.pk for d in webhook_deliveries(version)]
            with CaptureQueriesContext(connection) as queries:
                assert dispatch.deliver(ids) == len(ids)
            return len(queries)

        six = queries_to_deliver()
        for code, endpoint in webhooks.items():  # a second system for every state
            services.create_webhook_endpoint(state=endpoint.state, url=receiver.url(f"/{code}2"))
        assert queries_to_deliver() == six

    def test_slow_endpoints_are_waited_for_together_not_in_turn(
        self, liaison_rs, wb_rta, webhooks, receiver
    ):
        for code in ("BA", "HR", "ME"):
            receiver.script(f"/{code}", delay=0.6)
        version = file_exercise(liaison_rs, wb_rta).version
        began = time.monotonic()
        send_due(version)
        assert time.monotonic() - began < 1.2  # one after the other: 1.8 s
        assert len(receiver.received) == 6

    def test_fast_endpoints_are_sent_to_by_one_thread(self, liaison_rs, wb_rta, webhooks, receiver):
        threads, send_one = set(), dispatch.send_one

        def noting_the_thread(delivery, message):
            threads.add(threading.get_ident())
            return send_one(delivery, message)

        version = file_exercise(liaison_rs, wb_rta).version
        with (
            mock.patch.object(dispatch, "send_one", noting_the_thread),
            mock.patch.object(dispatch, "SLOW_SEND_SECONDS", 2.0),  # none is that slow here
        ):
            send_due(version)
        assert len(receiver.received) == 6 and threads == {threading.get_ident()}


class TestOutcomes:
    def test_500_then_200_is_delivered_with_the_same_webhook_id(
        self, liaison_rs, wb_rta, webhooks, receiver
    ):
        receiver.script("/HR", 500)
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        delivery = Delivery.objects.get(version=version, endpoint=webhooks["HR"])
        assert delivery.status == "pending" and delivery.retry_step == 1
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 3.5 < wait < 6.5  # 5 s ± 20 %
        send_due(version)
        delivery = refreshed(delivery)
        assert delivery.status == "delivered" and delivery.attempts == 2
        assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
        first, second = receiver.at("/HR")
        assert first.webhook_id == second.webhook_id == delivery.webhook_id

    def test_410_suspends_the_endpoint_and_alerts(self, liaison_rs, wb_rta, webhooks, receiver):
        receiver.script("/HR", 410)
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        assert Endpoint.objects.get(pk=webhooks["HR"].pk).status == "suspended"
        assert Delivery.objects.get(version=version, endpoint=webhooks["HR"]).status == "held"
        assert Alert.objects.filter(audience="secretariat", kind="endpoint_suspended").count() == 1
        later = file_exercise(liaison_rs, wb_rta).version
        assert Delivery.objects.get(version=later, endpoint=webhooks["HR"]).status == "held"

    @pytest.mark.parametrize("code", [429, 503])
    def test_retry_after_is_honoured_within_bounds(
        self, code, liaison_rs, wb_rta, webhooks, receiver
    ):
        receiver.script("/HR", (code, {"Retry-After": "120"}))
        receiver.script("/AL", (code, {"Retry-After": "99999999"}))
        version = file_exercise(liaison_rs, wb_rta).version
        now = timezone.now()
        send_due(version)
        hr = Delivery.objects.get(version=version, endpoint=webhooks["HR"])
        al = Delivery.objects.get(version=version, endpoint=webhooks["AL"])
        assert abs((hr.next_attempt_at - now).total_seconds() - 120) < 5
        assert abs((al.next_attempt_at - now).total_seconds() - 86400) < 5

    def test_redirects_are_not_followed(self, liaison_rs, wb_rta, webhooks, receiver):
        receiver.script("/HR", (302, {"Location": receiver.url("/AL")}))
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        assert Delivery.objects.get(version=version, endpoint=webhooks["HR"]).status == "pending"
        assert len(receiver.at("/AL")) == 1  # only its own delivery

    def test_exhausted_delivery_fails_alerts_and_can_be_replayed(
        self, settings, liaison_rs, wb_rta, webhooks, receiver
    ):
        settings.DELIVERY_RETRY_SCHEDULE = [0, 1]
        receiver.script("/HR", 500, 500)
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        send_due(version)
        delivery = Delivery.objects.get(version=version, endpoint=webhooks["HR"])
        assert delivery.status == "failed" and delivery.attempts == 2
        assert Alert.objects.filter(audience="secretariat", kind="delivery_failed").exists()
        monitors = Alert.objects.get(audience="monitors", kind="delivery_failed")
        assert monitors.commitment == wb_rta
        assert services.replay_delivery(delivery) == 1
        dispatch.deliver([delivery.pk])
        assert refreshed(delivery).status == "delivered"
        assert len(receiver.at("/HR")) == 3

    def test_timeouts_and_connection_errors_are_retried(self, liaison_rs, wb_rta, webhooks):
        timeout = http.HttpResult(
            status_code=None, duration_ms=15000, error="ReadTimeout: timed out"
        )
        version = file_exercise(liaison_rs, wb_rta).version
        with mock.patch.object(http, "post", return_value=timeout):
            send_due(version)
        delivery = Delivery.objects.get(version=version, endpoint=webhooks["HR"])
        assert delivery.status == "pending" and "ReadTimeout" in delivery.last_error
        attempt = delivery.attempt_log.get()
        assert attempt.status_code is None and attempt.duration_ms == 15000

    def test_unreachable_endpoint(self, liaison_rs, wb_rta, seeded):
        from registry.models import State

        endpoint = services.create_webhook_endpoint(
            state=State.objects.get(code="HR"), url="http://127.0.0.1:9/closed"
        )
        version = file_exercise(liaison_rs, wb_rta).version
        send_due(version)
        delivery = Delivery.objects.get(version=version, endpoint=endpoint)
        assert delivery.status == "pending" and delivery.last_error

    def test_response_excerpt_is_kept_to_8_kb(self, liaison_rs, wb_rta, webhooks):
        long_answer = http.HttpResult(status_code=500, duration_ms=3, body="x" * 8192)
        version = file_exercise(liaison_rs, wb_rta).version
        with mock.patch.object(http, "post", return_value=long_answer):
            send_due(version)
        attempt = Delivery.objects.get(version=version, endpoint=webhooks["HR"]).attempt_log.get()
        assert len(attempt.response_excerpt) == 8192


class TestRecovery:
    def test_a_claimed_delivery_is_not_sent_twice(self, liaison_rs, wb_rta, webhooks, receiver):
        version = file_exercise(liaison_rs, wb_rta).version
        ids = [d.pk for d in webhook_deliveries(version)]
        assert sorted(dispatch.claim(ids)) == sorted(ids)
        assert dispatch.claim(ids) == []
        assert dispatch.deliver(ids) == 0
        assert receiver.received == []

    def test_expired_leases_become_due_again(self, liaison_rs, wb_rta, webhooks, receiver):
        version = file_exercise(liaison_rs, wb_rta).version
        ids = dispatch.claim([d.pk for d in webhook_deliveries(version)])  # a worker that died
        Delivery.objects.filter(id__in=ids).update(
            lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        assert dispatch.release_expired_leases(timezone.now()) == len(ids)
        assert dispatch.deliver(ids) == len(ids)

    def test_sweeper_leaves_fresh_deliveries_to_their_task(
        self, settings, liaison_rs, wb_rta, webhooks
    ):
        version = file_exercise(liaison_rs, wb_rta).version
        assert dispatch.sweep() == 0
        Delivery.objects.filter(version=version).update(
            created_at=timezone.now()
            - dt.timedelta(seconds=settings.DELIVERY_SWEEP_GRACE_SECONDS + 1)
        )
        assert dispatch.sweep() == 6

    def test_endpoint_failing_for_days_is_suspended(self, settings, webhooks):
        endpoint = webhooks["HR"]
        days = settings.DELIVERY_SUSPEND_AFTER_FAILING_DAYS
        Endpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - dt.timedelta(days=days, minutes=1)
        )
        Endpoint.objects.filter(pk=webhooks["AL"].pk).update(
            failing_since=timezone.now() - dt.timedelta(days=days - 1)
        )
        dispatch.sweep()
        assert Endpoint.objects.get(pk=endpoint.pk).status == "suspended"
        assert Endpoint.objects.get(pk=webhooks["AL"].pk).status == "active"

    def test_replay_of_an_endpoint_since_a_time(self, liaison_rs, wb_rta, webhooks, receiver):
        before = file_exercise(liaison_rs, wb_rta).version
        send_due(before)
        since = timezone.now()
        after = file_exercise(liaison_rs, wb_rta).version
        send_due(after)
        assert services.replay_endpoint(webhooks["HR"], since) == 1
        dispatch.deliver(
            list(Delivery.objects.filter(endpoint=webhooks["HR"]).values_list("id", flat=True))
        )
        assert len(receiver.at("/HR")) == 3


def test_email_points_of_contact(liaison_rs, wb_rta, seeded):
    from registry.models import State

    services.create_email_endpoint(state=State.objects.get(code="ME"), email="duty@mod.gov.me")
    version = file_exercise(liaison_rs, wb_rta).version
    email_delivery = Delivery.objects.get(version=version, endpoint__kind="email")
    dispatch.deliver([email_delivery.pk])
    assert refreshed(email_delivery).status == "delivered"
    (message,) = mail.outbox
    assert message.to == ["duty@mod.gov.me"]
    assert version.notice.reference in message.subject
