"""Settings of the benchmark server: the registry's, plus the ceiling endpoint's app and URLs.

Everything else (database, DEBUG, SECRET_KEY, ALLOWED_HOSTS) comes from the environment
exactly as in production; ``bench.server`` sets it.
"""

from registry.settings import *  # noqa: F403
from registry.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.ceiling"]
ROOT_URLCONF = "bench.urls"
