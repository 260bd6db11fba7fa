"""URL map: web pages at the root, the REST API under ``/api/v1/``, the admin under ``/admin/``."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from notifications.urls import api_patterns as notification_api_patterns
from notifications.urls import web_patterns as notification_web_patterns
from registry import api
from registry.compliance import api as compliance_api
from registry.ledger import api as ledger_api

router = DefaultRouter()
router.register("notices", api.NoticeViewSet, basename="notice")
router.register("states", api.StateViewSet, basename="state")
router.register("commitments", api.CommitmentViewSet, basename="commitment")
router.register("findings", compliance_api.FindingViewSet, basename="finding")

api_patterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("compliance/", compliance_api.ComplianceView.as_view(), name="api-compliance"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[]),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", permission_classes=[]),
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
