"""API representations. The kind objects read and write the content dicts of
``registry.notice_content``, so what the API accepts is exactly what it returns."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.api_schema import country_choices
from registry.models import (
    AnnualCalendarDetails,
    CalendarEntry,
    Commitment,
    ExerciseDetails,
    Notice,
    NoticeVersion,
    Participation,
    ProcurementItem,
    ProcurementPlanDetails,
    State,
)
from registry.models.content import validate_polygon
from registry.notice_content import version_content
from registry.vocabulary import NoticeKind

# --- building blocks -------------------------------------------------------------------


class ModelSerializer(serializers.ModelSerializer):
    # DRF's ModelSerializer, working out the fields it builds from the model once per class.
    # DRF does it for every instance (about 1 ms for an exercise, on every request); here the
    # first instance records the fields it built, and later ones only call their classes
    # with the same arguments. A built field whose arguments hold another field (a list's
    # child) is copied as DRF copies declared fields, since a field belongs to one parent.
    # (Comments, not a docstring: the API schema would show a docstring on every model.)

    def get_fields(self) -> dict[str, serializers.Field]:
        recorded = type(self).__dict__.get("_recorded_fields")
        if recorded is None:
            fields = super().get_fields()
            type(self)._recorded_fields = {
                name: None if name in self._declared_fields else field
                for name, field in fields.items()
            }
            return fields
        declared = copy.deepcopy(self._declared_fields)
        return {
            name: declared[name] if built is None else _fresh(built)
            for name, built in recorded.items()
        }


def _fresh(field: serializers.Field) -> serializers.Field:
    arguments = [*field._args, *field._kwargs.values()]
    if any(isinstance(argument, serializers.Field) for argument in arguments):
        return copy.deepcopy(field)
    return type(field)(*field._args, **field._kwargs)


COUNTRY_CHOICES = country_choices()
#: What the API schema says of a country field, without and with the empty choice: its
#: CountryEnum (``SPECTACULAR_SETTINGS``), as it says of django_countries' field.
COUNTRY_SCHEMA = {
    allow_blank: {
        "field": serializers.ChoiceField(choices=COUNTRY_CHOICES, allow_blank=allow_blank)
    }
    for allow_blank in (False, True)
}


class CountryCodeField(serializers.CharField):
    """An ISO 3166 country as its alpha-2 code; alpha-3 and numeric codes are read too.

    django_countries' own field is a choice field of every country, copied for every
    request (3.6 ms for a list of them); this one looks the code up instead.
    """

    default_error_messages = {
        "invalid_choice": serializers.ChoiceField.default_error_messages["invalid_choice"]
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)
        self._spectacular_annotation = COUNTRY_SCHEMA[self.allow_blank]

    def to_internal_value(self, data: Any) -> str:
        code = countries.alpha2(super().to_internal_value(data))
        if not code:
            self.fail("invalid_choice", input=data)
        return code

    def to_representation(self, value: Any) -> str:
        return countries.alpha2(value) or str(value)


# --- kind objects ----------------------------------------------------------------------


class AreaSerializer(serializers.Serializer):
    description = serializers.CharField(source="area_description", max_length=2000)
    polygon = serializers.ListField(
        source="area_polygon",
        child=serializers.ListField(
            child=serializers.FloatField(min_value=-180, max_value=180), min_length=2, max_length=2
        ),
        min_length=3,
        max_length=settings.REGISTRY_MAX_POLYGON_POINTS,
        validators=[validate_polygon],
        help_text="[[longitude, latitude], …] in degrees (WGS 84).",
    )


class ExerciseSerializer(ModelSerializer):
    area = AreaSerializer(source="*")
    participating_states = serializers.ListField(
        child=CountryCodeField(), required=False, max_length=len(COUNTRY_CHOICES)
    )

    class Meta:
        model = ExerciseDetails
        fields = [
            "name",
            "activity_type",
            "purpose",
            "command_level",
            "start_date",
            "end_date",
            "area",
            "troops",
            "battle_tanks",
            "acv",
            "artillery",
            "helicopters",
            "fixed_wing_sorties",
            "airborne_amphibious_troops",
            "participating_states",
            "observers_invited",
            "without_advance_notice",
            "calendar_changes",
        ]


class ProcurementItemSerializer(ModelSerializer):
    supplier_state = CountryCodeField(
        allow_blank=True,
        required=False,
        help_text=ProcurementItem._meta.get_field("supplier_state").help_text,
    )

    class Meta:
        model = ProcurementItem
        fields = [
            "category",
            "system",
            "quantity",
            "supplier_state",
            "mode",
            "contract_date",
            "delivery_start",
            "delivery_end",
            "value_eur",
        ]


class ProcurementPlanSerializer(ModelSerializer):
    items = ProcurementItemSerializer(many=True, max_length=settings.REGISTRY_MAX_CONTENT_ROWS)

    class Meta:
        model = ProcurementPlanDetails
        fields = ["plan_year", "budget_approved_on", "items"]


class ProcurementNoticeSerializer(serializers.Serializer):
    item = ProcurementItemSerializer()


class CalendarEntrySerializer(ModelSerializer):
    class Meta:
        model = CalendarEntry
        fields = [
            "name",
            "activity_type",
            "start_window_from",
            "start_window_to",
            "duration_days",
            "troops",
            "battle_tanks",
            "acv",
            "artillery",
            "airborne_amphibious_troops",
            "area_description",
        ]


class AnnualCalendarSerializer(ModelSerializer):
    entries = CalendarEntrySerializer(
        many=True, required=False, max_length=settings.REGISTRY_MAX_CONTENT_ROWS
    )

    class Meta:
        model = AnnualCalendarDetails
        fields = ["year", "nil", "entries"]


KIND_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    NoticeKind.EXERCISE: ExerciseSerializer,
    NoticeKind.PROCUREMENT_PLAN: ProcurementPlanSerializer,
    NoticeKind.PROCUREMENT_NOTICE: ProcurementNoticeSerializer,
    NoticeKind.ANNUAL_CALENDAR: AnnualCalendarSerializer,
}


class KindContentMixin(serializers.Serializer):
    """Exactly one kind object, named after the notice's kind."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # With data, only the kind objects the data holds: DRF copies every declared field
        # for each instance, and the three kind objects a request leaves out are most of
        # that work. Without data (the API schema) every field, as declared.
        data = getattr(self, "initial_data", None)
        if not isinstance(data, Mapping):
            return super().get_fields()
        return {
            name: copy.deepcopy(field)
            for name, field in self._declared_fields.items()
            if name not in KIND_SERIALIZERS or name in data
        }

    def require_kind_object(self, attrs: dict[str, Any], kind: str) -> dict[str, Any]:
        others = [k for k in KIND_SERIALIZERS if k != kind and k in attrs]
        if others:
            raise serializers.ValidationError(
                {
                    k: [_("Only the object named after the notice's kind (%s).") % kind]
                    for k in others
                }
            )
        if kind not in attrs:
            raise serializers.ValidationError({kind: [_("This field is required for this kind.")]})
        return attrs[kind]


# --- requests --------------------------------------------------------------------------


class CommitmentCodeField(serializers.SlugRelatedField):
    """A commitment by its code, found by ``Commitment.objects.with_code``."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Commitment.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Commitment:
        if not isinstance(data, str):
            self.fail("invalid")
        commitment = Commitment.objects.with_code(data)
        if commitment is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return commitment


class FilingRequestSerializer(KindContentMixin):
    commitment = CommitmentCodeField()
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    client_ref = serializers.CharField(max_length=100)
    exercise = ExerciseSerializer(required=False)
    procurement_plan = ProcurementPlanSerializer(required=False)
    procurement_notice = ProcurementNoticeSerializer(required=False)
    annual_calendar = AnnualCalendarSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["content"] = self.require_kind_object(attrs, attrs["kind"])
        return attrs


class AmendmentRequestSerializer(KindContentMixin):
    reason = serializers.CharField(max_length=2000)
    exercise = ExerciseSerializer(required=False)
    procurement_plan = ProcurementPlanSerializer(required=False)
    procurement_notice = ProcurementNoticeSerializer(required=False)
    annual_calendar = AnnualCalendarSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["content"] = self.require_kind_object(attrs, self.context["notice"].kind)
        return attrs


class CancellationRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    otp_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="The code of your authenticator app, or a recovery code: required when "
        "two-factor sign-in is required or you have set it up.",
    )
    label = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="What the token is for."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


# --- answers ---------------------------------------------------------------------------


class AssessmentSerializer(serializers.Serializer):
    notifiable = serializers.BooleanField(
        allow_null=True, help_text="Null for kinds without thresholds."
    )
    snap = serializers.BooleanField()
    lead_time_days = serializers.IntegerField(allow_null=True)
    required_lead_days = serializers.IntegerField(allow_null=True)
    due_by = serializers.DateField(allow_null=True)
    timely = serializers.BooleanField(allow_null=True, help_text="Null where no deadline applies.")
    days_late = serializers.IntegerField(allow_null=True)
    observation_required = serializers.BooleanField()
    air_component_required = serializers.BooleanField()


class VersionSummarySerializer(ModelSerializer):
    version = serializers.IntegerField(source="number")
    filed_by = serializers.CharField(source="filed_by.username")
    recipients = serializers.SerializerMethodField()
    assessment = AssessmentSerializer(source="*")

    class Meta:
        model = NoticeVersion
        fields = ["version", "status", "filed_at", "filed_by", "reason", "recipients", "assessment"]

    def get_recipients(self, version: NoticeVersion) -> list[str]:
        return recipient_codes_of(version)


class KindObjectsMixin(serializers.Serializer):
    """The four kind objects of one version; every one but the notice's own kind is null.

    A subclass defines ``version_and_kind(obj)``: the version to show and the notice's kind.
    """

    exercise = serializers.SerializerMethodField()
    procurement_plan = serializers.SerializerMethodField()
    procurement_notice = serializers.SerializerMethodField()
    annual_calendar = serializers.SerializerMethodField()

    def _kind_object(self, obj, kind: str) -> dict[str, Any] | None:
        version, own_kind = self.version_and_kind(obj)
        if own_kind != kind:
            return None
        content = version_content(version, kind)
        built = self.context.get("kind_serializers", {}).get(kind)
        if built is not None:  # the request's own, already built: building one costs ~1 ms
            return built.to_representation(content)
        return KIND_SERIALIZERS[kind](content).data

    @extend_schema_field(ExerciseSerializer(allow_null=True))
    def get_exercise(self, obj) -> dict[str, Any] | None:
        return self._kind_object(obj, NoticeKind.EXERCISE)

    @extend_schema_field(ProcurementPlanSerializer(allow_null=True))
    def get_procurement_plan(self, obj) -> dict[str, Any] | None:
        return self._kind_object(obj, NoticeKind.PROCUREMENT_PLAN)

    @extend_schema_field(ProcurementNoticeSerializer(allow_null=True))
    def get_procurement_notice(self, obj) -> dict[str, Any] | None:
        return self._kind_object(obj, NoticeKind.PROCUREMENT_NOTICE)

    @extend_schema_field(AnnualCalendarSerializer(allow_null=True))
    def get_annual_calendar(self, obj) -> dict[str, Any] | None:
        return self._kind_object(obj, NoticeKind.ANNUAL_CALENDAR)


def recipient_codes_of(version: NoticeVersion) -> list[str]:
    return version.recipient_codes()


class NoticeSerializer(KindObjectsMixin, ModelSerializer):
    """A notice as its current version shows it."""

    state = serializers.CharField(source="state_id")
    commitment = serializers.CharField(source="commitment.code")
    version = serializers.IntegerField(source="current_version.number")
    filed_at = serializers.DateTimeField(source="current_version.filed_at")
    filed_by = serializers.CharField(source="current_version.filed_by.username")
    recipients = serializers.SerializerMethodField()
    assessment = AssessmentSerializer(source="current_version")

    class Meta:
        model = Notice
        fields = [
            "id",
            "reference",
            "state",
            "commitment",
            "kind",
            "status",
            "version",
            "client_ref",
            "first_filed_at",
            "filed_at",
            "filed_by",
            "recipients",
            "assessment",
            "exercise",
            "procurement_plan",
            "procurement_notice",
            "annual_calendar",
        ]

    def version_and_kind(self, notice: Notice) -> tuple[NoticeVersion, str]:
        return notice.current_version, notice.kind

    def get_recipients(self, notice: Notice) -> list[str]:
        return recipient_codes_of(notice.current_version)


class VersionDocumentSerializer(KindObjectsMixin, serializers.Serializer):
    """One version as a self-contained document: what a recipient's national system receives."""

    id = serializers.IntegerField(source="notice.id")
    reference = serializers.CharField(source="notice.reference")
    state = serializers.CharField(source="notice.state_id")
    commitment = serializers.CharField(source="notice.commitment.code")
    kind = serializers.CharField(source="notice.kind")
    status = serializers.CharField()
    version = serializers.IntegerField(source="number")
    first_filed_at = serializers.DateTimeField(source="notice.first_filed_at")
    filed_at = serializers.DateTimeField()
    filed_by = serializers.CharField(source="filed_by.username")
    reason = serializers.CharField()
    recipients = serializers.SerializerMethodField()
    assessment = AssessmentSerializer(source="*")

    def version_and_kind(self, version: NoticeVersion) -> tuple[NoticeVersion, str]:
        return version, version.notice.kind

    def get_recipients(self, version: NoticeVersion) -> list[str]:
        return recipient_codes_of(version)


class NoticeDetailSerializer(NoticeSerializer):
    versions = VersionSummarySerializer(many=True, source="ordered_versions")

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "versions"]


class VersionDetailSerializer(VersionSummarySerializer):
    """One version with its full content."""

    content = serializers.SerializerMethodField()

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "content"]

    @extend_schema_field(serializers.DictField(help_text="The kind object of this version."))
    def get_content(self, version: NoticeVersion) -> dict[str, Any]:
        return KIND_SERIALIZERS[version.notice.kind](version_content(version)).data


class StateSerializer(ModelSerializer):
    class Meta:
        model = State
        fields = ["code", "name"]


class ParticipationSerializer(ModelSerializer):
    state = serializers.CharField(source="state_id")

    class Meta:
        model = Participation
        fields = ["state", "role", "joined_on", "left_on"]


class CommitmentSerializer(ModelSerializer):
    participants = ParticipationSerializer(many=True, source="participations")

    class Meta:
        model = Commitment
        exclude = ["id"]
