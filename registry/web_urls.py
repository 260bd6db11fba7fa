"""The web pages, at the site root (the API lives under ``/api/v1/``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from registry import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
]
