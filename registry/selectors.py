"""Reads: what each user may see, and the lookups the pages and the API share.

Visibility (DOMAIN.md §2, issue 2):
- the secretariat sees every notice;
- a monitor sees every notice under the commitments granted to its organisation;
- an official of a state sees the notices its state filed and those it received
  (it is a recipient of at least one version);
- anyone else sees nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from registry.models import Commitment, Notice, NoticeVersion, Official, Participation, State
from registry.notice_content import content_prefetches, content_select_related


def official_of(user) -> Official | None:
    """The user's registry role, or ``None`` (anonymous, or a user with no role)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.official
    except Official.DoesNotExist:
        return None


def notices_visible_to(user) -> QuerySet[Notice]:
    official = official_of(user)
    notices = Notice.objects.all()
    if official is None:
        return notices.none()
    if official.is_secretariat:
        return notices
    if official.organisation_id:
        return notices.filter(commitment__monitoring_organisations=official.organisation_id)
    received = NoticeVersion.recipients.through.objects.filter(
        noticeversion__notice=OuterRef("pk"), state_id=official.state_id
    )
    return notices.filter(Q(state_id=official.state_id) | Exists(received))


def notices_for_listing(user) -> QuerySet[Notice]:
    """Visible notices with what a list shows, in a fixed number of queries."""
    return (
        notices_visible_to(user)
        .select_related(
            "state",
            "commitment",
            "current_version",
            *(f"current_version__{name}" for name in content_select_related()),
        )
        .prefetch_related(*(f"current_version__{name}" for name in content_prefetches()))
    )


def versions_with_content(notice: Notice) -> QuerySet[NoticeVersion]:
    return (
        notice.versions.select_related("filed_by", *content_select_related())
        .prefetch_related(
            *content_prefetches(), Prefetch("recipients", queryset=State.objects.order_by("code"))
        )
        .order_by("number")
    )


def participant_codes(commitment: Commitment, day: dt.date) -> set[str]:
    """The states taking part in the commitment on ``day``."""
    return Participation.objects.state_codes_on(commitment, day)


def takes_part(state: State, commitment: Commitment, day: dt.date) -> bool:
    return state.pk in participant_codes(commitment, day)


def recipient_codes(commitment: Commitment, filing_state: State, day: dt.date) -> list[str]:
    """The other participants of the commitment on ``day``: who receives a version filed then."""
    return sorted(participant_codes(commitment, day) - {filing_state.pk})


def commitments_open_to(state: State, day: dt.date) -> QuerySet[Commitment]:
    """Commitments a state may file under on ``day``."""
    return Commitment.objects.filter(
        Exists(Participation.objects.on(day).filter(commitment=OuterRef("pk"), state=state))
    )


def commitments_visible_to(user) -> QuerySet[Commitment]:
    official = official_of(user)
    if official is None:
        return Commitment.objects.none()
    if official.organisation_id:
        return Commitment.objects.filter(monitoring_organisations=official.organisation_id)
    return Commitment.objects.all()


# --- compliance reports and findings -----------------------------------------------------------
#
# Who sees what (issue 4): monitors of an organisation granted a commitment, and the
# secretariat, see every state's report and every finding under it, whichever organisation
# recorded the finding. A state's officials see their own state's report (a
# self-assessment) and the findings that concern their state, never another state's.

ALL_STATES = "*"


def compliance_scope(user, commitment: Commitment) -> str | None:
    """``ALL_STATES``, the user's own state code, or ``None`` (may not see this commitment)."""
    official = official_of(user)
    if official is None:
        return None
    if official.is_secretariat:
        return ALL_STATES
    if official.organisation_id:
        granted = commitment.monitoring_organisations.filter(pk=official.organisation_id).exists()
        return ALL_STATES if granted else None
    return official.state_id


def findings_visible_to(user):
    from registry.models import Finding

    official = official_of(user)
    findings = Finding.objects.select_related("commitment", "state", "notice", "organisation")
    if official is None:
        return findings.none()
    if official.is_secretariat:
        return findings
    if official.organisation_id:
        return findings.filter(commitment__monitoring_organisations=official.organisation_id)
    return findings.filter(state_id=official.state_id)


def api_tokens_visible_to(user):
    """API tokens the user may list and revoke: their own; the secretariat's: everyone's."""
    from registry.models import ApiToken

    official = official_of(user)
    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at")
    if official is not None and official.is_secretariat:
        return tokens
    if user is None or not user.is_authenticated:
        return tokens.none()
    return tokens.filter(user=user)
