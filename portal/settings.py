"""Patuh settings, read from the environment.

Why from the environment: the same code runs as a newcomer's SQLite demo, in CI on both databases,
and in production on PostgreSQL, and none of those should need a file edited.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
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
        # One sentence on stderr and exit status 1, not a traceback: this is an operator's mistake, not a bug.
        raise SystemExit(
            "DJANGO_SECRET_KEY is not set: set DJANGO_SECRET_KEY to a long random value "
            "(or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-patuh-local-development-only"  # noqa: S105 - debug only
# Earlier keys, still accepted while SECRET_KEY is rotated (comma-separated): sessions, signed values, and the
# sealed webhook signing secrets (cases/core/sealing.py, docs/webhooks.md).
SECRET_KEY_FALLBACKS = [k.strip() for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]

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
    "axes",  # failed-login tracking and lockout (see "Security" below)
    "django_otp",  # two-step login (see "Security" below)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",  # Content-Security-Policy header
    "django_tasks",  # background jobs (see "Background jobs" below)
    "django_tasks_db",
    "cases.apps.CasesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session gave a one-time code (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it logs out sessions older than SESSION_ABSOLUTE_AGE and says why.
    "cases.middleware.SessionLifetimeMiddleware",
    # A session that still owes its second factor reaches only the set-up or verify page (and logout).
    "cases.middleware.TwoFactorMiddleware",
    "cases.accounts.refusals.RefusalLoggingMiddleware",  # every 404 to a signed-in user is logged
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes requires: it turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Benchmark only (bench/run.py): each response says how many queries it ran and for how long. Never in
# production: the deployment check warns while it is on (cases/bench_sql.py).
if env_bool("PATUH_BENCH_SQL", False):
    MIDDLEWARE.insert(0, "cases.bench_sql.BenchSQLMiddleware")
    PATUH_BENCH_SQL_DUMP = os.environ.get("PATUH_BENCH_SQL_DUMP", "")

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
# Persistent connections: in production each worker keeps its connection for 60 s (DATABASE_CONN_MAX_AGE; 0 closes
# it after every request), checked before it is reused. Debug starts from 0 (the development server runs each
# request in a thread of its own), and so does the connection pool (DATABASE_POOL), which replaces them.
DATABASE_CONN_MAX_AGE = int(os.environ.get("DATABASE_CONN_MAX_AGE", "").strip()
                            or (0 if DEBUG or env_bool("DATABASE_POOL", False) else 60))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE, conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=DATABASE_CONN_MAX_AGE > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the dev server and a sweeper share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # IMMEDIATE: a transaction takes the write lock when it begins, so a writer waits its turn (up to the
        # timeout) instead of failing when another commits between its first read and its first write.
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
         "transaction_mode": "IMMEDIATE"}
    )
# PostgreSQL session settings for every connection (DATABASE_PG_OPTIONS, libpq's `options`). JIT off: on the
# report queries its compilation cost more than the query (1.1 s of a 3.2 s percentile query at 10M cases);
# a work_mem that sorts a month of durations in memory instead of on disk.
PG_SESSION_OPTIONS = os.environ.get("DATABASE_PG_OPTIONS", "-c jit=off -c work_mem=64MB")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PG_SESSION_OPTIONS:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_SESSION_OPTIONS

# Scaling switches (docs/scaling.md), all off by default.
# DATABASE_POOL=1: Django's psycopg connection pool in each worker process (DATABASE_POOL_MIN_SIZE,
# DATABASE_POOL_MAX_SIZE, DATABASE_POOL_TIMEOUT seconds). It replaces persistent connections, so it refuses
# DATABASE_CONN_MAX_AGE. Behind PgBouncer, leave it off and use session pooling (the CSV export's COPY and
# server-side cursors need their session to themselves).
DATABASE_POOL = env_bool("DATABASE_POOL", False)
if DATABASE_POOL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("DATABASE_POOL needs PostgreSQL: point DATABASE_URL at it, or unset DATABASE_POOL.")
    if DATABASE_CONN_MAX_AGE:
        raise SystemExit("DATABASE_POOL and DATABASE_CONN_MAX_AGE exclude each other: unset DATABASE_CONN_MAX_AGE.")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4")),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
# DATABASE_REPLICA_URL: a read replica (streaming replication) for the reports. portal/routers.py sends the reads
# of code marked `replica_reads()` there and everything else to default; the replica connection is read-only.
if os.environ.get("DATABASE_REPLICA_URL"):
    _replica = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASE_CONN_MAX_AGE,
                                     conn_health_checks=DATABASE_CONN_MAX_AGE > 0)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("DATABASE_REPLICA_URL must be a PostgreSQL URL.")
    _replica.setdefault("OPTIONS", {})["options"] = f"{PG_SESSION_OPTIONS} -c default_transaction_read_only=on".strip()
    if DATABASE_POOL:
        _replica["OPTIONS"]["pool"] = dict(DATABASES["default"]["OPTIONS"]["pool"])
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["portal.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id for new and changed passwords. The others stay after it so existing hashes still verify, and
# Django rehashes each one with Argon2 at its owner's next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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
# One date-time form per language on every page (issue 13): "1 Des 2026 11.06 WIB" / "1 Dec 2026 11:06 WIB".
FORMAT_MODULE_PATH = ["portal.formats"]

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

# Every line says when; the filter masks anything shaped like a password, an API key or a bearer token that
# a future log call might let slip (defence in depth: nothing in Patuh logs them on purpose).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "cases.accounts.security_logging.RedactSecretsFilter"}},
    "formatters": {"timestamped": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "timestamped", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # axes announces its configuration at every start-up (each management command); keep its warnings only.
    "loggers": {"axes.apps": {"level": "WARNING"}},
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
    # The largest JSON body the API reads (a full 1,000-item bulk batch fits well within it).
    "API_MAX_BODY_BYTES": int(os.environ.get("PATUH_API_MAX_BODY_MB", "8")) * 1024 * 1024,
    # Produce the PDF letter of every takedown order and issued sanction (cases/sanctions/services/letters.py).
    "LETTERS": env_bool("PATUH_LETTERS", True),
}

# --- Letters ----------------------------------------------------------------------------------------
# The fixed parts of every official letter (the editable text is in the console: Letter templates), per language.
PATUH_LETTERS = {
    "MINISTRY": {
        "state": {"id": "REPUBLIK INDONESIA", "en": "REPUBLIC OF INDONESIA"},
        "name": {"id": "KEMENTERIAN KOMUNIKASI DAN DIGITAL", "en": "MINISTRY OF COMMUNICATION AND DIGITAL AFFAIRS"},
        "unit": {"id": "Direktorat Jenderal Pengawasan Ruang Digital",
                 "en": "Directorate General of Digital Space Supervision"},
        "address": {"id": "Jl. Medan Merdeka Barat No. 9, Jakarta 10110 · www.komdigi.go.id",
                    "en": "Jl. Medan Merdeka Barat No. 9, Jakarta 10110, Indonesia · www.komdigi.go.id"},
    },
    "ORDER_LEGAL_BASIS": {
        "id": "Undang-Undang Nomor 11 Tahun 2008 tentang Informasi dan Transaksi Elektronik beserta perubahannya, "
              "Pasal 40 ayat (2a) dan (2b), dan Peraturan Pemerintah Nomor 71 Tahun 2019",
        "en": "Law No. 11 of 2008 on Electronic Information and Transactions as amended, Article 40(2a) and (2b), "
              "and Government Regulation No. 71 of 2019",
    },
    "SANCTION_LEGAL_BASIS": {
        "id": "Peraturan Pemerintah Nomor 71 Tahun 2019 Pasal 100 dan Peraturan Menteri Komunikasi dan Informatika "
              "Nomor 5 Tahun 2020 tentang Penyelenggara Sistem Elektronik Lingkup Privat",
        "en": "Government Regulation No. 71 of 2019, Article 100, and Minister of Communication and Informatics "
              "Regulation No. 5 of 2020 on Private Electronic System Operators",
    },
    "REDRESS": {
        "id": "Penyelenggara dapat mengajukan keberatan secara tertulis kepada Menteri dalam waktu 14 (empat belas) "
              "hari kerja sejak surat ini diterima, melalui konsol platform Patuh atau alamat surat di atas.",
        "en": "The operator may object in writing to the Minister within 14 (fourteen) working days of receiving "
              "this letter, through Patuh's platform console or at the address above.",
    },
    "SIGNATORY": "Direktur Jenderal",
    "SIGNATORY_TITLE": {"id": "a.n. Menteri Komunikasi dan Digital, Direktur Pengendalian",
                        "en": "For the Minister of Communication and Digital Affairs, Director of Enforcement"},
}

# --- Background jobs ------------------------------------------------------------------------------
# Django's Tasks framework (the django-tasks backport) with its database backend (django-tasks-db): jobs are rows
# in the same database, so SQLite needs nothing more and PostgreSQL workers on several machines share one queue
# (SELECT ... FOR UPDATE SKIP LOCKED). A worker: `python manage.py worker` (`make worker`). Enqueue with
# `cases.core.jobs.enqueue_after_commit`. See docs/webhooks.md, "Jobs".
TASKS = {
    "default": {
        "BACKEND": os.environ.get("PATUH_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "webhooks"],
    }
}
# A job still marked running this long after it started is presumed lost with its worker (killed, machine gone)
# and is queued again by the sweeper: jobs are written to be safe to run twice.
PATUH_JOB_TIMEOUT_MINUTES = int(os.environ.get("PATUH_JOB_TIMEOUT_MINUTES", "15"))
# Finished jobs are forgotten after this many days (by the sweeper).
PATUH_JOB_RESULTS_KEEP_DAYS = int(os.environ.get("PATUH_JOB_RESULTS_KEEP_DAYS", "7"))

# --- Outbound HTTP and webhooks --------------------------------------------------------------------
# Every outbound fetch (webhook deliveries, and later URL re-checks) goes through one SSRF guard,
# cases/core/outbound.py: it resolves the host and refuses private, loopback, link-local, shared and metadata
# addresses, connects to the address it checked, and follows no redirect.
# PATUH_FETCH_ALLOW_HOSTS: host names allowed in spite of the guard (comma-separated; e.g. an internal
# ticketing system a platform hosts on a private network reachable from here).
PATUH_FETCH_ALLOW_HOSTS = [h.strip().lower() for h in os.environ.get("PATUH_FETCH_ALLOW_HOSTS", "").split(",")
                           if h.strip()]
# Development only: plain HTTP to loopback addresses (127.0.0.0/8, ::1), e.g. a receiver on your laptop.
PATUH_FETCH_ALLOW_LOOPBACK_HTTP = env_bool("PATUH_FETCH_ALLOW_LOOPBACK_HTTP", False)
# The address the platforms reach Patuh at: the API URLs in webhook payloads start with it.
PATUH_BASE_URL = os.environ.get("PATUH_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
PATUH_WEBHOOKS = {
    # Seconds to connect, and to wait for the receiver's answer.
    "CONNECT_TIMEOUT": float(os.environ.get("PATUH_WEBHOOK_CONNECT_TIMEOUT", "5")),
    "READ_TIMEOUT": float(os.environ.get("PATUH_WEBHOOK_READ_TIMEOUT", "10")),
    # At most this much of a receiver's answer is read (and 1 KB of it kept in the delivery log).
    "MAX_RESPONSE_BYTES": int(os.environ.get("PATUH_WEBHOOK_MAX_RESPONSE_BYTES", str(64 * 1024))),
    # The retry schedule, in seconds after the previous attempt (each with up to 20% jitter): about 3 days in all.
    "RETRY_SCHEDULE": [int(s) for s in os.environ.get(
        "PATUH_WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000,36000,36000,36000,36000,36000").split(",")
        if s.strip()],
    # A delivery claimed longer ago than this belongs to a worker that died; the sweeper queues it again. (At least
    # twice CONNECT_TIMEOUT + READ_TIMEOUT: a live worker re-stamps its claims as it goes.)
    "CLAIM_TIMEOUT": int(os.environ.get("PATUH_WEBHOOK_CLAIM_TIMEOUT", "60")),
    # After a secret is rotated, deliveries are signed with the old one too, for this many hours.
    "SECRET_OVERLAP_HOURS": int(os.environ.get("PATUH_WEBHOOK_SECRET_OVERLAP_HOURS", "24")),
    # An urgent order neither delivered (2xx) nor opened by a liaison this long after submission falls back to
    # e-mail and raises an alert on the supervisors' dashboard.
    "URGENT_FALLBACK_MINUTES": int(os.environ.get("PATUH_WEBHOOK_URGENT_FALLBACK_MINUTES", "15")),
    # An endpoint whose last this-many attempts failed (retries included) shows as failing on the dashboard.
    "FAILING_STREAK": int(os.environ.get("PATUH_WEBHOOK_FAILING_STREAK", "5")),
}

# --- Re-checks ----------------------------------------------------------------------------------
# After a platform reports an action, Patuh fetches the location itself (cases/evidence/services/rechecks.py, README
# "Re-checks"). Every fetch goes through the SSRF guard above (cases/core/outbound.py).


def _durations(text: str) -> list[int]:
    """"1h,24h,7d" -> seconds. Units: m, h, d."""
    units = {"m": 60, "h": 3600, "d": 86400}
    out = []
    for item in text.split(","):
        item = item.strip().lower().lstrip("+")
        if item:
            if item[-1] not in units or not item[:-1].isdigit():
                raise SystemExit(f"PATUH_RECHECK_SCHEDULE: {item!r} is not a duration such as 30m, 1h or 7d.")
            out.append(int(item[:-1]) * units[item[-1]])
    return sorted(set(out))


def _recheck_schedule(text: str) -> dict[str, list[int]]:
    """"default=1h,24h,7d;terrorism=1h,6h,24h,7d" -> {category: [seconds after the action report]}."""
    schedule = {}
    for part in text.split(";"):
        if part.strip():
            category, _sep, offsets = part.partition("=")
            schedule[category.strip()] = _durations(offsets)
    schedule.setdefault("default", [3600, 86400, 7 * 86400])
    return schedule


def _recheck_vantages(text: str) -> list[dict]:
    """JSON: [{"name": "jakarta", "proxy": "http://10.20.0.5:3128", "country": "ID"}, ...]. No proxy: direct."""
    import json

    try:
        vantages = json.loads(text)
        assert isinstance(vantages, list) and vantages
        return [{"name": str(v["name"])[:40], "proxy": str(v.get("proxy") or ""),
                 "country": str(v.get("country") or "").upper()[:2]} for v in vantages]
    except (ValueError, AssertionError, KeyError, TypeError) as err:
        raise SystemExit('PATUH_RECHECK_VANTAGES must be a JSON list such as [{"name": "jakarta", '
                         '"proxy": "http://proxy:3128", "country": "ID"}].') from err


def _host_rates(text: str) -> dict[str, float]:
    rates = {}
    for item in text.split(","):
        if "=" in item:
            host, _sep, rate = item.partition("=")
            rates[host.strip().lower()] = float(rate)
    return rates


PATUH_RECHECKS = {
    # Plan re-checks by themselves (the deadline sweeper plans them every minute; workers run them). Off by default
    # in debug, so the demo never fetches real platforms' pages unasked; "Re-check now" works either way.
    "ENABLED": env_bool("PATUH_RECHECKS", not DEBUG),
    # Seconds after the action report, per category ("default" for the others), each with up to JITTER of random
    # delay so a platform cannot time a restoration between two re-checks.
    "SCHEDULE": _recheck_schedule(os.environ.get("PATUH_RECHECK_SCHEDULE", "default=1h,24h,7d")),
    "JITTER": float(os.environ.get("PATUH_RECHECK_JITTER", "0.1")),
    # A location in a case whose deadline is running is also re-checked this long before the deadline.
    "PRE_DEADLINE_MINUTES": int(os.environ.get("PATUH_RECHECK_PRE_DEADLINE_MINUTES", "30")),
    # Where fetches leave from. "country" is ISO 3166 (ID: Indonesia): a live verdict seen from Indonesia
    # contradicts a reported geo-block; one seen from elsewhere does not.
    "VANTAGES": _recheck_vantages(os.environ.get(
        "PATUH_RECHECK_VANTAGES", '[{"name": "direct", "proxy": "", "country": "ID"}]')),
    # Named in the User-Agent of every fetch, so a platform's operations team knows who is asking.
    "CONTACT": os.environ.get("PATUH_RECHECK_CONTACT", "aduankonten@komdigi.go.id"),
    # Per host: requests per second (HOST_RATES overrides per host, e.g. "t.me=2,www.youtube.com=1").
    "HOST_RATE": float(os.environ.get("PATUH_RECHECK_HOST_RATE", "1")),
    "HOST_RATES": _host_rates(os.environ.get("PATUH_RECHECK_HOST_RATES", "")),
    # At most this many fetches at once, over every worker.
    "MAX_CONCURRENCY": int(os.environ.get("PATUH_RECHECK_MAX_CONCURRENCY", "8")),
    # Circuit breaker: after this many failures in a row (network errors, 5xx, 429) a host rests for COOLDOWN
    # seconds, doubled at each reopening up to an hour; its re-checks wait meanwhile.
    "BREAKER_FAILURES": int(os.environ.get("PATUH_RECHECK_BREAKER_FAILURES", "5")),
    "BREAKER_COOLDOWN": int(os.environ.get("PATUH_RECHECK_BREAKER_COOLDOWN", "60")),
    "CONNECT_TIMEOUT": float(os.environ.get("PATUH_RECHECK_CONNECT_TIMEOUT", "5")),
    "READ_TIMEOUT": float(os.environ.get("PATUH_RECHECK_READ_TIMEOUT", "15")),
    # At most this much of an answer is read and kept (the WARC record says it was truncated).
    "MAX_BODY_BYTES": int(os.environ.get("PATUH_RECHECK_MAX_BODY_KB", "2048")) * 1024,
    "MAX_REDIRECTS": int(os.environ.get("PATUH_RECHECK_MAX_REDIRECTS", "5")),
    # Re-check results (the timeline entry and the WARC) are shared with the platform concerned.
    "SHARE_WITH_PLATFORM": env_bool("PATUH_RECHECK_SHARE", True),
    # Categories whose fetched bodies are never stored (only status, headers, size and SHA-256 of the body).
    "BODYLESS_CATEGORIES": [c.strip() for c in os.environ.get("PATUH_RECHECK_BODYLESS_CATEGORIES", "csam").split(",")
                            if c.strip()],
    # A re-check still waiting this long after it was due (its host's circuit kept open) is cancelled.
    "EXPIRE_HOURS": int(os.environ.get("PATUH_RECHECK_EXPIRE_HOURS", "24")),
    # A re-check claimed longer ago than this belongs to a worker that died; it is claimed again.
    "CLAIM_TIMEOUT": int(os.environ.get("PATUH_RECHECK_CLAIM_TIMEOUT", "120")),
    # X serves no post to clients without JavaScript; its public oEmbed endpoint answers for a post URL.
    "X_OEMBED": os.environ.get("PATUH_RECHECK_X_OEMBED", "https://publish.twitter.com/oembed"),
}

# --- Evidence ------------------------------------------------------------------------------------
# Evidence files (screenshots of terrorist propaganda, of child abuse, ...) are handled only by
# cases.evidence.services.evidence and served only by the download view. See docs/evidence.md.

# A request's files over 2.5 MB are spooled inside EVIDENCE_ROOT/.incoming, never in the system's temporary folder
# (cases.core.storage.IncomingUploadHandler); `verify_evidence --orphans` finds what a killed worker left there.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "cases.core.storage.IncomingUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640

# Largest accepted upload, in MB (1 MB = 1024 * 1024 bytes).
EVIDENCE_MAX_UPLOAD_BYTES = int(os.environ.get("PATUH_EVIDENCE_MAX_UPLOAD_MB", "100")) * 1024 * 1024

# Where files are stored. Default: the private local directory EVIDENCE_ROOT (above). Set
# PATUH_EVIDENCE_S3_BUCKET to use S3-compatible object storage instead (AWS, MinIO, Ceph, ...).
# Credentials are never put here: boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an
# instance role) from the environment. EVIDENCE_ROOT is still used as scratch space for uploads.
EVIDENCE_STORAGE = {"BACKEND": "cases.core.storage.PrivateFileSystemStorage", "OPTIONS": {}}
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

# Re-upload matching (cases.evidence.services.hashing): PDQ hashes within this Hamming distance (of 256 bits) are shown
# as a possible re-upload; hashes of quality below the minimum are kept but never matched. PDQ's own
# recommendations are 31 and 50.
PDQ_MATCH_THRESHOLD = int(os.environ.get("PATUH_PDQ_THRESHOLD", "31"))
PDQ_MIN_QUALITY = int(os.environ.get("PATUH_PDQ_MIN_QUALITY", "50"))


# --- Cache (shared by every worker) ----------------------------------------------------------------
# The rate limits below count in the cache, so it must be one store for all worker processes (a per-process
# cache let two gunicorn workers admit twice the limits). PATUH_REDIS_URL (or CACHE_URL), e.g.
# redis://127.0.0.1:6379/0: Redis, as production runs. Unset: a table in the database (`patuh_cache`, created
# by `migrate`), so the limits hold on one machine with nothing else installed. See cases/core/cache.py.
PATUH_REDIS_URL = os.environ.get("PATUH_REDIS_URL") or os.environ.get("CACHE_URL", "")
if PATUH_REDIS_URL:
    if not PATUH_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise SystemExit("PATUH_REDIS_URL / CACHE_URL must be a redis://, rediss:// or unix:// URL.")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": PATUH_REDIS_URL,
                          "KEY_PREFIX": os.environ.get("PATUH_CACHE_PREFIX", "patuh")}}
else:
    CACHES = {"default": {"BACKEND": "cases.core.cache.DatabaseCache", "LOCATION": "patuh_cache",
                          # Django culls a third of the table past MAX_ENTRIES (300 by default): that would forget
                          # rate-limit counters under load. Expired rows are culled all the same.
                          "OPTIONS": {"MAX_ENTRIES": 1_000_000}}}

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
        "cases.api.parsers.BoundedJSONParser",  # size, depth and text checked at the edge (issue 12)
        "rest_framework.parsers.FormParser",
        "cases.api.parsers.NameCheckingMultiPartParser",  # file names judged as sent, before Django strips paths
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
        "CaseStatusEnum": "cases.core.choices.CaseStatus",
        "CategoryEnum": "cases.core.choices.Category",
        "TierEnum": "cases.core.choices.Tier",
        "CommitmentStatusEnum": "cases.core.choices.CommitmentStatus",
        "SanctionStatusEnum": "cases.core.choices.SanctionStatus",
        "SanctionLevelEnum": "cases.core.choices.SanctionLevel",
        "EvidenceKindEnum": "cases.core.choices.EvidenceKind",
        "VisibilityEnum": "cases.core.choices.Visibility",
        "EventKindEnum": "cases.core.choices.EventKind",
        "TransitionActionEnum": "cases.cases.workflow.TRANSITIONS",
        "WebhookEventTypeEnum": "cases.api.models.webhooks.WebhookEventType",
        "WebhookDeliveryStatusEnum": "cases.api.models.webhooks.DeliveryStatus",
    },
}
# The public transparency report (/api/v1/public/transparency/): counts only, off unless published.
PATUH_PUBLIC_TRANSPARENCY = env_bool("PATUH_PUBLIC_TRANSPARENCY", False)
# Published reports show a count below this as "< N" (and no share or hours drawn from fewer cycles).
PATUH_PUBLIC_MIN_COUNT = int(os.environ.get("PATUH_PUBLIC_MIN_COUNT", "10"))


# --- Security ------------------------------------------------------------------------------------
# OWASP ASVS 4.0.3 level 2 (V2 authentication, V3 sessions, V14 headers) and Django's deployment checklist.
# With DJANGO_DEBUG off this passes `manage.py check --deploy` with no warnings. See docs/security.md.
PRODUCTION = not DEBUG

# Failed logins and lockout (django-axes). Both consoles' login forms go through authenticate(), so both
# are covered. The API has no password endpoint: tokens are created in the consoles. A username is locked
# out from one client IP after LOGIN_FAILURE_LIMIT failures within the cool-off; another IP, or another
# username from the same IP, is not. Each further try while locked restarts the cool-off.
AXES_ENABLED = env_bool("PATUH_LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = int(os.environ.get("PATUH_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PATUH_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful login clears that username+IP's failures
AXES_LOCKOUT_CALLABLE = "cases.sites.lockout_response"  # the console's own page: when to try again
AXES_HTTP_RESPONSE_CODE = 429
# The client IP as the rest of Patuh sees it: REMOTE_ADDR, or PATUH_TRUSTED_PROXY_COUNT hops into
# X-Forwarded-For. (Behind nginx without it, every client would share nginx's address.)
AXES_CLIENT_IP_CALLABLE = "cases.middleware.client_ip"
# Logs name who (username, IP, user agent), what and where; passwords are always masked by axes. The CSRF
# token is masked too in the POST data axes keeps with each attempt.
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken", "otp_token"]
AXES_VERBOSE = True

# Two-step login (django-otp, TOTP with backup codes; cases/accounts/services/twofactor.py). Ministry staff must use it
# when REQUIRE_2FA is on: by default with DEBUG off, and not with DEBUG on, so the quickstart demo stays
# password-only. Liaisons may set it up; with LIAISON_2FA on they must. Anyone who has set it up is always
# asked for a code. A missing or wrong code at login counts as a failed login for the lockout above.
PATUH["REQUIRE_2FA"] = env_bool("PATUH_REQUIRE_2FA", not DEBUG)
PATUH["LIAISON_2FA"] = env_bool("PATUH_LIAISON_2FA", False)
OTP_TOTP_ISSUER = os.environ.get("PATUH_OTP_ISSUER", "Patuh")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the device pages (superusers only) never show a key or its QR code

# Sessions (ASVS V3): 30 minutes idle, 12 hours at most, gone with the browser, and ended at once when the
# user is deactivated (cases/signals.py). SESSION_SAVE_EVERY_REQUEST slides the idle window on each request.
SESSION_COOKIE_AGE = int(os.environ.get("PATUH_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_AGE = int(os.environ.get("PATUH_SESSION_MAX_HOURS", "12")) * 3600  # cases.middleware
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No JavaScript of ours (nor the admin's, nor the API docs') reads the CSRF cookie: forms carry the token.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Headers on every response.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Transport: HTTPS only in production. `__Host-` cookies must be Secure, Path=/ and without Domain, so a
# sibling subdomain can neither set nor shadow them; they need HTTPS, hence production only.
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("PATUH_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("PATUH_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PATUH_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("PATUH_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    # An operator who turns these off says so on purpose (e.g. nginx redirects to HTTPS itself, or the domain
    # must not be preloaded); the deploy check need not repeat it on every run.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_SSL_REDIRECT else ["security.W008"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
# Trust X-Forwarded-Proto only when a proxy we run sets it (and strips any the client sent).
if env_bool("PATUH_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): only our own scripts, styles, images and fonts; no inline script,
# no inline style, no plugins, no framing, forms post only here. Also on in debug, so violations show early.
# The API docs page (/api/docs/) loosens style-src for itself only (cases/api/urls.py).
_csp_directives = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "upgrade-insecure-requests": PRODUCTION,
}
if os.environ.get("PATUH_CSP_REPORT_URI"):
    _csp_directives["report-uri"] = [os.environ["PATUH_CSP_REPORT_URI"]]
if env_bool("PATUH_CSP_REPORT_ONLY", False):  # to try a stricter policy out without breaking anything
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _csp_directives}
