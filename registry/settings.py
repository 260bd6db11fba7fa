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

#: Earlier secret keys, still accepted for signatures while sessions and links move over.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "registry",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.RequestSizeLimitMiddleware",
    "registry.middleware.NulCharacterMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "registry.languages.ChosenLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "registry.middleware.SessionTimeoutMiddleware",
    "registry.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a lockout flagged anywhere into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {}).update(postgresql_binding())
    return config


def postgresql_binding() -> dict:
    """Parameters travel apart from the SQL, and psycopg prepares a statement once the
    connection has run it ``DB_PREPARE_THRESHOLD`` times: PostgreSQL then no longer parses
    and plans the same inserts and look-ups on every request (over a quarter of its CPU
    per filing). ``off`` turns preparing off, for a pooler that cannot keep prepared statements."""
    threshold = (os.environ.get("DB_PREPARE_THRESHOLD") or "5").strip().lower()
    prepare = None if threshold == "off" else int(threshold)
    return {"server_side_binding": True, "prepare_threshold": prepare}


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
#: The longest a web sign-in lasts, however active (absolute expiry, seconds).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
#: A web sign-in unused for this long ends (idle expiry, seconds).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en"
#: The interface languages, each named in itself. Montenegrin (``cnr``, ISO 639-3) is not one
#: of Django's own; ``registry.languages`` describes it. Serbian is written in Cyrillic
#: (``sr``) and in Latin (``sr-latn``).
LANGUAGES = [
    ("en", "English"),
    ("sq", "Shqip"),
    ("bs", "Bosanski"),
    ("hr", "Hrvatski"),
    ("mk", "Македонски"),
    ("cnr", "Crnogorski"),
    ("sr", "Српски"),
    ("sr-latn", "Srpski (latinica)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
#: Date and number formats of the languages Django has none for (Montenegrin).
FORMAT_MODULE_PATH = ["registry.formats"]
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
    # The browsable API's templates carry inline styles that the CSP blocks: JSON only in
    # production.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.throttling.UserThrottle",
        "registry.throttling.AnonymousThrottle",
    ],
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api_schema.add_error_responses",
    ],
    # Choice sets that several fields share get one name (no naming collisions).
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "registry.api_schema.country_choices",
        "NoticeKindEnum": "registry.vocabulary.NoticeKind",
        "NoticeStatusEnum": "registry.vocabulary.NoticeStatus",
        "EndpointKindEnum": "notifications.models.Endpoint.Kind",
        "EndpointStatusEnum": "notifications.models.Endpoint.Status",
        "DeliveryStatusEnum": "notifications.models.Delivery.Status",
        "ObligationStatusEnum": ["on_time", "late", "filed", "pending", "missing", "not_required"],
    },
}
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
#: Requests per user (token or session), per anonymous client address, and token requests
#: per client address (DRF rates: "N/second|minute|hour|day"; empty: no limit).
API_THROTTLE_USER = os.environ.get("API_THROTTLE_USER", "600/minute") or None
API_THROTTLE_ANON = os.environ.get("API_THROTTLE_ANON", "60/minute") or None
API_THROTTLE_SIGN_IN = os.environ.get("API_THROTTLE_SIGN_IN", "20/minute") or None

# Limits on what one notice may hold.
REGISTRY_MAX_POLYGON_POINTS = env_int("REGISTRY_MAX_POLYGON_POINTS", 500)
REGISTRY_MAX_CONTENT_ROWS = env_int("REGISTRY_MAX_CONTENT_ROWS", 200)
#: An exercise area within this many km of an international land border is "near a border".
REGISTRY_NEAR_BORDER_KM = env_float("REGISTRY_NEAR_BORDER_KM", 25)

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
#: Webhook URLs must use HTTPS (notifications.destinations); on unless DEBUG is.
DELIVERY_REQUIRE_HTTPS = env_bool("DELIVERY_REQUIRE_HTTPS", not DEBUG)
#: Networks (CIDRs) webhooks may reach although they are not public; loopback with DEBUG.
DELIVERY_ALLOWED_NETWORKS = env_list(
    "DELIVERY_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128" if DEBUG else ""
)
#: Fernet key encrypting webhook secrets at rest (notifications.secrets), and earlier keys
#: that still decrypt during a rotation. Required when DEBUG is off; with DEBUG, a key is
#: generated once in REGISTRY_SECRETS_KEY_FILE.
REGISTRY_SECRETS_KEY = os.environ.get("REGISTRY_SECRETS_KEY", "").strip()
REGISTRY_SECRETS_OLD_KEYS = env_list("REGISTRY_SECRETS_OLD_KEYS", "")
REGISTRY_SECRETS_KEY_FILE = str(VAR_DIR / "keys" / "secrets.key") if DEBUG else ""

# The evidence log (registry.ledger): a signed Merkle log of every event.
#: The log's name in its checkpoints and the name of its signing key; by default
#: ``<host of REGISTRY_BASE_URL>/ledger``.
LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN", "")
LEDGER_CHECKPOINT_SECONDS = env_float("LEDGER_CHECKPOINT_SECONDS", 60)
#: How often the scheduler moves recorded events into the log (answers that must carry an
#: index sequence at once; every other event waits at most this long, when a worker is free).
LEDGER_SEQUENCE_SECONDS = env_float("LEDGER_SEQUENCE_SECONDS", 1)
LEDGER_VERIFY_SECONDS = env_float("LEDGER_VERIFY_SECONDS", 3600)
#: Entries per sequencer transaction: a receipt waits for at most one batch at work.
LEDGER_SEQUENCE_BATCH = env_int("LEDGER_SEQUENCE_BATCH", 500)
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
CELERY_IMPORTS = [
    "registry.compliance.exports",
    "registry.compliance.tasks",
    "registry.ledger.tasks",
]
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
#: How often the closed years' compliance figures that a write threw away are computed again.
COMPLIANCE_STORE_SECONDS = env_float("COMPLIANCE_STORE_SECONDS", 60.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {
        "task": "notifications.tasks.sweep_deliveries",
        "schedule": DELIVERY_SWEEP_SECONDS,
    },
    "send-reminders": {"task": "notifications.tasks.send_reminders", "schedule": 60.0},
    "sequence-ledger": {
        "task": "registry.ledger.tasks.sequence_ledger",
        "schedule": LEDGER_SEQUENCE_SECONDS,
        # A call the workers could not take in time is dropped: the next one does its work.
        "options": {"expires": max(LEDGER_SEQUENCE_SECONDS * 10, 10)},
    },
    "issue-ledger-checkpoint": {
        "task": "registry.ledger.tasks.issue_ledger_checkpoint",
        "schedule": LEDGER_CHECKPOINT_SECONDS,
    },
    "verify-ledger": {
        "task": "registry.ledger.tasks.verify_ledger",
        "schedule": LEDGER_VERIFY_SECONDS,
    },
    "store-closed-years": {
        "task": "registry.compliance.tasks.store_closed_years",
        "schedule": COMPLIANCE_STORE_SECONDS,
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
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "axes": {"level": "WARNING"},  # not a line per sign-in; lockouts are warnings
    },
}

# --- security: sign-in, sessions, headers, request limits (issue 6) --------------------------

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
#: Every official, monitor and the secretariat must sign in with a second factor (TOTP, or a
#: recovery code). On by default when DEBUG is off; the zero-setup demo leaves it off.
REGISTRY_REQUIRE_2FA = env_bool("REGISTRY_REQUIRE_2FA", not DEBUG)
#: How many one-time recovery codes an enrolment gives.
REGISTRY_RECOVERY_CODES = env_int("REGISTRY_RECOVERY_CODES", 10)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Notification registry")
#: After a wrong code, a device refuses codes for factor × 2^(failures - 1) seconds.
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_TOTP_THROTTLE_FACTOR", 1)

# Lockout (django-axes): failed passwords and second-factor codes count alike.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_MINUTES", 15) / 60  # hours
# Either is locked on its own: one username tried from anywhere, or one address trying any
# usernames. Behind the proxy set AXES_IPWARE_PROXY_COUNT, or every user shares its address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Failures are forgotten when the whole sign-in succeeds, second factor included
# (registry.middleware.signed_in, accounts.sign_in_completed), not after the password alone.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "registry.views.account.locked_out"
AXES_VERBOSE = False
#: Behind the TLS proxy the client's address is in X-Forwarded-For (set by the proxy).
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Request limits: a larger body is refused with a 400 naming "request" (registry.middleware).
REGISTRY_MAX_REQUEST_BYTES = env_int("REGISTRY_MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_MAX_REQUEST_BYTES
# A procurement plan form posts about a dozen fields per item.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 15 * REGISTRY_MAX_CONTENT_ROWS + 500

# Cookies, transport and headers. Behind the TLS proxy, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: every script and stylesheet is a file we serve.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if REDIS_URL:
    # Throttle counts shared by every web process (the local-memory default is per process).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "registry",
        }
    }
