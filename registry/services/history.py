"""Historical notices, loaded with their original filing times so reports cover past years.

An imported notice is marked ``imported``; its versions reach the recipients' inboxes as
received when they were filed, and nothing is sent out again. The same code loads
``manage.py import_notices`` files and the demo's generated history.

One JSON line per notice::

    {"state": "RS", "commitment": "WB-RTA", "kind": "exercise", "client_ref": "MOD-2024-17",
     "filed_by": "rs-liaison", "filed_at": "2024-03-01T09:30:00+01:00",
     "exercise": {…the API's exercise object…},
     "amendments": [{"filed_at": "…", "reason": "…", "exercise": {…}}],
     "cancelled": {"filed_at": "…", "reason": "…"},
     "acknowledgements": [{"state": "HR", "version": 1, "acknowledged_at": "…"}],
     "clarifications": [{"state": "HR", "version": 1, "asked_at": "…", "question": "…",
                         "answered_at": "…" or null, "answer": "…",
                         "asked_by": "hr-official", "answered_by": "rs-liaison"}]}

The kind object is named after ``kind`` (``exercise``, ``procurement_plan``,
``procurement_notice`` or ``annual_calendar``) and has the API's shape. Times are ISO 8601
with their offset, in order, and in the past; an acknowledgement or a question comes after
the version it concerns, an answer after its question. ``filed_by``, ``asked_by`` and
``answered_by`` are optional usernames: an unknown or missing filer or asker is the
importing user, an unknown or missing answerer is the filer. A clarification's answer is
due ``clarification_hours`` after it was asked, under the commitment's parameters.

A line whose state already holds a notice with the same ``client_ref`` and the same first
version is a replay: it changes nothing (its later versions and responses are not merged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from notifications import services as notification_services
from notifications.dispatch import endpoints_of
from notifications.models import Clarification, Delivery, Endpoint, Event, Route
from registry import rules
from registry.ledger import events as ledger_events
from registry.models import Commitment, LedgerKind, Notice, NoticeVersion, State
from registry.notice_content import content_kind, version_content
from registry.selectors import takes_part
from registry.serializers import KIND_SERIALIZERS
from registry.vocabulary import NoticeKind, NoticeStatus

from . import notices
from .errors import Filing, RegistryError


@dataclass(frozen=True)
class HistoricalVersion:
    filed_at: dt.datetime
    status: str
    content: dict[str, Any] | None = None  # a cancellation repeats the last content
    reason: str = ""


@dataclass(frozen=True)
class HistoricalClarification:
    """A recipient's question about one version, and the filing state's answer if any."""

    state: str
    version: int
    asked_at: dt.datetime
    question: str
    asked_by: Any
    answered_at: dt.datetime | None = None
    answer: str = ""
    answered_by: Any = None


@dataclass(frozen=True)
class HistoricalNotice:
    state: State
    commitment: Commitment
    kind: str
    client_ref: str
    filed_by: Any
    versions: list[HistoricalVersion]
    acknowledgements: list[tuple[str, int, dt.datetime]] = field(default_factory=list)
    clarifications: list[HistoricalClarification] = field(default_factory=list)


def import_notice(record: HistoricalNotice) -> Filing:
    """Write a notice and its versions with their original times; an identical repeat is a no-op.

    The returned ``Filing`` has ``created`` false for a repeat.
    """
    handler = content_kind(record.kind)
    first = record.versions[0]
    _check_times(record)
    rows = notices._build(handler, record.kind, first.content or {})
    digest = notices.submission_digest(record.commitment, record.kind, handler.as_dict(rows))
    replay = notices._replay(record.state, record.client_ref, digest)
    if replay is not None:
        return replay
    if not takes_part(
        record.state, record.commitment, rules.local_date(record.commitment, first.filed_at)
    ):
        raise RegistryError(
            _("The state did not take part in the commitment on that date."),
            {
                "filed_at": [
                    _("%(state)s did not take part in %(commitment)s then.")
                    % {"state": record.state.code, "commitment": record.commitment.code}
                ]
            },
        )
    with transaction.atomic():
        filing = notices._write_new_notice(
            user=record.filed_by,
            state=record.state,
            commitment=record.commitment,
            handler=handler,
            rows=rows,
            client_ref=record.client_ref,
            digest=digest,
            filed_at=first.filed_at,
            imported=True,
        )
        notice = filing.notice
        for later in record.versions[1:]:
            _import_version(notice, handler, later, record.filed_by)
        versions = {version.number: version for version in notice.versions.all()}
        _import_acknowledgements(versions, record.acknowledgements)
        _import_clarifications(notice, versions, record)
    return Filing(notice=notice, version=versions[len(versions)])


def _import_version(notice: Notice, handler, later: HistoricalVersion, user) -> None:
    previous = notice.current_version
    assert previous is not None  # the first version is written before any later one
    content = later.content if later.content is not None else version_content(previous, notice.kind)
    notices._write_version(
        notice,
        handler,
        notices._build(handler, notice.kind, content),
        status=later.status,
        user=user,
        reason=later.reason,
        filed_at=later.filed_at,
    )


def _check_times(record: HistoricalNotice) -> None:
    """Versions in order and in the past; every response after what it answers, in the past."""
    now = timezone.now()
    times = [version.filed_at for version in record.versions]
    if times != sorted(times):
        raise RegistryError(
            _("Versions must be in order of time."),
            {"amendments": [_("Each version must be filed after the one before it.")]},
        )
    if times[-1] > now:
        raise RegistryError(
            _("Historical versions must be in the past."),
            {"filed_at": [_("A version is filed in the future.")]},
        )
    for _code, number, at in record.acknowledgements:
        _check_response(record, "acknowledgements", number, at, now)
    for question in record.clarifications:
        _check_response(record, "clarifications", question.version, question.asked_at, now)
        if question.answered_at is not None and not (
            question.asked_at <= question.answered_at <= now
        ):
            raise RegistryError(
                _("An answer must come after its question, and in the past."),
                {"clarifications": [_("answered_at is before asked_at or in the future.")]},
            )


def _check_response(record: HistoricalNotice, key: str, number: int, at: dt.datetime, now) -> None:
    if not 1 <= number <= len(record.versions):
        raise RegistryError(
            _("No version %(n)d to respond to.") % {"n": number},
            {key: [_("No version %(n)d in this notice.") % {"n": number}]},
        )
    if not record.versions[number - 1].filed_at <= at <= now:
        raise RegistryError(
            _("A response must come after the version it concerns, and in the past."),
            {
                key: [
                    _("A time is before version %(n)d was filed, or in the future.") % {"n": number}
                ]
            },
        )


def _import_acknowledgements(versions: dict[int, NoticeVersion], acknowledgements) -> None:
    states: dict[str, State] = {}
    for state_code, number, at in acknowledgements:
        state = states.get(state_code) or states.setdefault(state_code, _state(state_code))
        notification_services.acknowledge(
            version=versions[number], state=state, route=Route.IMPORTED, at=at
        )


def _import_clarifications(
    notice: Notice, versions: dict[int, NoticeVersion], record: HistoricalNotice
) -> None:
    """Questions and answers with their times, each in the evidence log (as acknowledgements
    and versions are); each reached the other side's inbox when it was asked or answered."""
    for item in record.clarifications:
        version = versions[item.version]
        if not version.recipients.filter(pk=item.state).exists():
            raise RegistryError(
                _("Only a recipient of a version can ask about it."),
                {
                    "clarifications": [
                        _("%(state)s did not receive version %(n)d.")
                        % {"state": item.state, "n": item.version}
                    ]
                },
            )
        clarification = Clarification.objects.create(
            version=version,
            asking_state_id=item.state,
            question=item.question,
            asked_by=item.asked_by,
            asked_at=item.asked_at,
            answer_due_at=rules.clarification_due_at(notice.commitment, item.asked_at),
            answer=item.answer if item.answered_at else "",
            answered_by=(item.answered_by or record.filed_by) if item.answered_at else None,
            answered_at=item.answered_at,
        )
        ledger_events.record_clarification(clarification, LedgerKind.CLARIFICATION_ASKED)
        _receipt(clarification, Event.CLARIFICATION_ASKED, notice.state_id, item.asked_at)
        if item.answered_at:
            ledger_events.record_clarification(clarification, LedgerKind.CLARIFICATION_ANSWERED)
            _receipt(clarification, Event.CLARIFICATION_ANSWERED, item.state, item.answered_at)


def _receipt(clarification: Clarification, event: str, state_code: str, at: dt.datetime) -> None:
    """An inbox delivery, delivered at ``at``: nothing goes out to other channels again."""
    (inbox,) = [e for e in endpoints_of([state_code]) if e.kind == Endpoint.Kind.INBOX]
    Delivery.objects.create(
        event=event,
        version=clarification.version,
        clarification=clarification,
        recipient_id=state_code,
        endpoint=inbox,
        status=Delivery.Status.DELIVERED,
        created_at=at,
        next_attempt_at=at,
        delivered_at=at,
    )


# --- JSON lines ---------------------------------------------------------------------------------


def parse_line(data: dict[str, Any], default_user) -> HistoricalNotice:
    """A ``HistoricalNotice`` from one decoded JSON line, validated like an API filing.

    Raises ``RegistryError`` (with field errors), ``KeyError`` for a missing field and
    ``ValueError`` for a value of the wrong form.
    """
    if not isinstance(data, dict):
        raise RegistryError(_("A line must be a JSON object."))
    kind = data.get("kind")
    if kind not in NoticeKind.values:
        raise RegistryError(_("Unknown kind of notice."), {"kind": [str(kind)]})
    filed_by = _user(data.get("filed_by"), default_user)
    return HistoricalNotice(
        state=_state(data["state"]),
        commitment=_commitment(data["commitment"]),
        kind=kind,
        client_ref=notices._clean_client_ref(str(data["client_ref"])),
        filed_by=filed_by,
        versions=_versions(kind, data),
        acknowledgements=[
            (str(a["state"]), int(a["version"]), _time(a, "acknowledged_at"))
            for a in data.get("acknowledgements", [])
        ],
        clarifications=[
            _clarification(c, default_user, filed_by) for c in data.get("clarifications", [])
        ],
    )


def _versions(kind: str, data: dict[str, Any]) -> list[HistoricalVersion]:
    versions = [
        HistoricalVersion(_time(data, "filed_at"), NoticeStatus.FILED, _content(kind, data))
    ]
    for amendment in data.get("amendments", []):
        versions.append(
            HistoricalVersion(
                _time(amendment, "filed_at"),
                NoticeStatus.AMENDED,
                _content(kind, amendment),
                amendment.get("reason", "") or _("Amended"),
            )
        )
    if data.get("cancelled"):
        cancelled = data["cancelled"]
        versions.append(
            HistoricalVersion(
                _time(cancelled, "filed_at"),
                NoticeStatus.CANCELLED,
                None,
                cancelled.get("reason", "") or _("Cancelled"),
            )
        )
    return versions


def _clarification(data: dict[str, Any], default_user, filer) -> HistoricalClarification:
    answered_at = _time(data, "answered_at") if data.get("answered_at") else None
    question = str(data.get("question") or "").strip()
    answer = str(data.get("answer") or "").strip()
    if not question or (answered_at is not None and not answer):
        raise RegistryError(
            _("A clarification needs its question, and an answered one its answer."),
            {"clarifications": [_("Give question, and answer with answered_at.")]},
        )
    return HistoricalClarification(
        state=str(data["state"]),
        version=int(data["version"]),
        asked_at=_time(data, "asked_at"),
        question=question,
        asked_by=_user(data.get("asked_by"), default_user),
        answered_at=answered_at,
        answer=answer if answered_at else "",
        answered_by=_user(data.get("answered_by"), filer),
    )


def _content(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    serializer = KIND_SERIALIZERS[kind](data=data.get(kind))
    if not serializer.is_valid():
        raise RegistryError(_("The notice has errors."), {kind: serializer.errors})
    return serializer.validated_data


def _time(data: dict[str, Any], key: str) -> dt.datetime:
    moment = parse_datetime(str(data.get(key, "")))
    if moment is None or moment.tzinfo is None:
        raise RegistryError(
            _("Give %(key)s as an ISO 8601 time with its offset.") % {"key": key},
            {key: [_("An ISO 8601 time with its offset.")]},
        )
    return moment


def _state(code: Any) -> State:
    state = State.objects.filter(pk=str(code)).first()
    if state is None:
        raise RegistryError(_("Unknown state %(code)s.") % {"code": code}, {"state": [str(code)]})
    return state


def _commitment(code: Any) -> Commitment:
    commitment = Commitment.objects.filter(code=str(code)).first()
    if commitment is None:
        raise RegistryError(
            _("Unknown commitment %(code)s.") % {"code": code}, {"commitment": [str(code)]}
        )
    return commitment


def _user(username: str | None, default_user):
    if not username:
        return default_user
    return get_user_model().objects.filter(username=username).first() or default_user
