"""REST API v1: thin views that validate input, call one service, and render the answer."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import selectors, services
from registry.ledger.api import version_receipt, with_ledger
from registry.models import Commitment, Notice, State
from registry.serializers import (
    AmendmentRequestSerializer,
    CancellationRequestSerializer,
    CommitmentSerializer,
    FilingRequestSerializer,
    NoticeDetailSerializer,
    NoticeSerializer,
    StateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    VersionDetailSerializer,
)
from registry.services import accounts
from registry.throttling import SignInThrottle
from registry.vocabulary import NoticeKind, NoticeStatus

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: each bad field is named with the reason."),
    403: OpenApiResponse(description="You may see this notice but not do this to it."),
    404: OpenApiResponse(description="No such notice, or not one you may see."),
}


class TokenView(APIView):
    """Exchange a username and password for an API token (shown once)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'  # so that refused credentials answer 401, not 403

    throttle_classes = [SignInThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: None, 401: None, 429: None},
        description="A token for a username, password and, when two-factor sign-in applies, "
        "`otp_code`. Repeated failures lock the account (429).",
    )
    def post(self, request: Request) -> Response:
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = dict(credentials.validated_data)
        otp_code, label = data.pop("otp_code", ""), data.pop("label", "")
        user = authenticate(request._request, **data)
        if user is None or selectors.official_of(user) is None:
            raise AuthenticationFailed(_("Unknown username or wrong password."))
        accounts.check_token_second_factor(user, otp_code, request._request)
        token, key = accounts.issue_token(user=user, label=label)
        return Response({"token": key, "expires_at": token.expires_at})


class NoticeFilter(django_filters.FilterSet):
    state = django_filters.CharFilter(field_name="state_id", help_text="Filing state (ISO code).")
    commitment = django_filters.CharFilter(
        field_name="commitment__code", help_text="Commitment code."
    )
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices)
    status = django_filters.ChoiceFilter(choices=NoticeStatus.choices)
    year = django_filters.NumberFilter(field_name="year", help_text="Year of the first filing.")

    class Meta:
        model = Notice
        fields = ["state", "commitment", "kind", "status", "year"]


def filed(filing: services.Filing, request_serializer=None) -> dict:
    """The notice as filed, with the receipt of its version in the evidence log.

    ``request_serializer``'s kind object, already built to validate the request, renders
    the content again.
    """
    context = {"kind_serializers": request_serializer.fields if request_serializer else {}}
    return {
        **NoticeSerializer(filing.notice, context=context).data,
        "ledger": version_receipt(filing.version),
    }


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Notices you may see: those your state filed or received, or, for monitors, those under
    the commitments granted to your organisation."""

    filterset_class = NoticeFilter

    def get_queryset(self) -> QuerySet[Notice]:
        return (
            selectors.notices_for_listing(self.request.user)
            .select_related("current_version__filed_by")
            .prefetch_related("current_version__recipients")
        )

    def get_serializer_class(self):
        return NoticeDetailSerializer if self.action == "retrieve" else NoticeSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        notice = self.get_object()
        notice.ordered_versions = list(selectors.versions_with_content(notice))
        return Response(NoticeDetailSerializer(notice).data)

    @extend_schema(
        request=FilingRequestSerializer,
        responses={
            201: with_ledger(NoticeSerializer),
            200: with_ledger(NoticeSerializer),
            409: None,
            **ERROR_RESPONSES,
        },
        description=(
            "File a notice for your state. Give the object named after `kind`. A replay with the "
            "same `client_ref` and body answers 200 with the existing notice; a different body "
            "with the same `client_ref` is 409."
        ),
    )
    def create(self, request: Request) -> Response:
        filing_request = FilingRequestSerializer(data=request.data)
        filing_request.is_valid(raise_exception=True)
        data = filing_request.validated_data
        filing = services.file_notice(
            user=request.user,
            commitment=data["commitment"],
            kind=data["kind"],
            client_ref=data["client_ref"],
            content=data["content"],
        )
        answer = status.HTTP_201_CREATED if filing.created else status.HTTP_200_OK
        return Response(filed(filing, filing_request), status=answer)

    @extend_schema(
        request=AmendmentRequestSerializer,
        responses={201: with_ledger(NoticeSerializer), **ERROR_RESPONSES},
        description="File a new version with the full new content and the reason for the change.",
    )
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        notice = self.changeable_notice()
        amendment = AmendmentRequestSerializer(data=request.data, context={"notice": notice})
        amendment.is_valid(raise_exception=True)
        filing = services.amend_notice(
            user=request.user,
            notice=notice,
            content=amendment.validated_data["content"],
            reason=amendment.validated_data["reason"],
        )
        return Response(filed(filing), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CancellationRequestSerializer,
        responses={201: with_ledger(NoticeSerializer), **ERROR_RESPONSES},
        description="Cancel the notice: a last version that keeps the content, with the reason.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        notice = self.changeable_notice()
        cancellation = CancellationRequestSerializer(data=request.data)
        cancellation.is_valid(raise_exception=True)
        filing = services.cancel_notice(
            user=request.user, notice=notice, reason=cancellation.validated_data["reason"]
        )
        return Response(filed(filing), status=status.HTTP_201_CREATED)

    def changeable_notice(self) -> Notice:
        """The notice, if the user may change it: 404 if invisible, then 403 before any
        validation of the body, so a refusal never depends on what was sent."""
        notice = self.get_object()
        services.require_own_notice(services.require_liaison(self.request.user), notice)
        return notice

    @extend_schema(responses={200: VersionDetailSerializer, 404: ERROR_RESPONSES[404]})
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request: Request, pk: str | None = None, number: str = "") -> Response:
        """One version of the notice with its full content."""
        notice = self.get_object()
        version = get_object_or_404(selectors.versions_with_content(notice), number=int(number))
        return Response(VersionDetailSerializer(version).data)


class StateViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = State.objects.all()
    serializer_class = StateSerializer
    pagination_class = None
    lookup_field = "code"


class CommitmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Commitments with every parameter the rules read, and their participants over time."""

    serializer_class = CommitmentSerializer
    pagination_class = None
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Commitment]:
        return selectors.commitments_visible_to(self.request.user).prefetch_related(
            "participations"
        )
