"""WSGI entry point: ``gunicorn registry.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
application = get_wsgi_application()

# Load every view now, then keep what the process loaded at start (Django, the apps, the
# URLs and views: it lives as long as the process) out of the garbage collector's scans.
# Without this, each full collection walked all of it, about 35 ms in the middle of a
# request, every few hundred requests (bench/README.md, "Garbage collection").
get_resolver().url_patterns  # noqa: B018 (imports the views)
gc.freeze()
