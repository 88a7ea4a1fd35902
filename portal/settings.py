"""Patuh settings, read from the environment.

Why from the environment: the same code runs as a newcomer's SQLite demo, in CI on both databases,
and in production on PostgreSQL, and none of those should need a file edited.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PATUH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: set DJANGO_SECRET_KEY to a long random value "
            "(or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-patuh-local-development-only"  # noqa: S105 - debug only

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "cases.apps.PatuhAdminConfig",  # django.contrib.admin, with the ministry console as its site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "cases.apps.CasesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
            ],
        },
    },
]

# Database: DATABASE_URL selects it; without one, SQLite in a file under var/.
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'patuh.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the dev server and a sweeper share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Times are stored in UTC and shown in Jakarta time.
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Evidence never lives under a public URL: no MEDIA_URL is served for it.
EVIDENCE_ROOT = Path(os.environ.get("PATUH_EVIDENCE_ROOT", VAR_DIR / "evidence"))

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "patuh@localhost")
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# --- Patuh ---------------------------------------------------------------------------------------
PATUH = {
    # The prefix of human case references: PTH-2026-000123.
    "REFERENCE_PREFIX": os.environ.get("PATUH_REFERENCE_PREFIX", "PTH"),
    # The authority named on every order.
    "ISSUING_AUTHORITY": os.environ.get(
        "PATUH_ISSUING_AUTHORITY", "Kementerian Komunikasi dan Digital Republik Indonesia"
    ),
    # Liaisons are warned this many minutes before a deadline.
    "DUE_SOON_MINUTES": int(os.environ.get("PATUH_DUE_SOON_MINUTES", "60")),
    # Issued sanctions older than this no longer count on the escalation ladder.
    "LADDER_LOOKBACK_DAYS": int(os.environ.get("PATUH_LADDER_LOOKBACK_DAYS", "365")),
    # API idempotency keys are kept this long; a retry later than this is treated as a new request.
    "IDEMPOTENCY_TTL_HOURS": int(os.environ.get("PATUH_IDEMPOTENCY_TTL_HOURS", "24")),
}

# --- Evidence ------------------------------------------------------------------------------------
# Evidence files (screenshots of terrorist propaganda, of child abuse, ...) are handled only by
# cases.services.evidence and served only by the download view. See docs/evidence.md.

# Largest accepted upload, in MB (1 MB = 1024 * 1024 bytes).
EVIDENCE_MAX_UPLOAD_BYTES = int(os.environ.get("PATUH_EVIDENCE_MAX_UPLOAD_MB", "100")) * 1024 * 1024

# Where files are stored. Default: the private local directory EVIDENCE_ROOT (above). Set
# PATUH_EVIDENCE_S3_BUCKET to use S3-compatible object storage instead (AWS, MinIO, Ceph, ...).
# Credentials are never put here: boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an
# instance role) from the environment. EVIDENCE_ROOT is still used as scratch space for uploads.
EVIDENCE_STORAGE = {"BACKEND": "cases.storage.PrivateFileSystemStorage", "OPTIONS": {}}
if os.environ.get("PATUH_EVIDENCE_S3_BUCKET"):
    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PATUH_EVIDENCE_S3_BUCKET"],
            "endpoint_url": os.environ.get("PATUH_EVIDENCE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("PATUH_EVIDENCE_S3_REGION") or None,
            "addressing_style": os.environ.get("PATUH_EVIDENCE_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
            "location": os.environ.get("PATUH_EVIDENCE_S3_PREFIX", "evidence"),
            "default_acl": "private",  # never public-read, whatever the bucket's default
            "file_overwrite": False,  # a stored file is never replaced; a clash gets a new name
            "querystring_auth": True,  # any URL django-storages builds is signed (Patuh never hands one out)
            "object_parameters": (
                {"ServerSideEncryption": os.environ["PATUH_EVIDENCE_S3_SSE"]}
                if os.environ.get("PATUH_EVIDENCE_S3_SSE") else {}
            ),
        },
    }

# nginx X-Accel-Redirect: when set (e.g. "/protected-evidence/"), the download view still checks scope,
# verifies the hash and writes custody, then lets nginx send the bytes from an `internal` location
# aliased to EVIDENCE_ROOT. Local storage only. Empty: Django streams the file itself.
EVIDENCE_X_ACCEL_PREFIX = os.environ.get("PATUH_EVIDENCE_X_ACCEL", "")

# How many reverse proxies in front of Django append to X-Forwarded-For. 0: the custody trail records
# REMOTE_ADDR. Set it to 1 behind a single nginx so the recorded IP is the client's, not nginx's.
EVIDENCE_TRUSTED_PROXY_COUNT = int(os.environ.get("PATUH_TRUSTED_PROXY_COUNT", "0"))


# --- API -----------------------------------------------------------------------------------------
# The REST API (docs/api.md): sessions for browsers (with CSRF), bearer tokens for machines.
# Rate limits are "<n>/<second|minute|hour|day>" and apply per user, per client IP, and to bulk intake.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.api.authentication.BearerTokenAuthentication",  # first: requests without credentials get 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cases.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "cases.api.throttling.UserThrottle",
        "cases.api.throttling.AnonThrottle",
        "cases.api.throttling.IPThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("PATUH_API_RATE_USER", "1200/minute"),
        "anon": os.environ.get("PATUH_API_RATE_ANON", "60/minute"),
        "ip": os.environ.get("PATUH_API_RATE_IP", "3000/minute"),
        "bulk": os.environ.get("PATUH_API_RATE_BULK", "120/minute"),
    },
    # Client IPs for the per-IP limits: REMOTE_ADDR, or the address the trusted proxies saw.
    "NUM_PROXIES": EVIDENCE_TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Patuh API",
    "DESCRIPTION": "Takedown orders, deadlines, evidence, commitments, sanctions and compliance figures. "
    "See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files, never a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.choices.CaseStatus",
        "CategoryEnum": "cases.choices.Category",
        "TierEnum": "cases.choices.Tier",
        "CommitmentStatusEnum": "cases.choices.CommitmentStatus",
        "SanctionStatusEnum": "cases.choices.SanctionStatus",
        "SanctionLevelEnum": "cases.choices.SanctionLevel",
        "EvidenceKindEnum": "cases.choices.EvidenceKind",
        "VisibilityEnum": "cases.choices.Visibility",
        "EventKindEnum": "cases.choices.EventKind",
        "TransitionActionEnum": "cases.workflow.TRANSITIONS",
    },
}
# The public transparency report (/api/v1/public/transparency/): counts only, off unless published.
PATUH_PUBLIC_TRANSPARENCY = env_bool("PATUH_PUBLIC_TRANSPARENCY", False)
