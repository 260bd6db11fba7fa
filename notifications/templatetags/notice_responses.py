"""The acknowledgement and clarification panel shown on a notice page."""

from __future__ import annotations

from django import template
from django.utils import timezone

from notifications import selectors
from registry import rules
from registry.selectors import official_of

register = template.Library()


@register.inclusion_tag("notifications/_notice_responses.html", takes_context=True)
def notice_responses(context, notice) -> dict:
    request = context["request"]
    official = official_of(request.user)
    version = notice.current_version
    recipient = bool(
        official and official.state_id and version.recipients.filter(pk=official.state_id).exists()
    )
    acknowledgement = (
        version.acknowledgements.filter(state_id=official.state_id).first() if recipient else None
    )
    received_at = selectors.received_at(version, official.state_id) if recipient else None
    acknowledge_by = (
        rules.acknowledgement_due_at(notice.commitment, received_at) if received_at else None
    )
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "notice": notice,
        "version": version,
        "recipient": recipient,
        "acknowledgement": acknowledgement,
        "can_respond": recipient and official.is_counterpart,
        "acknowledge_by": acknowledge_by,
        "overdue": acknowledge_by is not None and acknowledge_by < timezone.now(),
        "sees_deliveries": selectors.can_see_deliveries(request.user, notice),
        "clarifications": selectors.clarifications_visible_to(request.user).filter(
            version__notice=notice
        ),
        "can_answer": bool(
            official and official.is_liaison and official.state_id == notice.state_id
        ),
    }
