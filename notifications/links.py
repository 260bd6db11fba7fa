"""Signed links that let a recipient's national system act without a user session."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

ACKNOWLEDGEMENT_SALT = "notifications.acknowledge"


@dataclass(frozen=True)
class AcknowledgementGrant:
    version_id: int
    state_code: str


def acknowledgement_token(version_id: int, state_code: str) -> str:
    return signing.dumps({"v": version_id, "s": state_code}, salt=ACKNOWLEDGEMENT_SALT)


def acknowledgement_url(version_id: int, state_code: str) -> str:
    path = reverse(
        "api-signed-acknowledgement", args=[acknowledgement_token(version_id, state_code)]
    )
    return settings.REGISTRY_BASE_URL + path


def read_acknowledgement_token(token: str) -> AcknowledgementGrant | None:
    """The grant in a token, or ``None`` if it was not signed by this registry."""
    try:
        data = signing.loads(token, salt=ACKNOWLEDGEMENT_SALT)
    except signing.BadSignature:
        return None
    return AcknowledgementGrant(version_id=int(data["v"]), state_code=str(data["s"]))
