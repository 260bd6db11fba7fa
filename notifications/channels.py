"""How a message reaches an endpoint: one small ``Channel`` class per kind of endpoint.

A channel only sends; it never touches the database, so dispatch can run many sends at
once in threads and record every outcome afterwards in a few statements.
"""

from __future__ import annotations

import email.utils
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from notifications import http, signing
from notifications.models import Delivery, Endpoint


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    delivered: bool
    status_code: int | None = None
    error: str = ""
    response_excerpt: str = ""
    duration_ms: int = 0
    retry_after: float | None = None
    gone: bool = False


@dataclass(frozen=True)
class Message:
    """What a delivery carries: its JSON body, encoded, and a short text for humans."""

    body: bytes
    subject: str
    text: str


class Channel(ABC):
    kind: ClassVar[str]
    #: Delivered in the transaction that files the version (nothing leaves the database).
    delivered_on_filing: ClassVar[bool] = False

    @abstractmethod
    def send(self, delivery: Delivery, message: Message) -> Outcome:
        """Try once to hand ``message`` to the delivery's endpoint."""


class InboxChannel(Channel):
    """The registry's own inbox: a filed version is in the recipient's inbox at once."""

    kind = Endpoint.Kind.INBOX
    delivered_on_filing = True

    def send(self, delivery: Delivery, message: Message) -> Outcome:
        return Outcome(delivered=True)


class WebhookChannel(Channel):
    """A signed POST to the national system, in the Standard Webhooks format."""

    kind = Endpoint.Kind.WEBHOOK

    def send(self, delivery: Delivery, message: Message) -> Outcome:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(
                delivery.webhook_id, timestamp, message.body, hmac_secrets(delivery.endpoint)
            ),
        }
        return outcome_of(http.post(delivery.endpoint.url, message.body, headers))


class EmailChannel(Channel):
    """A plain-text email to a point of contact, with a link to the registry."""

    kind = Endpoint.Kind.EMAIL

    def send(self, delivery: Delivery, message: Message) -> Outcome:
        started = time.monotonic()
        try:
            send_mail(
                message.subject,
                message.text,
                settings.DEFAULT_FROM_EMAIL,
                [delivery.endpoint.email],
                fail_silently=False,
            )
        except Exception as exc:
            return Outcome(delivered=False, error=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(delivered=True, duration_ms=int((time.monotonic() - started) * 1000))


CHANNELS: dict[str, Channel] = {
    channel.kind: channel for channel in (InboxChannel(), WebhookChannel(), EmailChannel())
}


def hmac_secrets(endpoint: Endpoint) -> list[str]:
    """The current secret, and the previous one while its overlap lasts after a rotation."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > timezone.now():
        secrets.append(endpoint.previous_secret)
    return secrets


def outcome_of(result: http.HttpResult) -> Outcome:
    """Standard Webhooks etiquette: 2xx delivered, 410 gone, 429/503 may say when to retry."""
    common = {
        "status_code": result.status_code,
        "error": result.error,
        "response_excerpt": result.body,
        "duration_ms": result.duration_ms,
    }
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return Outcome(delivered=True, **common)
    if code == 410:
        return Outcome(delivered=False, gone=True, **common)
    retry_after = parse_retry_after(result.headers) if code in (429, 503) else None
    return Outcome(delivered=False, retry_after=retry_after, **common)


def parse_retry_after(headers: dict[str, str] | Any) -> float | None:
    value = {k.lower(): v for k, v in dict(headers).items()}.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
