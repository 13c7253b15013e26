"""Settings for Abierto, configured only through environment variables.

The embedded default (no variable set) is a single machine: SQLite in WAL mode, local
memory cache, media on the local file system, the database task backend.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("ABIERTO_VAR_DIR", PROJECT_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Unexpected value {name}={value!r}, use true or false")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# The development key only serves the embedded default on this machine. Served under any other
# host name, the platform refuses to start without SECRET_KEY: sessions, password-reset links
# and signed values would otherwise be forgeable by anyone who read this file.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]", "::1"}
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if set(ALLOWED_HOSTS) - LOCAL_HOSTS:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set, and ALLOWED_HOSTS names a public host "
            f"({', '.join(sorted(set(ALLOWED_HOSTS) - LOCAL_HOSTS))}): set SECRET_KEY "
            "(or SECRET_KEY_FILE) to a long random value; see docs/deploy.md."
        )
    SECRET_KEY = "abierto-insecure-development-key-change-me-in-production"  # noqa: S105
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Gobierno Abierto Jalisco")
# The institutional mailbox of the platform's own datasets (DCAT contact point); without it
# they give datos@<host of SITE_URL>. Set both in production.
CATALOG_CONTACT_EMAIL = os.environ.get("CATALOG_CONTACT_EMAIL", "")
# The exercise whose home is the site's home page (a state instance has just one).
DEFAULT_EXERCISE = os.environ.get("DEFAULT_EXERCISE", "jalisco")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "abierto.core",
    "abierto.secretariat",
    "abierto.plans",
    "abierto.participation",
    "abierto.contracting",
    "abierto.catalog",
    "abierto.datastore",
    "abierto.reports",
]

MIDDLEWARE = [
    # First, so that its request id and duration cover everything below, redirects included.
    "abierto.core.logs.RequestIdMiddleware",
    "abierto.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "abierto.urls"
WSGI_APPLICATION = "abierto.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "abierto.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'abierto.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take
    # the write lock up front so concurrent writers wait instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if "TEST" in os.environ else 60

# The datastore's tables (abierto/datastore) live behind their own alias: with SQLite, a file of
# their own, so that loading a million rows never holds the platform database's write lock;
# with PostgreSQL, the platform's database unless DATASTORE_URL names another one.
_default_url = os.environ.get("DATABASE_URL", "")
DATABASES["datastore"] = dj_database_url.parse(
    os.environ.get(
        "DATASTORE_URL",
        _default_url
        if _default_url and not _default_url.startswith("sqlite")
        else f"sqlite:///{VAR_DIR / 'datastore.sqlite3'}",
    ),
    conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
    conn_health_checks=True,
)
if DATABASES["datastore"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["datastore"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["datastore"]["CONN_MAX_AGE"] = 0 if "TEST" in os.environ else 60
elif (_prepare_threshold := envint("DATASTORE_PREPARE_THRESHOLD", 5)) > 0:
    # PostgreSQL: the datastore's own SQL (abierto/datastore) sent with its parameters apart
    # and prepared once a connection has run it this many times, so PostgreSQL parses and
    # plans a page's statements once per connection, not per request: 0.2-0.5 ms less of
    # its CPU a search (bench/README.md, 29 November). 0 turns it off, e.g. behind a pooler
    # that cannot keep prepared statements (docs/deploy.md).
    DATABASES["datastore"]["OPTIONS"] = {
        **DATABASES["datastore"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": _prepare_threshold,
    }
DATABASE_ROUTERS = ["abierto.datastore.routers.DatastoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home:index"
LOGOUT_REDIRECT_URL = "home:index"

# Login throttling: five failures lock the username from that address for an hour.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Español")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Leaflet from PyPI (xstatic-leaflet) for the catalog's map previews: no CDN.
    ("leaflet", xstatic.pkg.leaflet.BASE_DIR),
]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    # Uploads: this machine's MEDIA_ROOT, or S3-compatible object storage (MEDIA_STORAGE=s3).
    "default": (
        {
            "BACKEND": "abierto.core.storage_s3.S3MediaStorage",
            "OPTIONS": {
                "bucket_name": os.environ.get("S3_BUCKET", ""),
                "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("S3_REGION") or None,
                "access_key": envsecret("S3_ACCESS_KEY_ID") or None,
                "secret_key": envsecret("S3_SECRET_ACCESS_KEY") or None,
                "location": os.environ.get("S3_PREFIX", "media"),
                # Never overwrite: every upload keeps its own name, as on the file system.
                "file_overwrite": False,
                # Objects stay private: downloads go through the platform (permissions, ETag).
                "default_acl": None,
                "querystring_auth": True,
            },
        }
        if os.environ.get("MEDIA_STORAGE", "filesystem") == "s3"
        else {"BACKEND": "abierto.core.storage.MediaStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", True)

# Uploads: evidence and documents. Larger bodies are streamed to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
DOCUMENT_MAX_BYTES = envint("DOCUMENT_MAX_BYTES", 25 * 1024 * 1024)
DOCUMENT_ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "csv": "text/csv",
    "txt": "text/plain",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "mp4": "video/mp4",
}

# The open data catalog: resource files stream to storage in chunks, never whole in memory.
CATALOG_MAX_UPLOAD_BYTES = envint("CATALOG_MAX_UPLOAD_BYTES", 2 * 1024**3)
# The datastore's datastore_search_sql: off unless switched on; one read-only SELECT over public
# tables, stopped after DATASTORE_SQL_TIMEOUT_MS milliseconds.
DATASTORE_SQL_ENABLED = envbool("DATASTORE_SQL_ENABLED", False)
DATASTORE_SQL_TIMEOUT_MS = envint("DATASTORE_SQL_TIMEOUT_MS", 5000)
# PostgreSQL: how datastore_search_sql logs in as the read-only role abierto_datastore_reader
# (e.g. postgresql://abierto_datastore_reader:PASSWORD@db:5432/abierto); unset, the datastore's
# database as that role without a password (trust authentication: development and CI).
DATASTORE_SQL_URL = envsecret("DATASTORE_SQL_URL")

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A Redis that hangs must fail fast (and show in /salud/), not hang every request.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if os.environ.get("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": envint("LOCMEM_CACHE_ENTRIES", 2000)},
        }
    )
}

# Anonymous public pages are cached whole until public content changes (core/pagecache.py).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# /salud/ reports an error when the oldest task ready to run has waited longer than this:
# the workers are down or cannot keep up.
HEALTH_MAX_TASK_AGE_SECONDS = envint("HEALTH_MAX_TASK_AGE_SECONDS", 900)
# /metricas (Prometheus) answers only a scraper sending "Authorization: Bearer <token>";
# unset, the endpoint does not exist.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "") or None,
        "user": os.environ.get("API_USER_RATE", "") or None,
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de Abierto",
    "DESCRIPTION": "API del ejercicio de Gobierno Abierto: lectura pública, escritura con token.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DatePrecisionEnum": "abierto.core.models.DatePrecision",
        "PlanStatusEnum": "abierto.plans.models.ActionPlan.Status",
        "AgreementStatusEnum": "abierto.secretariat.models.Agreement.Status",
        "MilestoneStatusEnum": "abierto.plans.models.Milestone.Status",
        "ProposalStatusEnum": "abierto.participation.models.Proposal.Status",
    },
}

# Content Security Policy: nothing from third parties, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Load balancers probe app servers, and Prometheus scrapes them, over plain HTTP on the private
# network: a redirect would read as unhealthy.
SECURE_REDIRECT_EXEMPT = [r"^salud/$", r"^healthz$", r"^metricas$", r"^metrics$"]
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
# Off unless asked: only the owner of the domain knows whether every subdomain is on HTTPS.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)

# LOG_FORMAT=json writes one JSON object per line (core/logs.py), for log collectors; text is
# for people reading a terminal. Every line carries the request id; `abierto.requests` logs
# one line per request (set REQUEST_LOG_LEVEL=WARNING to silence it).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"Unexpected value LOG_FORMAT={LOG_FORMAT!r}, use json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "abierto.core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "abierto.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "abierto.requests": {"level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
    },
}

DEMO_DATA_DIR = BASE_DIR / "demo"
