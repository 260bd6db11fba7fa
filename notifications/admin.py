"""The secretariat's administration of endpoints, deliveries and alerts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models, transaction
from django.utils import timezone

from notifications import services
from notifications.models import Alert, Delivery, DeliveryAttempt, Endpoint
from notifications.signing import generate_secret
from registry.ledger.events import record_endpoint_if_changed


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["state", "kind", "label", "url", "email", "status", "failing_since"]
    list_filter = ["kind", "status", "state"]
    readonly_fields = [
        "secret",
        "previous_secret_expires_at",
        "status",
        "status_reason",
        "status_changed_at",
        "failing_since",
        "created_at",
    ]
    exclude = ["previous_secret"]
    actions = ["rotate_secrets", "suspend", "resume"]
    # A URL typed without a scheme is taken as HTTPS; the model's validator then checks it.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj: Endpoint, form, change: bool) -> None:
        if obj.kind == Endpoint.Kind.WEBHOOK and not obj.secret:
            obj.secret = generate_secret()
            messages.warning(
                request,
                f"Signing secret of the new endpoint (give it to {obj.state_id}): {obj.secret}",
            )
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = "updated" if change else "created"
            record_endpoint_if_changed(obj, action=action, by=request.user)

    @admin.action(description="Rotate the signing secret (the old one signs for 24 more hours)")
    def rotate_secrets(self, request, queryset) -> None:
        for endpoint in queryset.filter(kind=Endpoint.Kind.WEBHOOK):
            services.rotate_secret(endpoint, by=request.user)
            messages.warning(request, f"New secret of {endpoint}: {endpoint.secret}")

    @admin.action(description="Suspend (deliveries are held)")
    def suspend(self, request, queryset) -> None:
        for endpoint in queryset:
            services.suspend_endpoint(
                endpoint, reason=f"Suspended by {request.user.username}.", by=request.user
            )

    @admin.action(description="Resume and send held deliveries")
    def resume(self, request, queryset) -> None:
        for endpoint in queryset:
            services.resume_endpoint(endpoint, by=request.user)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "error",
        "response_excerpt",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "version",
        "recipient",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "endpoint__kind", "recipient"]
    list_select_related = ["version__notice", "endpoint"]
    inlines = [AttemptInline]
    actions = ["replay"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Send again now")
    def replay(self, request, queryset) -> None:
        count = sum(services.replay_delivery(delivery) for delivery in queryset)
        messages.success(
            request, f"{count} deliveries will be sent again ({timezone.now():%H:%M:%S})."
        )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "audience", "state", "commitment", "kind", "message"]
    list_filter = ["audience", "kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
