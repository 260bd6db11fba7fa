"""REST API of API tokens: ``GET /api/v1/auth/tokens/`` and ``DELETE /api/v1/auth/tokens/{id}/``.

Each user lists and revokes their own tokens; the secretariat lists and revokes everyone's
(``?user=<username>`` narrows the list). A revoked token stays listed, with who revoked it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from registry import selectors
from registry.models import ApiToken
from registry.services import accounts


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    revoked_by = serializers.CharField(source="revoked_by.username", allow_null=True)
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "hint",
            "label",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "active",
        ]


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your API tokens (the secretariat: everyone's), newest first. The key itself is never
    shown again after it was issued, only its first characters (``hint``)."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        tokens = selectors.api_tokens_visible_to(self.request.user)
        username = self.request.query_params.get("user")
        return tokens.filter(user__username=username) if username else tokens

    @extend_schema(
        parameters=[OpenApiParameter("user", str, description="Only this user's tokens.")]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={204: None, 404: None})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        """Revoke the token: it stops working at once (a repeat changes nothing)."""
        accounts.revoke_token(token=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
