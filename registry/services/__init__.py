"""Every write to the registry, each a function that checks who may do it, validates, and
writes in one transaction. Views, the API, tasks and commands call these; nothing else
writes notices, findings or officials."""

from .errors import ConflictError, Filing, NotPermitted, RegistryError
from .findings import MONITOR_FINDING_KINDS, flag_exercise, record_finding
from .notices import (
    MAX_REASON_LENGTH,
    amend_notice,
    cancel_notice,
    file_notice,
    next_sequence,
    require_liaison,
    require_own_notice,
    submission_digest,
)
from .officials import ROLES, onboard_official

__all__ = [
    "MAX_REASON_LENGTH",
    "MONITOR_FINDING_KINDS",
    "ROLES",
    "ConflictError",
    "Filing",
    "NotPermitted",
    "RegistryError",
    "amend_notice",
    "cancel_notice",
    "file_notice",
    "flag_exercise",
    "next_sequence",
    "onboard_official",
    "record_finding",
    "require_liaison",
    "require_own_notice",
    "submission_digest",
]
