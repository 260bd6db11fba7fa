"""The registry's one family of refusals, and what a write gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from registry.models import Notice, NoticeVersion


class RegistryError(Exception):
    """A request the registry refuses. ``errors`` maps field names to messages (400)."""

    status_code = 400

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotPermitted(RegistryError, PermissionDenied):
    """The user may see the object but not do this to it (403).

    Also a Django ``PermissionDenied``, so a page that lets it escape answers 403.
    """

    status_code = 403


class ConflictError(RegistryError):
    """The request contradicts what the registry already holds (409)."""

    status_code = 409


@dataclass(frozen=True)
class Filing:
    """The outcome of a write: the notice, the version it produced, and whether it is new."""

    notice: Notice
    version: NoticeVersion
    created: bool = True
