"""Chasing overdue responses: remind the state that owes one, then tell the monitors.

Step 1, past the deadline: the officials of the state that owes the acknowledgement or
the answer are reminded (in the registry and by email). Step 2, at twice the deadline:
the monitors of the commitment are told. A ``Reminder`` row makes each step happen once.
Only the current version of a notice is chased: a newer version supersedes the older.
Imported history is never chased: its deadlines passed before the registry held it.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.messages import NOTICE_EVENTS
from notifications.models import Acknowledgement, Alert, Clarification, Delivery, Endpoint, Reminder
from notifications.services import raise_alert
from registry import rules
from registry.models import Commitment

STEPS = (1, 2)


def send_due_reminders(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    sent = 0
    for commitment in Commitment.objects.all():
        for step in STEPS:
            sent += _chase_acknowledgements(commitment, step, now)
            sent += _chase_answers(commitment, step, now)
    return sent


def overdue_acknowledgements(commitment: Commitment, now: dt.datetime, times: int = 1):
    """Inbox deliveries of current versions received ``times`` deadlines ago, not acknowledged."""
    acknowledged = Acknowledgement.objects.filter(
        version=OuterRef("version"), state=OuterRef("recipient")
    )
    return Delivery.objects.filter(
        endpoint__kind=Endpoint.Kind.INBOX,
        event__in=NOTICE_EVENTS,
        version__notice__commitment=commitment,
        version__notice__imported=False,
        version__notice__current_version=F("version"),
        delivered_at__lte=rules.acknowledgement_overdue_cutoff(commitment, now, times),
    ).exclude(Exists(acknowledged))


def _chase_acknowledgements(commitment: Commitment, step: int, now: dt.datetime) -> int:
    reminded = Reminder.objects.filter(
        version=OuterRef("version"), state=OuterRef("recipient"), step=step
    )
    overdue = (
        overdue_acknowledgements(commitment, now, step)
        .exclude(Exists(reminded))
        .select_related("version__notice")
    )
    sent = 0
    for delivery in overdue:
        if not _record_step(version=delivery.version, state=delivery.recipient_id, step=step):
            continue
        notice = delivery.version.notice
        message = _(
            "%(state)s has not acknowledged %(reference)s v%(version)d within %(hours)d hours."
        ) % {
            "state": delivery.recipient_id,
            "reference": notice.reference,
            "version": delivery.version.number,
            "hours": commitment.acknowledgement_hours * step,
        }
        _alert(step, Alert.Kind.ACKNOWLEDGEMENT_OVERDUE, message, notice, delivery.recipient_id)
        sent += 1
    return sent


def _chase_answers(commitment: Commitment, step: int, now: dt.datetime) -> int:
    reminded = Reminder.objects.filter(clarification=OuterRef("pk"), step=step)
    overdue = (
        Clarification.objects.filter(
            answered_at__isnull=True,
            version__notice__commitment=commitment,
            version__notice__imported=False,
            asked_at__lte=rules.clarification_overdue_cutoff(commitment, now, step),
        )
        .exclude(Exists(reminded))
        .select_related("version__notice")
    )
    sent = 0
    for clarification in overdue:
        notice = clarification.version.notice
        if not _record_step(clarification=clarification, state=notice.state_id, step=step):
            continue
        message = _(
            "%(state)s has not answered a clarification on %(reference)s within %(hours)d hours."
        ) % {
            "state": notice.state_id,
            "reference": notice.reference,
            "hours": commitment.clarification_hours * step,
        }
        _alert(step, Alert.Kind.ANSWER_OVERDUE, message, notice, notice.state_id)
        sent += 1
    return sent


def _record_step(*, state: str, step: int, version=None, clarification=None) -> bool:
    """Record the step; ``False`` if another sweeper recorded it first."""
    try:
        with transaction.atomic():
            Reminder.objects.create(
                version=version, clarification=clarification, state_id=state, step=step
            )
    except IntegrityError:
        return False
    return True


def _alert(step: int, kind: str, message: str, notice, owing_state: str) -> None:
    link = reverse("notice-detail", args=[notice.pk])
    if step == 1:
        raise_alert(Alert.Audience.STATE, kind, message, link=link, state_id=owing_state)
    else:
        raise_alert(Alert.Audience.MONITORS, kind, message, link=link, commitment=notice.commitment)
