"""REST API of compliance reports and findings (monitors, the secretariat, and each state
for its own figures)."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import compliance, rules, selectors, services
from registry.models import Commitment, Finding, Notice, State
from registry.serializers import AreaSerializer

MAX_YEARS = 20


def _counts(name: str, fields: list[str], **extra) -> serializers.Serializer:
    return inline_serializer(name, {f: serializers.IntegerField() for f in fields} | extra)


def _obligation(name: str) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "status": serializers.ChoiceField(
                ["on_time", "late", "filed", "pending", "missing", "not_required"]
            ),
            "filed_at": serializers.DateTimeField(allow_null=True),
            "days_late": serializers.IntegerField(allow_null=True),
            "due_by": serializers.DateField(allow_null=True),
        },
    )


STATE_FIGURE_FIELDS = {
    "state": serializers.CharField(),
    "name": serializers.CharField(),
    "role": serializers.CharField(),
    "year": serializers.IntegerField(),
    "exercises": _counts(
        "ExerciseFigures",
        ["notifiable", "timely", "late", "snap", "voluntary", "cancelled", "days_late_total"],
        days_late_max=serializers.IntegerField(allow_null=True),
        median_lead_days=serializers.FloatField(allow_null=True),
    ),
    "calendar": _obligation("CalendarObligation"),
    "procurement_plan": _obligation("PlanObligation"),
    "procurement_notices": _counts("ProcurementNoticeFigures", ["filed", "timely", "late"]),
    "acknowledgements": _counts(
        "AcknowledgementFigures",
        ["received", "within_deadline", "late", "outstanding"],
        median_hours=serializers.FloatField(allow_null=True),
    ),
    "clarifications": _counts(
        "ClarificationFigures", ["received", "answered_within_deadline", "late", "outstanding"]
    ),
    "findings": serializers.IntegerField(),
    "score": serializers.FloatField(allow_null=True, help_text="0 to 100; see score_formula."),
}


class ComplianceView(APIView):
    """A commitment's compliance report for a year, per state (monitors and the secretariat see
    every state; a state's officials see their own)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("commitment", str, required=True, description="Commitment code."),
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("to_year", int, description="For a range of years: the last one."),
        ],
        responses=inline_serializer(
            "ComplianceReport",
            {
                "commitment": serializers.CharField(),
                "year": serializers.IntegerField(),
                "to_year": serializers.IntegerField(),
                "generated_at": serializers.DateTimeField(),
                "score_formula": serializers.CharField(),
                "states": inline_serializer("ComplianceState", STATE_FIGURE_FIELDS, many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        commitment = get_object_or_404(Commitment, code=request.query_params.get("commitment", ""))
        scope = selectors.compliance_scope(request.user, commitment)
        if scope is None:
            raise NotFound(_("No such commitment among those you may see."))
        first, last = _years(request)
        report = compliance.compliance_report(commitment, range(first, last + 1))
        rows = [r for r in report.rows if scope == selectors.ALL_STATES or r.state == scope]
        return Response(
            {
                "commitment": commitment.code,
                "year": first,
                "to_year": last,
                "generated_at": report.generated_at,
                "score_formula": rules.score_formula(),
                "states": [compliance.state_year_document(row) for row in rows],
            }
        )


def _years(request: Request) -> tuple[int, int]:
    try:
        first = int(request.query_params.get("year") or timezone.now().year)
        last = int(request.query_params.get("to_year") or first)
    except ValueError as exc:
        raise ValidationError({"year": [_("Give the year as a number.")]}) from exc
    if not 1990 <= first <= last <= 2100 or last - first >= MAX_YEARS:
        raise ValidationError(
            {"year": [_("Give years between 1990 and 2100, at most 20 of them.")]}
        )
    return first, last


class FindingSerializer(serializers.ModelSerializer):
    commitment = serializers.SlugRelatedField(slug_field="code", queryset=Commitment.objects.all())
    state = serializers.SlugRelatedField(slug_field="code", queryset=State.objects.all())
    notice = serializers.PrimaryKeyRelatedField(
        queryset=Notice.objects.all(), required=False, allow_null=True
    )
    area = AreaSerializer(source="*", required=False)
    organisation = serializers.CharField(source="organisation_id", read_only=True, allow_null=True)
    recorded_by = serializers.CharField(
        source="recorded_by.username", read_only=True, allow_null=True
    )
    reference = serializers.CharField(source="notice.reference", read_only=True, allow_null=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "kind",
            "commitment",
            "state",
            "year",
            "notice",
            "reference",
            "organisation",
            "recorded_by",
            "recorded_at",
            "observed_from",
            "observed_to",
            "area",
            "estimated_troops",
            "estimated_battle_tanks",
            "estimated_acv",
            "estimated_artillery",
            "sources",
            "note",
        ]
        read_only_fields = ["year", "recorded_at"]

    def validate_notice(self, notice: Notice | None) -> Notice | None:
        visible = selectors.notices_visible_to(self.context["request"].user)
        if notice is not None and not visible.filter(pk=notice.pk).exists():
            raise serializers.ValidationError(_("No such notice among those you may see."))
        return notice


class FindingFilter(django_filters.FilterSet):
    commitment = django_filters.CharFilter(field_name="commitment__code")
    state = django_filters.CharFilter(field_name="state_id")

    class Meta:
        model = Finding
        fields = ["commitment", "state", "year", "kind"]


class FindingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Findings you may see; monitors record unnotified activities and notes on notices."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter

    def get_queryset(self):
        return selectors.findings_visible_to(self.request.user).select_related("recorded_by")

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = FindingSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        finding = services.record_finding(
            user=request.user,
            commitment=fields.pop("commitment"),
            state=fields.pop("state"),
            kind=fields.pop("kind"),
            **fields,
        )
        return Response(
            FindingSerializer(finding, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
