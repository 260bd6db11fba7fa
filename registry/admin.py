"""The secretariat's administration: states, commitments, participations, officials and roles."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.ledger import events as ledger_events
from registry.models import ApiToken, Commitment, Official, Organisation, Participation, State
from registry.services import accounts

admin.site.site_header = "Notification registry: secretariat"
admin.site.site_title = "Registry administration"


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    filter_horizontal = ["commitments"]


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone", "exercise_lead_days", "threshold_troops"]
    inlines = [ParticipationInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "time_zone"]}),
        (
            "Exercises",
            {
                "fields": [
                    "exercise_lead_days",
                    "snap_notice_days",
                    "threshold_troops",
                    "threshold_battle_tanks",
                    "threshold_acv",
                    "threshold_artillery",
                    "threshold_airborne_amphibious_troops",
                    "air_component_sorties",
                    "observation_troops",
                    "observation_battle_tanks",
                    "observation_airborne_amphibious_troops",
                ]
            },
        ),
        (
            "Periodic obligations and procurement",
            {
                "fields": [
                    ("calendar_due_month", "calendar_due_day", "calendar_due_years_before"),
                    (
                        "procurement_plan_due_month",
                        "procurement_plan_due_day",
                        "procurement_plan_due_years_before",
                    ),
                    "procurement_plan_months_after_budget",
                    "procurement_notice_days",
                ]
            },
        ),
        ("Responses", {"fields": ["acknowledgement_hours", "clarification_hours"]}),
    ]

    def save_related(self, request, form, formsets, change: bool) -> None:
        """Log the parameters and participants once both are saved (same transaction)."""
        super().save_related(request, form, formsets, change)
        ledger_events.record_commitment_if_changed(form.instance, by=request.user)


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["commitment", "state", "role", "joined_on", "left_on"]
    list_filter = ["commitment", "role"]

    def save_model(self, request, obj: Participation, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        ledger_events.record_commitment_if_changed(obj.commitment, by=request.user)

    def delete_model(self, request, obj: Participation) -> None:
        super().delete_model(request, obj)
        ledger_events.record_commitment_if_changed(obj.commitment, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        commitments = {participation.commitment for participation in queryset}
        with transaction.atomic():  # the bulk delete action runs outside the admin's own
            super().delete_queryset(request, queryset)
            for commitment in commitments:
                ledger_events.record_commitment_if_changed(commitment, by=request.user)


class OfficialInline(admin.StackedInline):
    model = Official
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class OfficialUserAdmin(UserAdmin):
    inlines = [OfficialInline]
    list_display = ["username", "email", "affiliation", "is_active", "last_login"]
    list_select_related = ["official"]

    def save_related(self, request, form, formsets, change: bool) -> None:
        """Log the official's roles once the user and the inline are saved."""
        super().save_related(request, form, formsets, change)
        ledger_events.record_roles_if_changed(form.instance, by=request.user)

    @admin.display(description="Affiliation")
    def affiliation(self, user) -> str:
        official = getattr(user, "official", None)
        return official.affiliation if official else "—"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens (only their hashes are stored): the secretariat revokes them."""

    list_display = ["hint", "user", "label", "created_at", "expires_at", "revoked_at", "revoked_by"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "hint", "label"]
    list_select_related = ["user", "revoked_by"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a token is issued to its owner, who alone sees its key

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        revoked = sum(accounts.revoke_token(token=token, by=request.user) for token in queryset)
        messages.success(request, f"{revoked} tokens revoked.")


# The authenticator's admin would show each user's TOTP key: the secretariat sees only that
# one is set up, and deletes it to reset a user who lost it (the user then enrols again).
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
