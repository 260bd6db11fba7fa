"""REST API of deliveries, acknowledgements and clarifications; endpoints for the secretariat."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.links import read_acknowledgement_token
from notifications.models import Delivery, Endpoint, Route
from notifications.serializers import (
    AcknowledgementRequestSerializer,
    AcknowledgementSerializer,
    AnswerRequestSerializer,
    ClarificationRequestSerializer,
    ClarificationSerializer,
    DeliveryDetailSerializer,
    DeliverySerializer,
    EndpointSecretSerializer,
    EndpointSerializer,
    InboxItemSerializer,
    ReplayResultSerializer,
    ReplaySerializer,
)
from notifications.signing import KEY_PURPOSE
from registry.keys import public_key_text
from registry.ledger.api import acknowledgement_receipt, answer_receipt, with_ledger
from registry.ledger.events import record_endpoint_if_changed
from registry.models import Notice, NoticeVersion, State
from registry.selectors import notices_visible_to, official_of


class IsSecretariat(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        official = official_of(request.user)
        return official is not None and official.is_secretariat


def visible_notice(request: Request, pk: int) -> Notice:
    return get_object_or_404(notices_visible_to(request.user).select_related("commitment"), pk=pk)


def version_of(notice: Notice, number: int | None) -> NoticeVersion:
    if number is None:
        return notice.current_version
    return get_object_or_404(notice.versions, number=number)


class KeysView(APIView):
    """The registry's public key that signs every webhook (``v1a`` signatures)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "PublicKeys",
            {
                "webhook": inline_serializer(
                    "PublicKey",
                    {
                        "algorithm": serializers.CharField(),
                        "public_key": serializers.CharField(),
                        "signature_version": serializers.CharField(),
                    },
                )
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "webhook": {
                    "algorithm": "ed25519",
                    "public_key": public_key_text(KEY_PURPOSE),
                    "signature_version": "v1a",
                }
            }
        )


class InboxView(generics.ListAPIView):
    """Versions your state received; ``?status=new|acknowledged|overdue``."""

    serializer_class = InboxItemSerializer

    def get_queryset(self):
        return selectors.inbox(
            self.request.user, state_filter=self.request.query_params.get("status", "")
        )


def acknowledged(acknowledgement) -> dict:
    """The acknowledgement, with its receipt in the evidence log."""
    return {
        **AcknowledgementSerializer(acknowledgement).data,
        "ledger": acknowledgement_receipt(acknowledgement),
    }


class AcknowledgeView(APIView):
    @extend_schema(
        request=AcknowledgementRequestSerializer,
        responses={
            201: with_ledger(AcknowledgementSerializer),
            200: with_ledger(AcknowledgementSerializer),
        },
        description=(
            "Acknowledge a version your state received; a repeat answers 200 with the first."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = visible_notice(request, pk)
        data = AcknowledgementRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.acknowledge(
            version=version_of(notice, data.validated_data["version"]),
            user=request.user,
            route=Route.API,
            comment=data.validated_data["comment"],
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(acknowledged(result.acknowledgement), status=code)


class SignedAcknowledgementView(APIView):
    """The link a national system receives in each webhook: POST to acknowledge, no login."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=None,
        responses={
            201: with_ledger(AcknowledgementSerializer),
            200: with_ledger(AcknowledgementSerializer),
        },
    )
    def post(self, request: Request, token: str) -> Response:
        grant = read_acknowledgement_token(token)
        if grant is None:
            raise PermissionDenied(_("This acknowledgement link is not valid."))
        version = get_object_or_404(
            NoticeVersion.objects.select_related("notice"), pk=grant.version_id
        )
        result = services.acknowledge(
            version=version,
            state=get_object_or_404(State, pk=grant.state_code),
            route=Route.SIGNED_URL,
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(acknowledged(result.acknowledgement), status=code)


class NoticeClarificationsView(APIView):
    @extend_schema(responses=ClarificationSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        notice = visible_notice(request, pk)
        clarifications = selectors.clarifications_visible_to(request.user).filter(
            version__notice=notice
        )
        return Response(ClarificationSerializer(clarifications, many=True).data)

    @extend_schema(request=ClarificationRequestSerializer, responses={201: ClarificationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        notice = visible_notice(request, pk)
        data = ClarificationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clarification = services.ask_clarification(
            user=request.user,
            version=version_of(notice, data.validated_data.get("version")),
            question=data.validated_data["question"],
        )
        return Response(ClarificationSerializer(clarification).data, status=status.HTTP_201_CREATED)


class ClarificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Clarifications on notices you may see; the filing state's liaison answers."""

    serializer_class = ClarificationSerializer

    def get_queryset(self):
        return selectors.clarifications_visible_to(self.request.user)

    @extend_schema(
        request=AnswerRequestSerializer, responses={200: with_ledger(ClarificationSerializer)}
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        question = self.get_object()
        services.require_answerer(request.user, question)  # refused before the body is read
        data = AnswerRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clarification = services.answer_clarification(
            user=request.user, clarification=question, answer=data.validated_data["answer"]
        )
        return Response(
            {
                **ClarificationSerializer(clarification).data,
                "ledger": answer_receipt(clarification),
            }
        )


class NoticeDeliveriesView(APIView):
    """Who received a version through which channel, and who acknowledged it (``?version=N``)."""

    @extend_schema(
        responses=inline_serializer(
            "DeliveryMatrix",
            {
                "version": serializers.IntegerField(),
                "deliveries": DeliverySerializer(many=True),
                "acknowledgements": AcknowledgementSerializer(many=True),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        notice = visible_notice(request, pk)
        if not selectors.can_see_deliveries(request.user, notice):
            raise PermissionDenied(
                _("Only the filing state, the secretariat and monitors see deliveries.")
            )
        number = request.query_params.get("version")
        version = version_of(notice, int(number) if number and number.isdigit() else None)
        deliveries = selectors.delivery_matrix(version).select_related("version__notice")
        return Response(
            {
                "version": version.number,
                "deliveries": DeliverySerializer(deliveries, many=True).data,
                "acknowledgements": AcknowledgementSerializer(
                    version.acknowledgements.select_related("acknowledged_by", "version__notice"),
                    many=True,
                ).data,
            }
        )


class EndpointViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Where each state receives notices (secretariat only). The secret is shown on creation
    and on rotation, never again."""

    permission_classes = [IsSecretariat]
    queryset = Endpoint.objects.select_related("state")
    serializer_class = EndpointSerializer
    filterset_fields = ["state", "kind", "status"]

    @extend_schema(responses={201: EndpointSecretSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = EndpointSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields["kind"] == Endpoint.Kind.WEBHOOK:
            endpoint = services.create_webhook_endpoint(
                state=fields["state"],
                url=fields.get("url", ""),
                label=fields.get("label", ""),
                by=request.user,
            )
        else:
            endpoint = services.create_email_endpoint(
                state=fields["state"],
                email=fields.get("email", ""),
                label=fields.get("label", ""),
                by=request.user,
            )
        return Response(EndpointSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        """Save the change and log it with the secretariat official who made it."""
        with transaction.atomic():
            endpoint = serializer.save()
            record_endpoint_if_changed(endpoint, action="updated", by=self.request.user)

    @extend_schema(request=None, responses=EndpointSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = services.rotate_secret(self.get_object(), by=request.user)
        return Response(EndpointSecretSerializer(endpoint).data)

    @extend_schema(request=None, responses=EndpointSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        services.suspend_endpoint(
            endpoint, reason=_("Suspended by %s.") % request.user.username, by=request.user
        )
        endpoint.refresh_from_db()
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=EndpointSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        services.resume_endpoint(endpoint, by=request.user)
        endpoint.refresh_from_db()
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(request=ReplaySerializer, responses=ReplayResultSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        data = ReplaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.replay_endpoint(self.get_object(), data.validated_data["since"])
        return Response({"replayed": count})


class DeliveryFilter(django_filters.FilterSet):
    recipient = django_filters.CharFilter(field_name="recipient_id")
    channel = django_filters.CharFilter(field_name="endpoint__kind")

    class Meta:
        model = Delivery
        fields = ["status", "recipient", "endpoint", "channel", "event"]


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every delivery, with its attempts (secretariat only)."""

    permission_classes = [IsSecretariat]
    filterset_class = DeliveryFilter
    queryset = Delivery.objects.select_related("endpoint", "version__notice").order_by("-id")

    def get_serializer_class(self):
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    @extend_schema(request=None, responses=ReplayResultSerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        return Response({"replayed": services.replay_delivery(self.get_object())})
