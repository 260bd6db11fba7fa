"""Writes of the notifications app: acknowledgements, clarifications, endpoints, replays, alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import dispatch
from notifications.models import (
    Acknowledgement,
    Alert,
    Clarification,
    Delivery,
    Endpoint,
    Event,
)
from notifications.signing import generate_secret
from registry import rules
from registry.ledger import events as ledger_events
from registry.models import LedgerKind, NoticeVersion, Official, State
from registry.selectors import official_of
from registry.services import NotPermitted, RegistryError, require_liaison
from registry.services.notices import plain_text

MAX_TEXT = 4000


# --- acknowledgements ----------------------------------------------------------------------


@dataclass(frozen=True)
class AcknowledgementResult:
    acknowledgement: Acknowledgement
    created: bool


def acknowledge(
    *,
    version: NoticeVersion,
    route: str,
    user=None,
    state: State | None = None,
    comment: str = "",
    at: dt.datetime | None = None,
) -> AcknowledgementResult:
    """Record that a recipient state has received ``version``; a repeat returns the first.

    A user acknowledges for their own state; the signed link gives ``state`` without a
    user; an import gives ``state`` and the original time ``at``.
    """
    if user is not None:
        state = require_recipient(user, version, _("acknowledge"))
    elif state is None or not version.recipients.filter(pk=state.pk).exists():
        raise NotPermitted(_("That state is not a recipient of this version."))
    comment = _clean_text(comment, "comment", required=False)
    existing = Acknowledgement.objects.filter(version=version, state=state).first()
    if existing:
        return AcknowledgementResult(existing, created=False)
    try:
        with transaction.atomic():
            acknowledgement = Acknowledgement.objects.create(
                version=version,
                state=state,
                acknowledged_by=user,
                route=route,
                comment=comment,
                acknowledged_at=at or timezone.now(),
            )
            ledger_events.record_acknowledgement(acknowledgement)
    except IntegrityError:
        return AcknowledgementResult(
            Acknowledgement.objects.get(version=version, state=state), False
        )
    return AcknowledgementResult(acknowledgement, created=True)


def require_recipient(user, version: NoticeVersion, action: str) -> State:
    """The user's state, if the user is a counterpart official of a recipient of ``version``."""
    official = official_of(user)
    if official is None or not official.is_counterpart or official.state is None:
        raise NotPermitted(
            _("Only a counterpart official of a recipient state can %(action)s.")
            % {"action": action}
        )
    if not version.recipients.filter(pk=official.state_id).exists():
        raise NotPermitted(
            _("%(state)s is not a recipient of this version.") % {"state": official.state_id}
        )
    return official.state


# --- clarifications ------------------------------------------------------------------------


def ask_clarification(*, user, version: NoticeVersion, question: str) -> Clarification:
    """A recipient state asks the filing state about a version; the question is delivered."""
    state = require_recipient(user, version, _("ask for clarification"))
    question = _clean_text(question, "question")
    now = timezone.now()
    commitment = version.notice.commitment
    with transaction.atomic():
        clarification = Clarification.objects.create(
            version=version,
            asking_state=state,
            question=question,
            asked_by=user,
            asked_at=now,
            answer_due_at=rules.clarification_due_at(commitment, now),
        )
        ledger_events.record_clarification(clarification, LedgerKind.CLARIFICATION_ASKED)
        dispatch.create_deliveries(
            version,
            [version.notice.state_id],
            event=Event.CLARIFICATION_ASKED,
            clarification=clarification,
        )
    return clarification


def require_answerer(user, clarification: Clarification) -> None:
    """Only a liaison of the filing state may answer a question about its notice."""
    official = require_liaison(user)
    if official.state_id != clarification.version.notice.state_id:
        raise NotPermitted(_("Only a liaison of the filing state can answer."))


def answer_clarification(*, user, clarification: Clarification, answer: str) -> Clarification:
    """The filing state answers once; the answer is delivered to the asking state."""
    require_answerer(user, clarification)
    answer = _clean_text(answer, "answer")
    now = timezone.now()
    with transaction.atomic():
        answered = Clarification.objects.filter(
            pk=clarification.pk, answered_at__isnull=True
        ).update(answer=answer, answered_by=user, answered_at=now)
        if not answered:
            raise RegistryError(_("This clarification has already been answered."))
        clarification.refresh_from_db()
        ledger_events.record_clarification(clarification, LedgerKind.CLARIFICATION_ANSWERED)
        dispatch.create_deliveries(
            clarification.version,
            [clarification.asking_state_id],
            event=Event.CLARIFICATION_ANSWERED,
            clarification=clarification,
        )
    return clarification


def _clean_text(text: str, field: str, *, required: bool = True) -> str:
    text = plain_text(text, field)
    if required and not text:
        raise RegistryError(_("This field is required."), {field: [_("This field is required.")]})
    if len(text) > MAX_TEXT:
        message = _("At most %(n)d characters.") % {"n": MAX_TEXT}
        raise RegistryError(message, {field: [message]})
    return text


# --- endpoints (secretariat) ------------------------------------------------------------


def create_webhook_endpoint(*, state: State, url: str, label: str = "", by=None) -> Endpoint:
    """A new webhook endpoint with a fresh signing secret (show it to the state once)."""
    endpoint = Endpoint(
        state=state, kind=Endpoint.Kind.WEBHOOK, url=url, label=label, secret=generate_secret()
    )
    return _save_new_endpoint(endpoint, by)


def create_email_endpoint(*, state: State, email: str, label: str = "", by=None) -> Endpoint:
    endpoint = Endpoint(state=state, kind=Endpoint.Kind.EMAIL, email=email, label=label)
    return _save_new_endpoint(endpoint, by)


def _save_new_endpoint(endpoint: Endpoint, by) -> Endpoint:
    """Validate and save a new endpoint, logged with ``by`` (the secretariat official).

    Every check of the model (a URL the registry may not send to, among them) is a 400
    naming its field.
    """
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        raise RegistryError(next(iter(errors.values()))[0], errors) from exc
    with transaction.atomic():
        endpoint.save()
        ledger_events.record_endpoint_if_changed(endpoint, action="created", by=by)
    return endpoint


def rotate_secret(endpoint: Endpoint, by=None) -> Endpoint:
    """A new secret; the old one keeps signing alongside it for the overlap period."""
    if endpoint.kind != Endpoint.Kind.WEBHOOK:
        raise RegistryError(_("Only webhook endpoints have a signing secret."))
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = generate_secret()
    with transaction.atomic():
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        ledger_events.record_key_rotation(endpoint, by=by)
    return endpoint


def suspend_endpoint(endpoint: Endpoint, *, reason: str, by=None) -> bool:
    """Stop sending to an endpoint; its deliveries are held, never dropped. Alerts once.

    ``by``: the secretariat official, or None when the registry suspends it by itself."""
    now = timezone.now()
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint.pk, status=Endpoint.Status.ACTIVE).update(
            status=Endpoint.Status.SUSPENDED, status_reason=reason[:300], status_changed_at=now
        )
        if changed:
            ledger_events.record_endpoint_if_changed(endpoint, action="suspended", by=by)
    Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.HELD
    )
    if changed:
        endpoint.status = Endpoint.Status.SUSPENDED
        raise_alert(
            Alert.Audience.SECRETARIAT,
            Alert.Kind.ENDPOINT_SUSPENDED,
            _("Endpoint %(endpoint)s of %(state)s was suspended: %(reason)s")
            % {
                "endpoint": endpoint.url or endpoint.email,
                "state": endpoint.state_id,
                "reason": reason,
            },
            link=reverse("delivery-health"),
        )
    return bool(changed)


def resume_endpoint(endpoint: Endpoint, by=None) -> int:
    """Send to the endpoint again, starting with every delivery held for it."""
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            status=Endpoint.Status.ACTIVE,
            status_reason="",
            status_changed_at=timezone.now(),
            failing_since=None,
        )
        ledger_events.record_endpoint_if_changed(endpoint, action="resumed", by=by)
    endpoint.status = Endpoint.Status.ACTIVE
    return _make_due(Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.HELD))


def replay_delivery(delivery: Delivery) -> int:
    """Send a delivery again from the start of the schedule (a delivered one is re-sent)."""
    return _make_due(Delivery.objects.filter(pk=delivery.pk))


def replay_endpoint(endpoint: Endpoint, since: dt.datetime) -> int:
    """Send again every delivery made to an endpoint since ``since``."""
    return _make_due(Delivery.objects.filter(endpoint=endpoint, created_at__gte=since))


def _make_due(deliveries) -> int:
    now = timezone.now()
    ids = list(
        deliveries.exclude(status=Delivery.Status.SENDING)
        .exclude(endpoint__kind=Endpoint.Kind.INBOX)
        .values_list("id", flat=True)
    )
    Delivery.objects.filter(id__in=ids).update(
        status=Delivery.Status.PENDING, retry_step=0, next_attempt_at=now, lease_expires_at=None
    )
    transaction.on_commit(lambda: dispatch.enqueue(ids))
    return len(ids)


# --- alerts ------------------------------------------------------------------------------


def alert_delivery_failed(delivery: Delivery) -> None:
    notice = delivery.version.notice
    message = _(
        "Delivery of %(reference)s v%(version)d to %(state)s (%(endpoint)s) failed after "
        "%(attempts)d attempts."
    ) % {
        "reference": notice.reference,
        "version": delivery.version.number,
        "state": delivery.recipient_id,
        "endpoint": delivery.endpoint.url or delivery.endpoint.email,
        "attempts": delivery.attempts,
    }
    link = reverse("delivery-health")
    raise_alert(Alert.Audience.SECRETARIAT, Alert.Kind.DELIVERY_FAILED, message, link=link)
    raise_alert(
        Alert.Audience.MONITORS,
        Alert.Kind.DELIVERY_FAILED,
        message,
        link=link,
        commitment=notice.commitment,
    )


def raise_alert(
    audience: str, kind: str, message: str, *, link: str = "", state_id=None, commitment=None
) -> Alert:
    """Record an alert for its audience and email those of them who have an address."""
    alert = Alert.objects.create(
        audience=audience,
        kind=kind,
        message=message[:500],
        link=link,
        state_id=state_id,
        commitment=commitment,
    )
    addresses = [email for email in audience_emails(alert) if email]
    if addresses:
        body = f"{message}\n\n{settings.REGISTRY_BASE_URL}{link}\n"
        send_mass_mail(
            [
                (f"[Registry] {message[:80]}", body, settings.DEFAULT_FROM_EMAIL, [address])
                for address in addresses
            ],
            fail_silently=True,
        )
    return alert


def audience_emails(alert: Alert) -> list[str]:
    officials = Official.objects.filter(user__is_active=True)
    if alert.audience == Alert.Audience.SECRETARIAT:
        officials = officials.filter(is_secretariat=True)
    elif alert.audience == Alert.Audience.MONITORS:
        officials = officials.filter(organisation__commitments=alert.commitment)
    else:
        officials = officials.filter(state_id=alert.state_id)
    return list(officials.exclude(Q(user__email="")).values_list("user__email", flat=True))
