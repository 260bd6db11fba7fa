"""What each delivery says: the Standard Webhooks body and a short text for email."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework.utils.encoders import JSONEncoder

from notifications.channels import Message
from notifications.links import acknowledgement_url
from notifications.models import Clarification, Delivery, Event
from registry.notice_content import version_title
from registry.serializers import VersionDocumentSerializer

NOTICE_EVENTS = {Event.NOTICE_FILED, Event.NOTICE_AMENDED, Event.NOTICE_CANCELLED}


def build_messages(deliveries: Iterable[Delivery]) -> dict[int, Message]:
    """Messages for many deliveries, serialising each version only once."""
    documents: dict[int, dict[str, Any]] = {}
    messages = {}
    for delivery in deliveries:
        if delivery.version_id not in documents:
            documents[delivery.version_id] = _plain(
                VersionDocumentSerializer(delivery.version).data
            )
        messages[delivery.pk] = message_for(delivery, documents[delivery.version_id])
    return messages


def message_for(delivery: Delivery, document: dict[str, Any]) -> Message:
    version = delivery.version
    notice = version.notice
    link = settings.REGISTRY_BASE_URL + reverse("notice-detail", args=[notice.pk])
    title = version_title(version)
    if delivery.event in NOTICE_EVENTS:
        data = {
            **document,
            "acknowledge_url": acknowledgement_url(version.pk, delivery.recipient_id),
        }
        timestamp = version.filed_at
        summary = f"{notice.reference} ({version.get_status_display().lower()}): {title}"
    else:
        clarification = delivery.clarification
        data = {"clarification": clarification_document(clarification), "notice": document}
        timestamp = clarification.answered_at or clarification.asked_at
        summary = f"{notice.reference}: {Event(delivery.event).label.lower()}"
    body = {"type": delivery.event, "timestamp": timestamp.isoformat(), "data": data}
    text = f"{summary}\n\nState: {notice.state_id}\nCommitment: {notice.commitment.code}\n{link}\n"
    return Message(body=body, subject=f"[Registry] {summary}", text=text)


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


def _plain(data: Any) -> Any:
    """DRF's representation, turned into plain JSON types (dates and decimals as strings)."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
