"""Settings of the dispatch benchmark's peer: the registry's, plus django-webhook 0.0.15.

django-webhook (https://github.com/danihodovic/django-webhook) sends a signed POST to
every active webhook subscribed to a model's topic, one Celery task per webhook, when a
row of that model is saved. Here the model is the notice version, so that filing a
notice triggers the peer's webhooks. It is installed only in the benchmark's processes
(``pip install django-webhook==0.0.15``), never in the product.
"""

import warnings

from registry.settings import *  # noqa: F403
from registry.settings import CELERY_IMPORTS, INSTALLED_APPS

# django-webhook reads its topics from the database when its app is ready; Django warns.
warnings.filterwarnings(
    "ignore", message="Accessing the database during app initialization", category=RuntimeWarning
)

INSTALLED_APPS = [*INSTALLED_APPS, "django_webhook"]
CELERY_IMPORTS = [*CELERY_IMPORTS, "django_webhook.tasks"]
#: The defaults of django-webhook, spelt out: events stored, webhooks looked up through
#: its one-minute cache.
DJANGO_WEBHOOK = {
    "MODELS": ["registry.NoticeVersion"],
    "STORE_EVENTS": True,
    "USE_CACHE": True,
}
