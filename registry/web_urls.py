"""The web pages, at the site root (the API lives under ``/api/v1/``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from registry.views import account, calendar, compliance
from registry.views import notices as views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("language/", account.choose_language, name="choose-language"),
    path("account/two-factor/setup/", account.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/verify/", account.two_factor_verify, name="two-factor-verify"),
    path("account/two-factor/recovery-codes/", account.recovery_codes, name="recovery-codes"),
    path("account/tokens/", account.token_create, name="account-token-create"),
    path("account/tokens/<int:pk>/revoke/", account.token_revoke, name="account-token-revoke"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url="/account/password/done/"),
        name="password-change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", views.home, name="home"),
    path("notices/", views.notice_list, name="notice-list"),
    path("notices/new/", views.notice_new, name="notice-new"),
    path("notices/new/<str:kind>/", views.notice_file, name="notice-file"),
    path("notices/assess/", views.notice_assess, name="notice-assess"),
    path("notices/<int:pk>/", views.notice_detail, name="notice-detail"),
    path("notices/<int:pk>/versions/<int:number>/", views.version_detail, name="notice-version"),
    path("notices/<int:pk>/diff/", views.notice_diff, name="notice-diff"),
    path("notices/<int:pk>/amend/", views.notice_amend, name="notice-amend"),
    path("notices/<int:pk>/cancel/", views.notice_cancel, name="notice-cancel"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/feed/", calendar.calendar_feed_settings, name="calendar-feed-settings"),
    path("calendar/feed/<str:key>.ics", calendar.calendar_feed, name="calendar-feed"),
    path("compliance/", compliance.overview, name="compliance"),
    path("compliance/trends/", compliance.trends, name="compliance-trends"),
    path("compliance/export/", compliance.export, name="compliance-export-new"),
    path("compliance/exports/<int:pk>/", compliance.export_status, name="compliance-export"),
    path(
        "compliance/exports/<int:pk>/download/",
        compliance.export_download,
        name="compliance-export-download",
    ),
    path(
        "compliance/exports/<int:pk>/build/",
        compliance.export_build_here,
        name="compliance-export-build",
    ),
    path("compliance/<str:code>/", compliance.state_report, name="compliance-state"),
    path(
        "compliance/<str:code>/evidence/<str:section>/",
        compliance.evidence,
        name="compliance-evidence-section",
    ),
    path(
        "compliance/<str:code>/evidence/<str:section>/<str:figure>/",
        compliance.evidence,
        name="compliance-evidence",
    ),
    path("findings/", compliance.findings, name="findings"),
    path("findings/new/", compliance.finding_new, name="finding-new"),
]
