"""URL map: web pages at the root, the REST API under ``/api/v1/``, the admin under ``/admin/``."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from notifications.urls import api_patterns as notification_api_patterns
from notifications.urls import web_patterns as notification_web_patterns
from registry import account_api, api
from registry.compliance import api as compliance_api
from registry.ledger import api as ledger_api

DOCS_STYLES = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

# No format-suffix routes (`…/amend.json`): JSON is the one format, and the actions take no
# `format` argument.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("notices", api.NoticeViewSet, basename="notice")
router.register("states", api.StateViewSet, basename="state")
router.register("commitments", api.CommitmentViewSet, basename="commitment")
router.register("findings", compliance_api.FindingViewSet, basename="finding")

api_patterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", account_api.ApiTokenViewSet.as_view({"get": "list"}), name="api-tokens"),
    path(
        "auth/tokens/<int:pk>/",
        account_api.ApiTokenViewSet.as_view({"delete": "destroy"}),
        name="api-token-detail",
    ),
    path("compliance/", compliance_api.ComplianceView.as_view(), name="api-compliance"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    # The documentation viewers draw with inline styles (never inline scripts) and ReDoc
    # searches in a worker: only their pages allow these.
    path(
        "docs/",
        DOCS_STYLES(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[])
        ),
        name="api-docs",
    ),
    path(
        "redoc/",
        DOCS_STYLES(SpectacularRedocView.as_view(url_name="api-schema", permission_classes=[])),
        name="api-redoc",
    ),
    *notification_api_patterns,
    *ledger_api.urlpatterns,
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("", include("registry.web_urls")),
    path("", include(notification_web_patterns)),
    path("", include("registry.ledger.views")),
]

handler400 = "registry.views.errors.bad_request"
handler404 = "registry.views.errors.not_found"
