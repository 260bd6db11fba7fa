"""Reads of the notifications app: inboxes, delivery matrices, alerts."""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from notifications.messages import NOTICE_EVENTS
from notifications.models import Acknowledgement, Alert, Clarification, Delivery, Endpoint
from registry import rules
from registry.models import Commitment
from registry.selectors import official_of


def alerts_for(user):
    """The alerts a user's role is an audience of."""
    official = official_of(user)
    if official is None:
        return Alert.objects.none()
    if official.is_secretariat:
        return Alert.objects.filter(audience=Alert.Audience.SECRETARIAT)
    if official.organisation_id:
        return Alert.objects.filter(
            audience=Alert.Audience.MONITORS,
            commitment__monitoring_organisations=official.organisation_id,
        )
    return Alert.objects.filter(audience=Alert.Audience.STATE, state_id=official.state_id)


def inbox(user, *, state_filter: str = ""):
    """Versions the user's state received in its registry inbox, newest first.

    ``state_filter``: ``new`` (not acknowledged), ``acknowledged``, ``overdue`` (not
    acknowledged past the commitment's deadline), or empty for all.
    """
    official = official_of(user)
    if official is None or official.state_id is None:
        return Delivery.objects.none()
    acknowledged_at = Acknowledgement.objects.filter(
        version=OuterRef("version"), state=OuterRef("recipient")
    ).values("acknowledged_at")[:1]
    items = (
        Delivery.objects.filter(
            recipient_id=official.state_id,
            endpoint__kind=Endpoint.Kind.INBOX,
            event__in=NOTICE_EVENTS,
        )
        .select_related("version__notice__commitment", "version__notice__state")
        .annotate(acknowledged_at=Subquery(acknowledged_at))
        .order_by("-delivered_at", "-id")
    )
    if state_filter == "new":
        return items.filter(acknowledged_at__isnull=True)
    if state_filter == "acknowledged":
        return items.filter(acknowledged_at__isnull=False)
    if state_filter == "overdue":
        return items.filter(acknowledged_at__isnull=True).filter(overdue_receipts())
    return items


def overdue_receipts(now=None) -> Q:
    """Received long enough ago to be overdue, under each commitment's own deadline."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for commitment in Commitment.objects.all():
        cutoff = rules.acknowledgement_overdue_cutoff(commitment, now)
        condition |= Q(version__notice__commitment=commitment, delivered_at__lte=cutoff)
    return condition


def delivery_matrix(version):
    """Every delivery of a version, by recipient and channel, with acknowledgements."""
    return (
        Delivery.objects.filter(version=version, clarification__isnull=True)
        .select_related("endpoint")
        .order_by("recipient_id", "endpoint__kind", "endpoint_id")
    )


def can_see_deliveries(user, notice) -> bool:
    """The filing state, the secretariat and the monitors see who received what; others don't."""
    official = official_of(user)
    if official is None:
        return False
    return official.is_secretariat or official.is_monitor or official.state_id == notice.state_id


def clarifications_visible_to(user):
    from registry.selectors import notices_visible_to

    return Clarification.objects.filter(
        version__notice__in=notices_visible_to(user)
    ).select_related("version__notice", "asked_by", "answered_by")


def inbox_counts(user) -> dict[str, int]:
    return {name: inbox(user, state_filter=name).count() for name in ("new", "overdue")}


def open_questions(user):
    """Clarifications that concern the user's state and are not answered yet."""
    official = official_of(user)
    if official is None or official.state_id is None:
        return Clarification.objects.none()
    return (
        Clarification.objects.filter(answered_at__isnull=True)
        .filter(
            Q(version__notice__state_id=official.state_id) | Q(asking_state_id=official.state_id)
        )
        .select_related("version__notice", "asked_by")
        .order_by("answer_due_at")
    )


def matrix_rows(version) -> list[dict]:
    """One row per recipient: its deliveries by channel, and its acknowledgement."""
    acknowledgements = {
        a.state_id: a for a in version.acknowledgements.select_related("acknowledged_by")
    }
    rows: dict[str, dict] = {}
    for delivery in delivery_matrix(version).select_related("recipient"):
        row = rows.setdefault(
            delivery.recipient_id,
            {
                "state": delivery.recipient,
                "deliveries": [],
                "acknowledgement": acknowledgements.get(delivery.recipient_id),
            },
        )
        row["deliveries"].append(delivery)
    return list(rows.values())


def troubled_deliveries(status: str = ""):
    deliveries = Delivery.objects.select_related("endpoint", "version__notice").order_by(
        "-created_at"
    )
    if status:
        return deliveries.filter(status=status)
    return deliveries.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.HELD])


def endpoints_needing_attention():
    return Endpoint.objects.filter(
        Q(status=Endpoint.Status.SUSPENDED) | Q(failing_since__isnull=False)
    ).select_related("state")


def received_at(version, state_code: str):
    """When a state's registry inbox received a version (the start of its acknowledgement clock)."""
    return (
        Delivery.objects.filter(
            version=version, recipient_id=state_code, endpoint__kind=Endpoint.Kind.INBOX
        )
        .values_list("delivered_at", flat=True)
        .first()
    )


def with_deadlines(items, now=None):
    """Mark inbox items with their acknowledgement deadline and whether it has passed."""
    now = now or timezone.now()
    for item in items:
        item.acknowledge_by = rules.acknowledgement_due_at(
            item.version.notice.commitment, item.delivered_at
        )
        item.is_overdue = item.acknowledged_at is None and item.acknowledge_by < now
    return items
