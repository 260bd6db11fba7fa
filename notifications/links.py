"""Signed links that let a recipient's national system act without a user session."""

from __future__ import annotations

from collections.abc import Callable
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
    return acknowledgement_url_maker()(version_id, state_code)


def acknowledgement_url_maker() -> Callable[[int, str], str]:
    """A function making acknowledgement links: the route is reversed once, for many links.

    A token is made of URL-safe base64 and colons, which ``reverse`` leaves as they are,
    so putting it in place of a placeholder gives the same link as reversing with it.
    """
    placeholder = "TOKEN"
    path = reverse("api-signed-acknowledgement", args=[placeholder])
    before, _, after = path.partition(placeholder)
    base = settings.REGISTRY_BASE_URL + before

    def make(version_id: int, state_code: str) -> str:
        return base + acknowledgement_token(version_id, state_code) + after

    return make


def read_acknowledgement_token(token: str) -> AcknowledgementGrant | None:
    """The grant in a token, or ``None`` if it was not signed by this registry."""
    try:
        data = signing.loads(token, salt=ACKNOWLEDGEMENT_SALT)
    except signing.BadSignature:
        return None
    return AcknowledgementGrant(version_id=int(data["v"]), state_code=str(data["s"]))
