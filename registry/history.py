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
     "acknowledgements": [{"state": "HR", "version": 1, "acknowledged_at": "…"}]}
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
from notifications.models import Route
from registry import rules, services
from registry.models import Commitment, Notice, State
from registry.notice_content import content_kind, version_content
from registry.selectors import takes_part
from registry.serializers import KIND_SERIALIZERS
from registry.vocabulary import NoticeKind, NoticeStatus


@dataclass(frozen=True)
class HistoricalVersion:
    filed_at: dt.datetime
    status: str
    content: dict[str, Any] | None = None  # a cancellation repeats the last content
    reason: str = ""


@dataclass(frozen=True)
class HistoricalNotice:
    state: State
    commitment: Commitment
    kind: str
    client_ref: str
    filed_by: Any
    versions: list[HistoricalVersion]
    acknowledgements: list[tuple[str, int, dt.datetime]] = field(default_factory=list)


def import_notice(record: HistoricalNotice) -> services.Filing:
    """Write a notice and its versions with their original times; an identical repeat is a no-op."""
    handler = content_kind(record.kind)
    first = record.versions[0]
    _check_times(record)
    rows = services._build(handler, record.kind, first.content or {})
    digest = services.submission_digest(record.commitment, record.kind, handler.as_dict(rows))
    replay = services._replay(record.state, record.client_ref, digest)
    if replay is not None:
        return replay
    if not takes_part(
        record.state, record.commitment, rules.local_date(record.commitment, first.filed_at)
    ):
        raise services.RegistryError(
            _("The state did not take part in the commitment on that date.")
        )
    with transaction.atomic():
        filing = services._write_new_notice(
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
            content = (
                later.content
                if later.content is not None
                else version_content(notice.current_version, notice.kind)
            )
            services._write_version(
                notice,
                handler,
                services._build(handler, notice.kind, content),
                status=later.status,
                user=record.filed_by,
                reason=later.reason,
                filed_at=later.filed_at,
            )
        _import_acknowledgements(notice, record.acknowledgements)
    return services.Filing(notice=notice, version=notice.current_version)


def _check_times(record: HistoricalNotice) -> None:
    times = [version.filed_at for version in record.versions]
    if times != sorted(times) or times[-1] > timezone.now():
        raise services.RegistryError(_("Versions must be in order of time, and in the past."))


def _import_acknowledgements(notice: Notice, acknowledgements) -> None:
    versions = {version.number: version for version in notice.versions.all()}
    for state_code, number, at in acknowledgements:
        if number not in versions:
            raise services.RegistryError(_("No version %(n)d to acknowledge.") % {"n": number})
        notification_services.acknowledge(
            version=versions[number],
            state=State.objects.get(pk=state_code),
            route=Route.IMPORTED,
            at=at,
        )


# --- JSON lines ---------------------------------------------------------------------------------


def parse_line(data: dict[str, Any], default_user) -> HistoricalNotice:
    """A ``HistoricalNotice`` from one decoded JSON line, validated like an API filing."""
    kind = data.get("kind")
    if kind not in NoticeKind.values:
        raise services.RegistryError(_("Unknown kind of notice."), {"kind": [str(kind)]})
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
    return HistoricalNotice(
        state=State.objects.get(pk=data["state"]),
        commitment=Commitment.objects.get(code=data["commitment"]),
        kind=kind,
        client_ref=str(data["client_ref"]),
        filed_by=_user(data.get("filed_by"), default_user),
        versions=versions,
        acknowledgements=[
            (a["state"], int(a["version"]), _time(a, "acknowledged_at"))
            for a in data.get("acknowledgements", [])
        ],
    )


def _content(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    serializer = KIND_SERIALIZERS[kind](data=data.get(kind))
    if not serializer.is_valid():
        raise services.RegistryError(_("The notice has errors."), {kind: serializer.errors})
    return serializer.validated_data


def _time(data: dict[str, Any], key: str) -> dt.datetime:
    moment = parse_datetime(str(data.get(key, "")))
    if moment is None or moment.tzinfo is None:
        raise services.RegistryError(
            _("Give %(key)s as an ISO 8601 time with its offset.") % {"key": key}
        )
    return moment


def _user(username: str | None, default_user):
    if not username:
        return default_user
    return get_user_model().objects.filter(username=username).first() or default_user
