"""What each event puts in the evidence log, and how ``verify_ledger`` recomputes it.

Every payload is derived from rows that never change once the event has happened (a
notice version and its content, a delivery attempt, an acknowledgement, a clarification's
question or answer). ``SOURCES`` maps each kind to the loader and builder that recompute
the payload from those rows, so verification can compare every entry with the records.

Four kinds record the *state* of something that is edited in place (a commitment's
parameters and participants, an official's roles, an endpoint's configuration and its
signing key): each records a snapshot when it changes, and verification checks that the
last snapshot equals the current state (``Source.snapshot``). Secrets never enter the log,
only their fingerprints. A snapshot also says who made the change (``changed_by``: the
username, or null for the registry itself and commands run on the server) and, for
endpoints, what was done (``action``); the time is the entry's. Those ``EVENT_FIELDS``
describe the change, not the state, so verification leaves them out of the comparison.

To log another event (monitor findings: kind ``finding.recorded``), call
``registry.ledger.record`` in the event's transaction and ``register_source`` its rebuilder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from notifications.models import Acknowledgement, Clarification, DeliveryAttempt, Endpoint
from registry import ledger
from registry.ledger import iso
from registry.models import Commitment, Finding, LedgerKind, NoticeVersion
from registry.notice_content import (
    content_prefetches,
    content_select_related,
    version_content,
)
from registry.serializers import CommitmentSerializer

VERSION_KINDS = {
    "filed": LedgerKind.NOTICE_FILED,
    "amended": LedgerKind.NOTICE_AMENDED,
    "cancelled": LedgerKind.NOTICE_CANCELLED,
}


def plain(data: Any) -> Any:
    """JSON-native data (dicts, lists, strings, numbers) from serializer output."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def fingerprint(secret: str) -> str | None:
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- notice versions -------------------------------------------------------------------------


ASSESSMENT_FIELDS = (
    "notifiable",
    "snap",
    "lead_time_days",
    "required_lead_days",
    "due_by",
    "timely",
    "days_late",
    "observation_required",
    "air_component_required",
)


def jsonable(value: Any) -> Any:
    """JSON-native values: dates in ISO 8601 (times in UTC), decimals as plain numerals."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def version_document(version: NoticeVersion, content: dict[str, Any] | None = None) -> dict:
    """A version as the log keeps it: who filed what, when, for whom, its full content and
    the assessment recorded with it. ``content`` defaults to the version's stored content."""
    notice = version.notice
    if content is None:
        content = version_content(version, notice.kind)
    return jsonable(
        {
            "notice_id": notice.pk,
            "reference": notice.reference,
            "state": notice.state_id,
            "commitment": notice.commitment.code,
            "kind": notice.kind,
            "version": version.number,
            "status": version.status,
            "reason": version.reason,
            "first_filed_at": notice.first_filed_at,
            "filed_at": version.filed_at,
            "filed_by": version.filed_by.get_username(),
            "recipients": version.recipient_codes(),
            "assessment": {name: getattr(version, name) for name in ASSESSMENT_FIELDS},
            "content": content,
        }
    )


def load_versions(ids: Iterable[int]) -> dict[int, NoticeVersion]:
    versions = (
        NoticeVersion.objects.filter(pk__in=list(ids))
        .select_related(
            "notice__commitment", "notice__state", "filed_by", *content_select_related()
        )
        .prefetch_related("recipients", *content_prefetches())
    )
    return {version.pk: version for version in versions}


def record_version(version: NoticeVersion, content: dict[str, Any] | None = None) -> None:
    """Log a filed, amended or cancelled version (inside the filing transaction).

    ``content`` is the version's content as ``notice_content`` gives it; its values are
    normalised as the database returns them, so verification recomputes the same payload.
    """
    notice = version.notice
    ledger.record(
        VERSION_KINDS[version.status],
        version_document(version, content),
        notice=notice.pk,
        state=notice.state_id,
        commitment=notice.commitment_id,
        source_id=version.pk,
    )


# --- deliveries ------------------------------------------------------------------------------


def attempt_document(attempt: DeliveryAttempt) -> dict[str, Any]:
    """The attempt that settled a delivery: delivered (2xx) or failed for good."""
    delivery = attempt.delivery
    return {
        "delivery": delivery.webhook_id,
        "event": delivery.event,
        "notice_id": delivery.version.notice_id,
        "reference": delivery.version.notice.reference,
        "version": delivery.version.number,
        "clarification_id": delivery.clarification_id,
        "recipient": delivery.recipient_id,
        "channel": delivery.endpoint.kind,
        "endpoint_id": delivery.endpoint_id,
        "attempt": attempt.number,
        "started_at": iso(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "outcome": "delivered" if attempt.succeeded else "failed",
    }


def attempt_kind(attempt: DeliveryAttempt) -> str:
    return LedgerKind.DELIVERY_DELIVERED if attempt.succeeded else LedgerKind.DELIVERY_FAILED


def record_settled_deliveries(attempts: Iterable[DeliveryAttempt]) -> None:
    """Log the attempts that settled their deliveries, in one insert."""
    ledger.record_many(
        [
            ledger.Event(
                kind=attempt_kind(attempt),
                payload=attempt_document(attempt),
                notice_id=attempt.delivery.version.notice_id,
                state_id=attempt.delivery.recipient_id,
                commitment_id=attempt.delivery.version.notice.commitment_id,
                source_id=attempt.pk,
            )
            for attempt in attempts
        ]
    )


def load_attempts(ids: Iterable[int]) -> dict[int, DeliveryAttempt]:
    attempts = DeliveryAttempt.objects.filter(pk__in=list(ids)).select_related(
        "delivery__endpoint", "delivery__version__notice"
    )
    return {attempt.pk: attempt for attempt in attempts}


# --- acknowledgements and clarifications -----------------------------------------------------


def acknowledgement_document(acknowledgement: Acknowledgement) -> dict[str, Any]:
    version = acknowledgement.version
    return {
        "acknowledgement_id": acknowledgement.pk,
        "notice_id": version.notice_id,
        "reference": version.notice.reference,
        "version": version.number,
        "state": acknowledgement.state_id,
        "acknowledged_by": _username(acknowledgement.acknowledged_by),
        "route": acknowledgement.route,
        "comment": acknowledgement.comment,
        "acknowledged_at": iso(acknowledgement.acknowledged_at),
    }


def record_acknowledgement(acknowledgement: Acknowledgement) -> None:
    notice = acknowledgement.version.notice
    ledger.record(
        LedgerKind.ACKNOWLEDGEMENT,
        acknowledgement_document(acknowledgement),
        notice=notice.pk,
        state=acknowledgement.state_id,
        commitment=notice.commitment_id,
        source_id=acknowledgement.pk,
    )


def load_acknowledgements(ids: Iterable[int]) -> dict[int, Acknowledgement]:
    rows = Acknowledgement.objects.filter(pk__in=list(ids)).select_related(
        "version__notice", "acknowledged_by"
    )
    return {row.pk: row for row in rows}


def clarification_document(clarification: Clarification, kind: str) -> dict[str, Any]:
    """The question (``clarification.asked``) or the answer (``clarification.answered``):
    each from fields that never change after that step."""
    version = clarification.version
    document: dict[str, Any] = {
        "clarification_id": clarification.pk,
        "notice_id": version.notice_id,
        "reference": version.notice.reference,
        "version": version.number,
    }
    if kind == LedgerKind.CLARIFICATION_ANSWERED:
        return {
            **document,
            "answering_state": version.notice.state_id,
            "answer": clarification.answer,
            "answered_by": _username(clarification.answered_by),
            "answered_at": iso(clarification.answered_at),
        }
    return {
        **document,
        "asking_state": clarification.asking_state_id,
        "question": clarification.question,
        "asked_by": _username(clarification.asked_by),
        "asked_at": iso(clarification.asked_at),
        "answer_due_at": iso(clarification.answer_due_at),
    }


def record_clarification(clarification: Clarification, kind: str) -> None:
    notice = clarification.version.notice
    ledger.record(
        kind,
        clarification_document(clarification, kind),
        notice=notice.pk,
        state=clarification.asking_state_id,
        commitment=notice.commitment_id,
        source_id=clarification.pk,
    )


def load_clarifications(ids: Iterable[int]) -> dict[int, Clarification]:
    rows = Clarification.objects.filter(pk__in=list(ids)).select_related(
        "version__notice", "asked_by", "answered_by"
    )
    return {row.pk: row for row in rows}


# --- snapshots of what is edited in place ----------------------------------------------------


def endpoint_document(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint's signing keys after a rotation, as fingerprints (SHA-256 of the secret)."""
    return {
        "endpoint_id": endpoint.pk,
        "state": endpoint.state_id,
        "channel": endpoint.kind,
        "secret_fingerprint": fingerprint(endpoint.secret),
        "previous_secret_fingerprint": fingerprint(endpoint.previous_secret),
        "previous_secret_valid_until": iso(endpoint.previous_secret_expires_at),
    }


def record_key_rotation(endpoint: Endpoint, by=None) -> None:
    ledger.record(
        LedgerKind.ENDPOINT_KEY_ROTATED,
        {**endpoint_document(endpoint), "changed_by": _username(by)},
        state=endpoint.state_id,
        source_id=endpoint.pk,
    )


def endpoint_settings_document(endpoint: Endpoint) -> dict[str, Any]:
    """Where and how a state receives notices: the endpoint's address and status (never its
    secret; failure counters, which change with every attempt, are left out)."""
    return {
        "endpoint_id": endpoint.pk,
        "state": endpoint.state_id,
        "channel": endpoint.kind,
        "label": endpoint.label,
        "url": endpoint.url,
        "email": endpoint.email,
        "status": endpoint.status,
        "status_reason": endpoint.status_reason,
    }


def record_endpoint_if_changed(endpoint: Endpoint, *, action: str, by=None) -> bool:
    """Log an endpoint's settings after the secretariat (or the registry) changed them:
    ``action`` is ``created``, ``updated``, ``suspended`` or ``resumed``."""
    fresh = Endpoint.objects.get(pk=endpoint.pk)
    return _record_snapshot(
        LedgerKind.ENDPOINT_CHANGED,
        endpoint_settings_document(fresh),
        source_id=fresh.pk,
        by=by,
        action=action,
        state=fresh.state_id,
    )


def commitment_document(commitment: Commitment) -> dict[str, Any]:
    """Every parameter of a commitment and its participants over time."""
    with timezone.override(dt.UTC):
        document = plain(CommitmentSerializer(commitment).data)
    document["id"] = commitment.pk
    document["participants"] = sorted(
        document["participants"], key=lambda p: (p["state"], p["joined_on"])
    )
    document.pop("updated_at", None)  # bumped by every save, changed or not
    return document


def record_commitment_if_changed(commitment: Commitment, by=None) -> bool:
    """Log the commitment's parameters and participants if they differ from the last ones
    logged; ``by``: the secretariat official who changed them."""
    fresh = Commitment.objects.prefetch_related("participations").get(pk=commitment.pk)
    return _record_snapshot(
        LedgerKind.COMMITMENT_CHANGED,
        commitment_document(fresh),
        source_id=fresh.pk,
        by=by,
        commitment=fresh.pk,
    )


def official_document(user) -> dict[str, Any]:
    """A user's registry affiliation and roles, and whether the account is active."""
    official = getattr(user, "official", None)
    roles = []
    if official is not None:
        flags = (
            ("liaison", official.is_liaison),
            ("counterpart", official.is_counterpart),
            ("monitor", official.is_monitor),
            ("secretariat", official.is_secretariat),
        )
        roles = [name for name, on in flags if on]
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "active": user.is_active,
        "administrator": user.is_superuser,
        "state": official.state_id if official else None,
        "organisation": official.organisation_id if official else None,
        "roles": roles,
    }


def record_roles_if_changed(user, by=None) -> bool:
    """Log an official's roles if they differ from the last ones logged; ``by``: who
    changed them (null for ``add_official`` on the server)."""
    fresh = get_user_model().objects.select_related("official").get(pk=user.pk)
    official = getattr(fresh, "official", None)
    return _record_snapshot(
        LedgerKind.OFFICIAL_ROLES_CHANGED,
        official_document(fresh),
        source_id=fresh.pk,
        by=by,
        state=official.state_id if official else None,
    )


#: Keys of a snapshot that describe the change rather than the state.
EVENT_FIELDS = ("changed_by", "action")


def state_of(data: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's data without its ``EVENT_FIELDS``: the state it records."""
    return {key: value for key, value in data.items() if key not in EVENT_FIELDS}


def _record_snapshot(
    kind: str,
    document: dict[str, Any],
    *,
    source_id: int,
    by=None,
    action: str | None = None,
    **subject,
) -> bool:
    last = ledger.last_payload(kind, source_id)
    state = json.loads(ledger.canonical(document))
    if last is not None and state_of(json.loads(last)["data"]) == state:
        return False
    event = {"changed_by": _username(by), **({"action": action} if action else {})}
    ledger.record(kind, {**document, **event}, source_id=source_id, **subject)
    return True


def load_users(ids: Iterable[int]) -> dict[int, Any]:
    users = get_user_model().objects.filter(pk__in=list(ids)).select_related("official")
    return {user.pk: user for user in users}


def load_commitments(ids: Iterable[int]) -> dict[int, Commitment]:
    rows = Commitment.objects.filter(pk__in=list(ids)).prefetch_related("participations")
    return {row.pk: row for row in rows}


def load_endpoints(ids: Iterable[int]) -> dict[int, Endpoint]:
    return {row.pk: row for row in Endpoint.objects.filter(pk__in=list(ids))}


# --- findings ----------------------------------------------------------------------------------


def finding_document(finding: Finding) -> dict[str, Any]:
    """A monitor's finding, or one the registry flagged by itself (``organisation`` empty)."""
    return {
        "finding_id": finding.pk,
        "kind": finding.kind,
        "commitment": finding.commitment.code,
        "state": finding.state_id,
        "year": finding.year,
        "reference": finding.notice.reference if finding.notice_id else None,
        "organisation": finding.organisation_id,
        "recorded_by": _username(finding.recorded_by),
        "recorded_at": iso(finding.recorded_at),
        "observed_from": jsonable(finding.observed_from),
        "observed_to": jsonable(finding.observed_to),
        "area_description": finding.area_description,
        "area_polygon": finding.area_polygon,
        "estimated": {
            "troops": finding.estimated_troops,
            "battle_tanks": finding.estimated_battle_tanks,
            "acv": finding.estimated_acv,
            "artillery": finding.estimated_artillery,
        },
        "sources": finding.sources,
        "note": finding.note,
    }


def record_finding(finding: Finding) -> None:
    ledger.record(
        LedgerKind.FINDING_RECORDED,
        finding_document(finding),
        notice=finding.notice_id,
        state=finding.state_id,
        commitment=finding.commitment_id,
        source_id=finding.pk,
    )


def load_findings(ids: Iterable[int]) -> dict[int, Finding]:
    rows = Finding.objects.filter(pk__in=list(ids)).select_related(
        "commitment", "notice", "recorded_by"
    )
    return {row.pk: row for row in rows}


# --- how verification recomputes each kind ---------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Recomputes the payload of an entry from its source rows.

    ``load`` fetches rows by id in bulk; ``rebuild(row, kind)`` returns the kind the row
    implies and the payload's ``data``. For a ``snapshot`` source only the latest entry of
    each row must match (earlier snapshots described earlier states).
    """

    load: Callable[[Iterable[int]], dict[int, Any]]
    rebuild: Callable[[Any, str], tuple[str, dict[str, Any]]]
    snapshot: bool = False


SOURCES: dict[str, Source] = {}


def register_source(kinds: Iterable[str], source: Source) -> None:
    for kind in kinds:
        SOURCES[kind] = source


register_source(
    VERSION_KINDS.values(),
    Source(load_versions, lambda v, _: (VERSION_KINDS[v.status], version_document(v))),
)
register_source(
    [LedgerKind.DELIVERY_DELIVERED, LedgerKind.DELIVERY_FAILED],
    Source(load_attempts, lambda a, _: (attempt_kind(a), attempt_document(a))),
)
register_source(
    [LedgerKind.ACKNOWLEDGEMENT],
    Source(load_acknowledgements, lambda a, k: (k, acknowledgement_document(a))),
)
register_source(
    [LedgerKind.CLARIFICATION_ASKED, LedgerKind.CLARIFICATION_ANSWERED],
    Source(load_clarifications, lambda c, k: (k, clarification_document(c, k))),
)
register_source(
    [LedgerKind.FINDING_RECORDED],
    Source(load_findings, lambda f, k: (k, finding_document(f))),
)
register_source(
    [LedgerKind.ENDPOINT_KEY_ROTATED],
    Source(load_endpoints, lambda e, k: (k, endpoint_document(e)), snapshot=True),
)
register_source(
    [LedgerKind.ENDPOINT_CHANGED],
    Source(load_endpoints, lambda e, k: (k, endpoint_settings_document(e)), snapshot=True),
)
register_source(
    [LedgerKind.COMMITMENT_CHANGED],
    Source(load_commitments, lambda c, k: (k, commitment_document(c)), snapshot=True),
)
register_source(
    [LedgerKind.OFFICIAL_ROLES_CHANGED],
    Source(load_users, lambda u, k: (k, official_document(u)), snapshot=True),
)


def rebuild_many(entries: Iterable) -> dict[int, tuple[str, bytes] | None]:
    """For each entry of a kind with a (non-snapshot) source: the kind and canonical data its
    source rows give today, by entry index; ``None`` where the source row is gone."""
    groups: dict[int, tuple[Source, list]] = {}
    for entry in entries:
        source = SOURCES.get(entry.kind)
        if source is not None and not source.snapshot and entry.source_id is not None:
            groups.setdefault(id(source), (source, []))[1].append(entry)
    rebuilt: dict[int, tuple[str, bytes] | None] = {}
    for source, members in groups.values():
        rows = source.load({entry.source_id for entry in members})
        for entry in members:
            row = rows.get(entry.source_id)
            if row is None:
                rebuilt[entry.index] = None
                continue
            kind, data = source.rebuild(row, entry.kind)
            rebuilt[entry.index] = (kind, ledger.canonical(data))
    return rebuilt
