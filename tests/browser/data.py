"""Data the browser tests set up: a small world of notices, responses and a failed delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from notifications import services as notifications
from notifications.models import Delivery, Event
from registry import services
from registry.models import Finding, Notice, State
from tests import factories
from tests.conftest import user
from tests.factories import file, file_exercise


def failed_webhook_delivery(notice: Notice, state_code: str, url: str) -> Delivery:
    """A webhook delivery of the notice's current version that failed every attempt, with the
    alert the dispatcher raises then (as if the receiving system had been down for a day)."""
    endpoint = notifications.create_webhook_endpoint(
        state=State.objects.get(pk=state_code), url=url, label=f"{state_code} national system"
    )
    delivery = Delivery.objects.create(
        event=Event.NOTICE_FILED,
        version=notice.current_version,
        recipient_id=state_code,
        endpoint=endpoint,
        status=Delivery.Status.FAILED,
        attempts=10,
        retry_step=10,
        last_status_code=503,
        last_error="HTTP 503 Service Unavailable",
        created_at=timezone.now() - dt.timedelta(days=1),
    )
    notifications.alert_delivery_failed(delivery)
    return delivery


@dataclass
class World:
    exercise: Notice  # Serbia's, amended once, with an open question from Croatia
    plan: Notice
    croatian: Notice
    question_id: int
    delivery: Delivery


def small_world(wb_rta) -> World:
    """Serbia's amended exercise and a procurement plan, Croatia's exercise, a question, a
    finding, and a failed webhook delivery: enough for every page to show its parts."""
    rs, hr, eu = user("rs-liaison"), user("hr-liaison"), user("eu-monitor")
    start = factories.local_today(wb_rta) + dt.timedelta(days=50)
    exercise = file_exercise(rs, wb_rta, start=start, troops=2400, name="Morava Shield").notice
    services.amend_notice(
        user=rs,
        notice=exercise,
        content=factories.exercise(start=start, troops=2600, name="Morava Shield"),
        reason="More troops.",
    )
    exercise.refresh_from_db()
    plan = file(rs, wb_rta, "procurement_plan", factories.procurement_plan(start.year)).notice
    croatian = file_exercise(hr, wb_rta, start=start, name="Sava Heron").notice
    question = notifications.ask_clarification(
        user=user("hr-official"), version=exercise.current_version, question="Observers?"
    )
    services.record_finding(
        user=eu,
        commitment=wb_rta,
        state=State.objects.get(pk="RS"),
        kind=Finding.Kind.NOTE,
        notice=exercise,
        note="Declared size to be checked against the annual calendar.",
    )
    delivery = failed_webhook_delivery(exercise, "HR", "http://127.0.0.1:9/hook")
    return World(exercise, plan, croatian, question.pk, delivery)
