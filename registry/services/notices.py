"""Every write to the registry's notices: file, amend, cancel.

Each service checks who may do it, validates the content through the models, asks
``registry.rules`` for the assessment, works out the recipients, and writes the
version with its content in one transaction. Views and the API only call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import dispatch
from registry import rules
from registry.ledger import events as ledger_events
from registry.models import (
    Commitment,
    Notice,
    NoticeVersion,
    Official,
    ReferenceCounter,
    State,
)
from registry.notice_content import (
    Content,
    ContentError,
    ContentKind,
    content_kind,
    version_content,
)
from registry.selectors import official_of, participant_codes, recipient_codes
from registry.vocabulary import NoticeKind, NoticeStatus

from .errors import ConflictError, Filing, NotPermitted, RegistryError
from .findings import flag_exercise

MAX_REASON_LENGTH = 2000


# --- who may write ---------------------------------------------------------------------


def require_liaison(user) -> Official:
    official = official_of(user)
    if official is None or not official.is_liaison:
        raise NotPermitted(_("Only a liaison of a state can file, amend or cancel notices."))
    return official


def require_own_notice(official: Official, notice: Notice) -> None:
    if notice.state_id != official.state_id:
        raise NotPermitted(_("Only a liaison of the filing state can change this notice."))


# --- filing ----------------------------------------------------------------------------


def file_notice(
    *, user, commitment: Commitment, kind: str, client_ref: str, content: dict[str, Any]
) -> Filing:
    """File the first version of a notice for the user's state.

    A replay of the same submission under the same ``client_ref`` returns the existing
    notice (``created`` is false); a different submission under it is a conflict.
    """
    official = require_liaison(user)
    state = official.state
    assert state is not None
    client_ref = _clean_client_ref(client_ref)
    handler = content_kind(_known_kind(kind))
    rows = _build(handler, kind, content)
    digest = submission_digest(commitment, kind, handler.as_dict(rows))
    filed_at = timezone.now()
    filing_date = rules.local_date(commitment, filed_at)
    participants = participant_codes(commitment, filing_date)
    if state.code not in participants:
        replay = _replay(state, client_ref, digest)
        if replay is not None:
            return replay
        raise RegistryError(
            _("%(state)s does not take part in %(commitment)s on %(date)s.")
            % {"state": state.code, "commitment": commitment.code, "date": filing_date},
            {"commitment": [_("Your state does not take part in this commitment today.")]},
        )
    try:
        return _write_new_notice(
            user=user,
            state=state,
            commitment=commitment,
            handler=handler,
            rows=rows,
            client_ref=client_ref,
            digest=digest,
            filed_at=filed_at,
            recipients=sorted(participants - {state.code}),
        )
    except IntegrityError:
        # The client reference is taken: a replay (the same submission, perhaps racing with
        # itself) answers with the existing notice; anything else is a conflict.
        replay = _replay(state, client_ref, digest)
        if replay is None:
            raise
        return replay


def _write_new_notice(
    *,
    user,
    state: State,
    commitment: Commitment,
    handler: ContentKind,
    rows: Content,
    client_ref: str,
    digest: str,
    filed_at: dt.datetime,
    imported: bool = False,
    recipients: list[str] | None = None,
) -> Filing:
    filing_date = rules.local_date(commitment, filed_at)
    with transaction.atomic():
        sequence = next_sequence(state, handler.kind, filing_date.year)
        notice = Notice.objects.create(
            state=state,
            commitment=commitment,
            kind=handler.kind,
            year=filing_date.year,
            sequence=sequence,
            reference=Notice.make_reference(state.code, handler.kind, filing_date.year, sequence),
            client_ref=client_ref,
            submission_digest=digest,
            first_filed_at=filed_at,
            created_by=user,
            imported=imported,
        )
        version = _write_version(
            notice,
            handler,
            rows,
            status=NoticeStatus.FILED,
            user=user,
            filed_at=filed_at,
            recipients=recipients,
        )
    return Filing(notice=notice, version=version)


def amend_notice(*, user, notice: Notice, content: dict[str, Any], reason: str) -> Filing:
    """File a new version with the full new content; the earlier versions stay as they were."""
    official = require_liaison(user)
    handler = content_kind(notice.kind)
    rows = _build(handler, notice.kind, content)
    reason = _clean_reason(reason)
    with transaction.atomic():
        notice = _lock_for_change(official, notice)
        if handler.as_dict(rows) == version_content(notice.current_version, notice.kind):
            raise RegistryError(
                _("The amendment changes nothing."),
                {notice.kind: [_("The amendment changes nothing in the notice.")]},
            )
        version = _write_version(
            notice, handler, rows, status=NoticeStatus.AMENDED, user=user, reason=reason
        )
    return Filing(notice=notice, version=version)


def cancel_notice(*, user, notice: Notice, reason: str) -> Filing:
    """File a cancellation: a last version that repeats the content and ends the notice."""
    official = require_liaison(user)
    handler = content_kind(notice.kind)
    reason = _clean_reason(reason)
    with transaction.atomic():
        notice = _lock_for_change(official, notice)
        rows = _build(handler, notice.kind, version_content(notice.current_version, notice.kind))
        version = _write_version(
            notice, handler, rows, status=NoticeStatus.CANCELLED, user=user, reason=reason
        )
    return Filing(notice=notice, version=version)


def _lock_for_change(official: Official, notice: Notice) -> Notice:
    require_own_notice(official, notice)
    locked = (
        Notice.objects.select_for_update(of=("self",))
        .select_related("commitment", "state", "current_version")
        .get(pk=notice.pk)
    )
    if locked.is_cancelled:
        raise RegistryError(_("This notice is cancelled; it can no longer be changed."))
    return locked


def _write_version(
    notice: Notice,
    handler: ContentKind,
    rows: Content,
    *,
    status: str,
    user,
    reason: str = "",
    filed_at: dt.datetime | None = None,
    recipients: list[str] | None = None,
) -> NoticeVersion:
    """Write a version with its content, assessment and recipients (inside a transaction).

    An imported notice's versions go to the recipients' inboxes as received when they were
    filed; nothing is sent out again.
    """
    filed_at = filed_at or timezone.now()
    commitment = notice.commitment
    previous = notice.current_version
    content = handler.as_dict(rows)
    assessment = rules.assess(commitment, notice.kind, content, notice.first_filed_at)
    version = NoticeVersion.objects.create(
        notice=notice,
        number=previous.number + 1 if previous else 1,
        status=status,
        amends=previous,
        reason=reason,
        filed_at=filed_at,
        filed_by=user,
        **assessment.as_dict(),
    )
    handler.save(version, rows)
    if recipients is None:
        recipients = recipient_codes(
            commitment, notice.state, rules.local_date(commitment, filed_at)
        )
    version.set_recipients(recipients)
    dispatch.create_deliveries(version, recipients, imported=notice.imported)
    ledger_events.record_version(version, content)
    if notice.kind == NoticeKind.EXERCISE:
        flag_exercise(
            notice, version, content, version_content(previous, notice.kind) if previous else None
        )
    notice.make_current(version)
    return version


def next_sequence(state: State, kind: str, year: int) -> int:
    """The next number of a state's references of one kind in one year, in one statement.

    The upsert takes the counter row's lock until the filing commits, so numbers are
    dense and never reused.
    """
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (state_id, kind, year, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (state_id, kind, year) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [state.code, kind, year],
        )
        return cursor.fetchone()[0]


# --- helpers ---------------------------------------------------------------------------


def _known_kind(kind: str) -> str:
    if kind not in NoticeKind.values:
        raise RegistryError(_("Unknown kind of notice."), {"kind": [_("Unknown kind of notice.")]})
    return kind


def _build(handler: ContentKind, kind: str, content: dict[str, Any]) -> Content:
    try:
        return handler.build(content)
    except ContentError as exc:
        raise RegistryError(
            _("The notice has errors; nothing was filed."), {kind: exc.errors}
        ) from exc


def plain_text(value: Any, field: str) -> str:
    """A text value, stripped; anything but text, or text with NUL characters (which the
    database refuses), is refused naming ``field``."""
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise RegistryError(_("Give plain text."), {field: [_("Give plain text.")]})
    return value.strip()


def _clean_client_ref(client_ref: str) -> str:
    client_ref = plain_text(client_ref, "client_ref")
    if not client_ref or len(client_ref) > 100:
        raise RegistryError(
            _("Give a client reference of 1 to 100 characters."),
            {"client_ref": [_("Give a client reference of 1 to 100 characters.")]},
        )
    return client_ref


def _clean_reason(reason: str) -> str:
    reason = plain_text(reason, "reason")
    if not reason:
        raise RegistryError(_("Give the reason."), {"reason": [_("Give the reason.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise RegistryError(
            _("The reason is too long."),
            {"reason": [_("At most %(n)d characters.") % {"n": MAX_REASON_LENGTH}]},
        )
    return reason


def _replay(state: State, client_ref: str, digest: str) -> Filing | None:
    notice = (
        Notice.objects.select_related("current_version", "commitment", "state")
        .filter(state=state, client_ref=client_ref)
        .first()
    )
    if notice is None:
        return None
    if notice.submission_digest != digest:
        raise ConflictError(
            _("Client reference %(ref)s was already used for a different submission (%(notice)s).")
            % {"ref": client_ref, "notice": notice.reference},
            {"client_ref": [_("Already used for a different submission.")]},
        )
    first_version = notice.versions.get(number=1)
    return Filing(notice=notice, version=first_version, created=False)


def submission_digest(commitment: Commitment, kind: str, content: dict[str, Any]) -> str:
    """A stable SHA-256 of what was submitted, to tell a replay from a different filing."""
    document = {"commitment": commitment.code, "kind": kind, "content": content}
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), cls=_DigestEncoder)
    return hashlib.sha256(encoded.encode()).hexdigest()


class _DigestEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return format(o.normalize(), "f")
        return super().default(o)
