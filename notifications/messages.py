"""What each delivery says: the Standard Webhooks body and a short text for email.

Every recipient of a version gets the same document but its own acknowledgement link,
so the work is split accordingly: the document, the subject and the text are made once
per version and event (``MessageParts``); a recipient's body is the encoded document
with its link spliced in, byte for byte what ``json.dumps`` of the whole body gives
(compact separators, UTF-8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework.utils.encoders import JSONEncoder

from notifications.channels import Message
from notifications.links import acknowledgement_url_maker
from notifications.models import Clarification, Delivery, Event
from registry.notice_content import version_title
from registry.serializers import VersionDocumentSerializer

NOTICE_EVENTS = {Event.NOTICE_FILED, Event.NOTICE_AMENDED, Event.NOTICE_CANCELLED}


_ENCODER = JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(data: Any) -> bytes:
    """Compact UTF-8 JSON, dates and decimals as DRF writes them."""
    return _ENCODER.encode(data).encode()


@dataclass(frozen=True)
class MessageParts:
    """What every recipient of one version and event shares.

    ``head`` is the body up to the value of ``acknowledge_url`` (the last key of
    ``data``), or the whole body when the event carries no acknowledgement link.
    """

    head: bytes
    acknowledged: bool
    subject: str
    text: str

    def message(self, delivery: Delivery, link: Callable[[int, str], str]) -> Message:
        body = self.head
        if self.acknowledged:
            url = link(delivery.version_id, delivery.recipient_id)
            body = b"".join((self.head, encode(url), b"}}"))
        return Message(body=body, subject=self.subject, text=self.text)


def build_messages(deliveries: Iterable[Delivery]) -> dict[int, Message]:
    """Messages for many deliveries, serialising each version only once."""
    documents: dict[int, bytes] = {}
    parts: dict[tuple, MessageParts] = {}
    link = acknowledgement_url_maker()
    messages = {}
    for delivery in deliveries:
        key = (delivery.event, delivery.version_id, delivery.clarification_id)
        if key not in parts:
            if delivery.version_id not in documents:
                documents[delivery.version_id] = encode(
                    VersionDocumentSerializer(delivery.version).data
                )
            parts[key] = message_parts(delivery, documents[delivery.version_id])
        messages[delivery.pk] = parts[key].message(delivery, link)
    return messages


def message_parts(delivery: Delivery, document: bytes) -> MessageParts:
    """The shared parts of the message of ``delivery``'s version and event."""
    version = delivery.version
    notice = version.notice
    link = settings.REGISTRY_BASE_URL + reverse("notice-detail", args=[notice.pk])
    title = version_title(version)
    acknowledged = delivery.event in NOTICE_EVENTS
    if acknowledged:
        timestamp = version.filed_at
        data = document[:-1] + b',"acknowledge_url":'
        summary = f"{notice.reference} ({version.get_status_display().lower()}): {title}"
    else:
        clarification = delivery.clarification
        timestamp = clarification.answered_at or clarification.asked_at
        clarified = encode(clarification_document(clarification))
        data = b'{"clarification":' + clarified + b',"notice":' + document + b"}}"
        summary = f"{notice.reference}: {Event(delivery.event).label.lower()}"
    head = b"".join(
        (b'{"type":', encode(delivery.event), b',"timestamp":', encode(timestamp.isoformat()))
    )
    text = f"{summary}\n\nState: {notice.state_id}\nCommitment: {notice.commitment.code}\n{link}\n"
    return MessageParts(
        head=head + b',"data":' + data,
        acknowledged=acknowledged,
        subject=f"[Registry] {summary}",
        text=text,
    )


def clarification_document(clarification: Clarification) -> dict[str, Any]:
    return {
        "id": clarification.pk,
        "version": clarification.version.number,
        "asking_state": clarification.asking_state_id,
        "question": clarification.question,
        "asked_at": clarification.asked_at.isoformat(),
        "answer_due_at": clarification.answer_due_at.isoformat(),
        "answer": clarification.answer or None,
        "answered_at": clarification.answered_at.isoformat() if clarification.answered_at else None,
        "answer_url": settings.REGISTRY_BASE_URL
        + reverse("clarification-answer", args=[clarification.pk]),
    }
