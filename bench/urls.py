"""The registry's URLs plus the ceiling endpoint, which never ships in the product."""

from django.urls import path

from bench.ceiling.views import CeilingView
from registry.urls import urlpatterns as registry_urlpatterns

urlpatterns = [
    path("bench/ceiling/", CeilingView.as_view(), name="bench-ceiling"),
    *registry_urlpatterns,
]
