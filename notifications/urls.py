"""Routes of the notifications app: API routes (under /api/v1/) and web pages."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications import api, views

router = SimpleRouter()
router.register("endpoints", api.EndpointViewSet, basename="endpoint")
router.register("deliveries", api.DeliveryViewSet, basename="delivery")
router.register("clarifications", api.ClarificationViewSet, basename="clarification")

api_patterns = [
    path("keys/", api.KeysView.as_view(), name="api-keys"),
    path("inbox/", api.InboxView.as_view(), name="api-inbox"),
    path("notices/<int:pk>/acknowledge/", api.AcknowledgeView.as_view(), name="api-acknowledge"),
    path(
        "notices/<int:pk>/clarifications/",
        api.NoticeClarificationsView.as_view(),
        name="api-notice-clarifications",
    ),
    path(
        "notices/<int:pk>/deliveries/",
        api.NoticeDeliveriesView.as_view(),
        name="api-notice-deliveries",
    ),
    path(
        "acknowledgements/signed/<str:token>/",
        api.SignedAcknowledgementView.as_view(),
        name="api-signed-acknowledgement",
    ),
    *router.urls,
]

web_patterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("alerts/", views.alerts, name="alerts"),
    path("notices/<int:pk>/acknowledge/", views.acknowledge, name="notice-acknowledge"),
    path("notices/<int:pk>/ask/", views.ask, name="notice-ask"),
    path("notices/<int:pk>/deliveries/", views.notice_deliveries, name="notice-deliveries"),
    path("clarifications/<int:pk>/answer/", views.answer, name="clarification-answer-page"),
    path("deliveries/health/", views.delivery_health, name="delivery-health"),
    path("deliveries/<int:pk>/replay/", views.replay_delivery, name="delivery-replay"),
    path("endpoints/<int:pk>/<str:action>/", views.endpoint_action, name="endpoint-action"),
]
