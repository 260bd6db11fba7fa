"""The Celery application.

Workers: ``celery -A registry worker``; scheduler: ``celery -A registry beat``.
"""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_what_the_worker_loaded(**kwargs) -> None:
    """Keep what a worker process loaded at start (Django, the apps, the tasks: it lives as
    long as the process) out of the garbage collector's scans. Sending a batch allocates
    enough to start collections often, and each full one walked all of it: about a tenth
    of a worker's CPU when delivering."""
    gc.freeze()
