"""Delivery of notices to counterpart states, their acknowledgements and clarifications.

The database is the source of truth for every delivery: a ``Delivery`` row is written
in the transaction that files a version, and the broker only ever carries its id.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.destinations import validate_webhook_url
from notifications.secrets import EncryptedSecretField
from registry.models import Commitment, NoticeVersion, State


class Endpoint(models.Model):
    """A place where a state receives notices: its registry inbox, a webhook of its
    national system, or an email point of contact."""

    class Kind(models.TextChoices):
        INBOX = "inbox", _("Registry inbox")
        WEBHOOK = "webhook", _("Webhook")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="endpoints")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=100, blank=True)
    url = models.URLField(
        max_length=500,
        blank=True,
        validators=[validate_webhook_url],
        help_text=_("HTTPS, on a public address (or in a network the secretariat allows)."),
    )
    email = models.EmailField(blank=True)
    secret = EncryptedSecretField(
        blank=True, help_text=_("whsec_… signing secret (stored encrypted).")
    )
    previous_secret = EncryptedSecretField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text=_("First failure since the last success.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["state_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(kind="inbox"), name="endpoint_one_inbox_per_state"
            ),
            models.CheckConstraint(
                condition=~Q(kind="webhook") | (~Q(url="") & ~Q(secret="")),
                name="endpoint_webhook_has_url_and_secret",
            ),
            models.CheckConstraint(
                condition=~Q(kind="email") | ~Q(email=""), name="endpoint_email_has_address"
            ),
        ]

    def __str__(self) -> str:
        target = {"webhook": self.url, "email": self.email}.get(self.kind, "inbox")
        return f"{self.state_id} {self.kind} {target}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Event(models.TextChoices):
    NOTICE_FILED = "notice.filed", _("Notice filed")
    NOTICE_AMENDED = "notice.amended", _("Notice amended")
    NOTICE_CANCELLED = "notice.cancelled", _("Notice cancelled")
    CLARIFICATION_ASKED = "clarification.asked", _("Clarification asked")
    CLARIFICATION_ANSWERED = "clarification.answered", _("Clarification answered")


class Delivery(models.Model):
    """One message to one endpoint of one recipient state, retried until it is accepted.

    ``message_id`` is the Standard Webhooks ``webhook-id``: the same for every attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held (endpoint suspended)")

    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=30, choices=Event.choices)
    version = models.ForeignKey(NoticeVersion, on_delete=models.PROTECT, related_name="deliveries")
    clarification = models.ForeignKey(
        "Clarification", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    recipient = models.ForeignKey(State, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text=_("Attempts made, ever."))
    retry_step = models.PositiveSmallIntegerField(
        default=0, help_text=_("Failures since the schedule last started (a replay restarts it).")
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "endpoint"],
                condition=Q(clarification__isnull=True),
                name="delivery_once_per_version_and_endpoint",
            ),
            models.UniqueConstraint(
                fields=["clarification", "event", "endpoint"],
                condition=Q(clarification__isnull=False),
                name="delivery_once_per_clarification_step_and_endpoint",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="delivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "created_at"], name="delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} v{self.version_id} → {self.endpoint}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.message_id.hex}"


class DeliveryAttempt(models.Model):
    """One try at a delivery, with what came back (the response truncated to 8 KB)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Route(models.TextChoices):
    WEB = "web", _("Registry web page")
    API = "api", _("REST API")
    SIGNED_URL = "signed_url", _("Signed link from the national system")
    IMPORTED = "imported", _("Imported from an earlier record")


class Acknowledgement(models.Model):
    """A recipient state's confirmation that it has received one version of a notice."""

    version = models.ForeignKey(
        NoticeVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the state's national system acknowledged through its signed link."),
    )
    route = models.CharField(max_length=12, choices=Route.choices)
    comment = models.TextField(blank=True, max_length=2000)
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version_id", "state_id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "state"], name="acknowledged_once_per_state")
        ]

    def __str__(self) -> str:
        return f"{self.state_id} acknowledged {self.version}"


class Clarification(models.Model):
    """A recipient state's question about a notice version, and the filing state's answer."""

    version = models.ForeignKey(
        NoticeVersion, on_delete=models.PROTECT, related_name="clarifications"
    )
    asking_state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    question = models.TextField(max_length=4000)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answer_due_at = models.DateTimeField()
    answer = models.TextField(blank=True, max_length=4000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answer="")
                | Q(answered_at__isnull=False) & ~Q(answer=""),
                name="clarification_answer_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Clarification {self.pk} on {self.version}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class Alert(models.Model):
    """Something a person must know: shown in the registry and, where set, emailed.

    Audience: the secretariat, the monitors of a commitment, or the officials of a state.
    """

    class Audience(models.TextChoices):
        SECRETARIAT = "secretariat", _("Secretariat")
        MONITORS = "monitors", _("Monitors")
        STATE = "state", _("State officials")

    class Kind(models.TextChoices):
        DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
        ENDPOINT_SUSPENDED = "endpoint_suspended", _("Endpoint suspended")
        ACKNOWLEDGEMENT_OVERDUE = "ack_overdue", _("Acknowledgement overdue")
        ANSWER_OVERDUE = "answer_overdue", _("Answer overdue")

    audience = models.CharField(max_length=12, choices=Audience.choices)
    state = models.ForeignKey(State, null=True, blank=True, on_delete=models.PROTECT)
    commitment = models.ForeignKey(Commitment, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audience="state") | Q(state__isnull=False),
                name="alert_state_audience_has_state",
            )
        ]

    def __str__(self) -> str:
        return self.message


class Reminder(models.Model):
    """Records that a step of chasing an overdue response was taken, so it is never repeated.

    Step 1 reminds the state that owes the response; step 2 (at twice the deadline) tells
    the monitors.
    """

    version = models.ForeignKey(
        NoticeVersion, null=True, on_delete=models.PROTECT, related_name="+"
    )
    clarification = models.ForeignKey(
        Clarification, null=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "state", "step"],
                condition=Q(version__isnull=False),
                name="reminder_once_per_acknowledgement_step",
            ),
            models.UniqueConstraint(
                fields=["clarification", "step"],
                condition=Q(clarification__isnull=False),
                name="reminder_once_per_answer_step",
            ),
            models.CheckConstraint(
                condition=Q(version__isnull=True) ^ Q(clarification__isnull=True),
                name="reminder_has_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder step {self.step} to {self.state_id}"
