"""Settings for the registry, read from the environment.

Every setting has a default that runs locally with no external server: a SQLite
file under ``var/`` and an embedded (filesystem) Celery broker. Set ``DATABASE_URL``
and ``REDIS_URL`` to run on PostgreSQL and Redis; set ``DEBUG=0`` and
``SECRET_KEY`` in production.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REGISTRY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "registry",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.official",
            ],
        },
    },
]


def database_config() -> dict:
    default_sqlite = f"sqlite:///{VAR_DIR / 'registry.sqlite3'}"
    config = dj_database_url.parse(
        os.environ.get("DATABASE_URL", default_sqlite),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # The demo runs web and worker against one file: WAL lets readers and a
        # writer work at once, IMMEDIATE avoids lock upgrades that fail at once.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("DISPLAY_TIME_ZONE", "Europe/Belgrade")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders, but wants it

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "registry.api_errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Confidence-building notification registry API",
    "DESCRIPTION": (
        "Ministries file advance notices of military exercises and procurement under "
        "transparency commitments; counterpart states read them; monitors audit. "
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Token <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)

# Limits on what one notice may hold.
REGISTRY_MAX_POLYGON_POINTS = env_int("REGISTRY_MAX_POLYGON_POINTS", 500)
REGISTRY_MAX_CONTENT_ROWS = env_int("REGISTRY_MAX_CONTENT_ROWS", 200)

# Kosovo takes part in the regional arrangement; ISO 3166 reserves XK for it by convention.
COUNTRIES_OVERRIDE = {"XK": "Kosovo"}

# Delivery to counterpart states (the notifications app).
REGISTRY_BASE_URL = os.environ.get("REGISTRY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
DELIVERY_HTTP_TIMEOUT_SECONDS = env_float("DELIVERY_HTTP_TIMEOUT_SECONDS", 15)
#: Seconds before each attempt: the first at once, the tenth a day after the ninth.
DELIVERY_RETRY_SCHEDULE = [
    int(seconds)
    for seconds in os.environ.get(
        "DELIVERY_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,50400,72000,86400"
    ).split(",")
]
DELIVERY_RETRY_JITTER = env_float("DELIVERY_RETRY_JITTER", 0.2)
#: A Retry-After header is honoured within these bounds (seconds).
DELIVERY_RETRY_AFTER_BOUNDS = (1, 86400)
DELIVERY_SUSPEND_AFTER_FAILING_DAYS = env_float("DELIVERY_SUSPEND_AFTER_FAILING_DAYS", 5)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 180)
DELIVERY_SWEEP_SECONDS = env_float("DELIVERY_SWEEP_SECONDS", 5)
#: A new delivery is left this long to the task queued when it was filed.
DELIVERY_SWEEP_GRACE_SECONDS = env_float("DELIVERY_SWEEP_GRACE_SECONDS", 10)
DELIVERY_SWEEP_LIMIT = env_int("DELIVERY_SWEEP_LIMIT", 5000)
DELIVERY_BATCH_SIZE = env_int("DELIVERY_BATCH_SIZE", 100)
DELIVERY_CONCURRENCY = env_int("DELIVERY_CONCURRENCY", 16)
WEBHOOK_SECRET_OVERLAP_HOURS = 24

# The evidence log (registry.ledger): a signed Merkle log of every event.
#: The log's name in its checkpoints and the name of its signing key; by default
#: ``<host of REGISTRY_BASE_URL>/ledger``.
LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN", "")
LEDGER_CHECKPOINT_SECONDS = env_float("LEDGER_CHECKPOINT_SECONDS", 60)
LEDGER_SEQUENCE_SECONDS = env_float("LEDGER_SEQUENCE_SECONDS", 5)
LEDGER_VERIFY_SECONDS = env_float("LEDGER_VERIFY_SECONDS", 3600)
LEDGER_SEQUENCE_BATCH = env_int("LEDGER_SEQUENCE_BATCH", 2000)
LEDGER_MAX_ENTRIES_PER_REQUEST = env_int("LEDGER_MAX_ENTRIES_PER_REQUEST", 1000)

# Celery: the broker carries ids only; the database is the source of truth.
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis hands an unacknowledged task to another worker after this many seconds: it
    # must outlast the longest task (the hard time limit below).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_IMPORTS = ["registry.compliance.exports", "registry.ledger.tasks"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task sends a batch, each send up to the HTTP timeout; a delivery's lease outlasts
# the hard limit, so a live worker never loses its claim to the sweeper.
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# Filing must not wait long on a broker that is down: the sweeper delivers later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {
        "task": "notifications.tasks.sweep_deliveries",
        "schedule": DELIVERY_SWEEP_SECONDS,
    },
    "send-reminders": {"task": "notifications.tasks.send_reminders", "schedule": 60.0},
    "sequence-ledger": {
        "task": "registry.ledger.tasks.sequence_ledger",
        "schedule": LEDGER_SEQUENCE_SECONDS,
    },
    "issue-ledger-checkpoint": {
        "task": "registry.ledger.tasks.issue_ledger_checkpoint",
        "schedule": LEDGER_CHECKPOINT_SECONDS,
    },
    "verify-ledger": {
        "task": "registry.ledger.tasks.verify_ledger",
        "schedule": LEDGER_VERIFY_SECONDS,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "registry@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every request error a second time.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
