"""API representations of deliveries, acknowledgements, clarifications and endpoints."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework import serializers

from notifications.models import Acknowledgement, Clarification, Delivery, DeliveryAttempt, Endpoint
from registry import rules
from registry.models import State


class AcknowledgementRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version number acknowledged.")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AcknowledgementSerializer(serializers.ModelSerializer):
    notice = serializers.IntegerField(source="version.notice_id")
    reference = serializers.CharField(source="version.notice.reference")
    version = serializers.IntegerField(source="version.number")
    state = serializers.CharField(source="state_id")
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True)

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "notice",
            "reference",
            "version",
            "state",
            "acknowledged_by",
            "route",
            "comment",
            "acknowledged_at",
        ]


class ClarificationRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version asked about (default: the current one)."
    )
    question = serializers.CharField(max_length=4000)


class AnswerRequestSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=4000)


class ClarificationSerializer(serializers.ModelSerializer):
    notice = serializers.IntegerField(source="version.notice_id")
    reference = serializers.CharField(source="version.notice.reference")
    version = serializers.IntegerField(source="version.number")
    asking_state = serializers.CharField(source="asking_state_id")
    asked_by = serializers.CharField(source="asked_by.username")
    answered_by = serializers.CharField(source="answered_by.username", allow_null=True)

    class Meta:
        model = Clarification
        fields = [
            "id",
            "notice",
            "reference",
            "version",
            "asking_state",
            "question",
            "asked_by",
            "asked_at",
            "answer_due_at",
            "answer",
            "answered_by",
            "answered_at",
        ]


class InboxItemSerializer(serializers.ModelSerializer):
    """A version received by the reader's state, with whether and when the state acknowledged it."""

    notice = serializers.IntegerField(source="version.notice_id")
    reference = serializers.CharField(source="version.notice.reference")
    state = serializers.CharField(source="version.notice.state_id")
    commitment = serializers.CharField(source="version.notice.commitment.code")
    kind = serializers.CharField(source="version.notice.kind")
    version = serializers.IntegerField(source="version.number")
    status = serializers.CharField(source="version.status")
    received_at = serializers.DateTimeField(source="delivered_at")
    acknowledge_by = serializers.SerializerMethodField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "notice",
            "reference",
            "state",
            "commitment",
            "kind",
            "version",
            "status",
            "event",
            "received_at",
            "acknowledge_by",
            "acknowledged_at",
            "overdue",
        ]

    def get_acknowledge_by(self, delivery: Delivery) -> datetime.datetime:
        return rules.acknowledgement_due_at(
            delivery.version.notice.commitment, delivery.delivered_at
        )

    def get_overdue(self, delivery: Delivery) -> bool:
        return (
            delivery.acknowledged_at is None and self.get_acknowledge_by(delivery) < timezone.now()
        )


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_excerpt"]


class DeliverySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="version.notice.reference")
    version = serializers.IntegerField(source="version.number")
    recipient = serializers.CharField(source="recipient_id")
    channel = serializers.CharField(source="endpoint.kind")
    endpoint = serializers.IntegerField(source="endpoint_id")
    webhook_id = serializers.CharField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event",
            "reference",
            "version",
            "recipient",
            "channel",
            "endpoint",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "last_status_code",
            "last_error",
        ]


class DeliveryDetailSerializer(DeliverySerializer):
    attempt_log = AttemptSerializer(many=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "attempt_log"]


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint as the secretariat manages it; its secret is shown on creation and rotation."""

    state = serializers.SlugRelatedField(slug_field="code", queryset=State.objects.all())

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "state",
            "kind",
            "label",
            "url",
            "email",
            "status",
            "status_reason",
            "status_changed_at",
            "failing_since",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "status_reason",
            "status_changed_at",
            "failing_since",
            "created_at",
        ]

    def validate_kind(self, kind: str) -> str:
        if kind == Endpoint.Kind.INBOX:
            raise serializers.ValidationError("Every state has its inbox already.")
        return kind


class EndpointSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True)

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class ReplaySerializer(serializers.Serializer):
    since = serializers.DateTimeField(help_text="Replay every delivery made since this time.")


class ReplayResultSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()
