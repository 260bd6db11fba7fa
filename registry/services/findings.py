"""Findings: what monitors record, and what the registry flags by itself on exercises."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import rules
from registry.ledger import events as ledger_events
from registry.models import Commitment, Finding, Notice, NoticeVersion, State
from registry.notice_content import has_nul
from registry.selectors import official_of

from .errors import NotPermitted, RegistryError

FINDING_COUNT_LABELS = {
    "troops": gettext_lazy("troops"),
    "battle_tanks": gettext_lazy("battle tanks"),
    "acv": gettext_lazy("armoured combat vehicles"),
    "artillery": gettext_lazy("artillery pieces"),
    "airborne_amphibious_troops": gettext_lazy("airborne or amphibious troops"),
}


MONITOR_FINDING_KINDS = (Finding.Kind.UNNOTIFIED_ACTIVITY, Finding.Kind.NOTE)


def record_finding(*, user, commitment: Commitment, state: State, kind: str, **fields) -> Finding:
    """A monitor records a finding: an activity observed but never notified, or a note on a
    notice. Only monitors of an organisation granted the commitment may."""
    official = official_of(user)
    if official is None or not official.organisation_id:
        raise NotPermitted(_("Only monitors record findings."))
    if not commitment.monitoring_organisations.filter(pk=official.organisation_id).exists():
        raise NotPermitted(_("Your organisation does not monitor this commitment."))
    if kind not in MONITOR_FINDING_KINDS:
        raise RegistryError(_("Monitors record unnotified activities or notes."), {"kind": [kind]})
    finding = Finding(
        kind=kind,
        commitment=commitment,
        state=state,
        organisation_id=official.organisation_id,
        recorded_by=user,
        **fields,
    )
    _check_fields(finding, fields)
    finding.year = _finding_year(finding)
    try:
        finding.full_clean()
    except ValidationError as exc:
        raise RegistryError(
            _("The finding has errors; nothing was recorded."), exc.message_dict
        ) from exc
    with transaction.atomic():
        finding.save()
        ledger_events.record_finding(finding)
    return finding


def _check_fields(finding: Finding, fields: dict[str, Any]) -> None:
    """Each field's type, range and length, before anything reads them; no NUL characters."""
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if has_nul(value):
            errors[name] = [_("Null characters are not allowed.")]
            continue
        field = Finding._meta.get_field(name)
        if field.is_relation:
            continue  # instances, from the caller's own lookups
        try:  # a value of the wrong type can raise TypeError rather than a ValidationError
            setattr(finding, field.attname, field.clean(value, finding))
        except ValidationError as exc:
            errors[name] = exc.messages
        except (TypeError, ValueError):
            errors[name] = [_("Not a valid value.")]
    if errors:
        raise RegistryError(_("The finding has errors; nothing was recorded."), errors)


def _finding_year(finding: Finding) -> int:
    """A note counts in its notice's year (an exercise's start); an activity in its first day."""
    notice = finding.notice
    if notice is not None:
        if notice.commitment_id != finding.commitment_id or notice.state_id != finding.state_id:
            raise RegistryError(
                _("The notice is not one of this state's under this commitment."), {"notice": []}
            )
        exercise = getattr(notice.current_version, "exercise", None)
        return exercise.start_date.year if exercise else notice.year
    if finding.observed_from is None:
        raise RegistryError(
            _("Give the first day the activity was observed."),
            {"observed_from": [_("This field is required.")]},
        )
    return finding.observed_from.year


def flag_exercise(
    notice: Notice, version: NoticeVersion, content: dict[str, Any], previous: dict[str, Any] | None
) -> list[Finding]:
    """The registry's own findings on an exercise version: sizes declared just under a
    threshold (once per notice), and an amendment that raises a size to a threshold."""
    with translation.override(settings.LANGUAGE_CODE):  # stored and logged: one language
        flags = _flags(notice, content, previous)
    findings = []
    for kind, note in flags:
        finding = Finding.objects.create(
            kind=kind,
            commitment=notice.commitment,
            state_id=notice.state_id,
            notice=notice,
            year=content["start_date"].year,
            note=f"{notice.reference} v{version.number}: {note}",
        )
        ledger_events.record_finding(finding)
        findings.append(finding)
    return findings


def _flags(
    notice: Notice, content: dict[str, Any], previous: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """``(kind, note)`` of each flag the version raises."""
    commitment = notice.commitment
    flags = []
    near = rules.near_thresholds(commitment, content)
    already_near = (
        notice.findings.filter(kind=Finding.Kind.NEAR_THRESHOLD).exists() if previous else False
    )
    if near and not already_near:
        flags.append(
            (Finding.Kind.NEAR_THRESHOLD, _describe_counts(commitment, content, near, "under"))
        )
    raised = rules.raised_above_thresholds(commitment, previous, content) if previous else []
    if raised:
        flags.append(
            (Finding.Kind.RAISED_AFTER_FILING, _describe_counts(commitment, content, raised, "to"))
        )
    return flags


def _describe_counts(
    commitment: Commitment, content: dict[str, Any], names: list[str], how: str
) -> str:
    parts = []
    for name in names:
        limit = getattr(commitment, rules.NOTIFIABILITY_THRESHOLDS[name])
        label = FINDING_COUNT_LABELS[name]
        if how == "under":
            parts.append(
                _("%(value)s %(what)s declared, just under the threshold of %(limit)s")
                % {"value": content[name], "what": label, "limit": limit}
            )
        else:
            parts.append(
                _("%(what)s raised to %(value)s after filing (threshold %(limit)s)")
                % {"value": content[name], "what": label, "limit": limit}
            )
    return "; ".join(parts)
