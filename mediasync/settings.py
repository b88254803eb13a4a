"""Settings read from the environment (12-factor); see docs/configuration.md.

Every secret may come from ``NAME_FILE``. A bad value stops start-up with one line that
names the variable (``SettingsError``).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import environ

from mediasync.env import (
    SettingsError,
    envbool,
    envchoice,
    envfloat,
    envint,
    envlist,
    envnetworks,
    envstr,
    envurl,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(envstr("DATA_DIR", str(BASE_DIR / "data"))).resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise SettingsError(f"DATA_DIR: cannot create {DATA_DIR} ({exc.strerror})") from None
if not os.access(DATA_DIR, os.W_OK):
    raise SettingsError(f"DATA_DIR: cannot write {DATA_DIR} as uid {os.getuid()}: run "
                        f"`sudo chown -R {os.getuid()}:{os.getgid()} {DATA_DIR}`")


def _secret_key() -> str:
    """SECRET_KEY from the env, else one generated once and kept in the data dir."""
    key = envstr("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:  # created private from the start, and only once even if two processes race
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
# `make demo` sets it: the login page then names the demo's accounts and what to try.
DEMO_MODE = envbool("DEMO_MODE", False)
# Loopback names are always allowed (the container healthcheck asks for /health on them),
# but only from loopback clients unless ALLOWED_HOSTS names them (ProxyHeadersMiddleware).
_LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
_EXPLICIT_HOSTS = envlist("ALLOWED_HOSTS", [])
ALLOWED_HOSTS = [*_EXPLICIT_HOSTS, *_LOOPBACK_HOSTS]
LOOPBACK_ONLY_HOSTS = frozenset(
    h for h in _LOOPBACK_HOSTS if h not in {e.lower() for e in _EXPLICIT_HOSTS})
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
PORT = envint("PORT", 8000, minimum=1)
if PORT > 65535:
    raise SettingsError(f"PORT: must be at most 65535, got {PORT}")

INSTALLED_APPS = [
    # The admin without autodiscovery at start-up: urls.py discovers the ModelAdmins, so a
    # worker, the listener or a command (which never load the URLs) skip importing them
    # (7 MB and 166 modules less in every such process).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "catalog",
]

MIDDLEWARE = [
    "catalog.auth.middleware.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mediasync.urls"
WSGI_APPLICATION = "mediasync.wsgi.application"

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

# --- database ---------------------------------------------------------------------------
DATABASE_URL = envurl(
    "DATABASE_URL",
    f"sqlite:///{DATA_DIR / 'mediasync.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
try:
    _db = environ.Env.db_url_config(DATABASE_URL)
except Exception as exc:  # django-environ raises several types for bad URLs
    raise SettingsError(f"DATABASE_URL: cannot parse ({type(exc).__name__})") from None
_db_password = envstr("DATABASE_PASSWORD")  # or DATABASE_PASSWORD_FILE: keeps it out of the URL
if _db_password:
    _db["PASSWORD"] = _db_password
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + busy timeout + IMMEDIATE transactions let web and workers write side by side.
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # A 16 MB page cache per connection (the OS caches the file too: 64 MB measured no
        # faster for the mirror, the Plex ingest or a refilter, and cost each process up to
        # 48 MB more) and rarer checkpoints: a catalog walk commits a hundred batches.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=10000;"
        ),
    }
else:
    _db.setdefault("CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and queue --------------------------------------------------------------------
REDIS_URL = envurl("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "mediasync_cache"}}

Q_WORKERS = envint("Q_WORKERS", 2, minimum=1)
Q_TIMEOUT = envint("Q_TIMEOUT", 3600, minimum=10)
# django-q2's ORM broker hands a task out again once ``retry`` seconds pass without an ack,
# so retry must outlive the longest run (timeout) with margin; tasks are idempotent anyway.
# Two installations sharing one Redis keep their queues apart by name.
Q_CLUSTER_NAME = envstr("Q_CLUSTER_NAME", "mediasync")
if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", Q_CLUSTER_NAME):
    raise SettingsError(
        f"Q_CLUSTER_NAME: 1 to 64 letters, digits, '-' or '_', got {Q_CLUSTER_NAME!r}")
Q_CLUSTER = {
    "name": Q_CLUSTER_NAME,
    "workers": Q_WORKERS,
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + 600,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Task queue",
    "poll": 1,
}
# A run holds a lease on its scope, renewed by a heartbeat thread; an owner that stops renewing
# (another host) or whose process is gone (this host) is replaced at once.
RUN_LEASE_SECONDS = envint("RUN_LEASE_SECONDS", 60, minimum=5)
RUN_HEARTBEAT_SECONDS = envfloat("RUN_HEARTBEAT_SECONDS", 5.0, minimum=0.0)
if RUN_HEARTBEAT_SECONDS * 2 > RUN_LEASE_SECONDS:
    raise SettingsError(
        "RUN_HEARTBEAT_SECONDS: must be at most half of RUN_LEASE_SECONDS "
        f"({RUN_LEASE_SECONDS} s) so that a live run keeps its lease, got {RUN_HEARTBEAT_SECONDS}")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- upstreams ---------------------------------------------------------------------------
TVMAZE_BASE_URL = envurl("TVMAZE_BASE_URL", "https://api.tvmaze.com", schemes=("http", "https"))
TVMAZE_API_KEY = envstr("TVMAZE_API_KEY")
TVMAZE_RATE_CALLS = envint("TVMAZE_RATE_CALLS", 20, minimum=0)
TVMAZE_RATE_PERIOD = envfloat("TVMAZE_RATE_PERIOD", 10.0, minimum=0.001)
TMDB_BASE_URL = envurl("TMDB_BASE_URL", "https://api.themoviedb.org/3", schemes=("http", "https"))
TMDB_API_KEY = envstr("TMDB_API_KEY")
TMDB_CACHE_TTL_DAYS = envint("TMDB_CACHE_TTL_DAYS", 7, minimum=0)
TMDB_RATE_CALLS = envint("TMDB_RATE_CALLS", 40, minimum=0)
TMDB_RATE_PERIOD = envfloat("TMDB_RATE_PERIOD", 1.0, minimum=0.001)
HTTP_CONNECT_TIMEOUT = envfloat("HTTP_CONNECT_TIMEOUT", 5.0, minimum=0.1)
HTTP_READ_TIMEOUT = envfloat("HTTP_READ_TIMEOUT", 30.0, minimum=0.1)
HTTP_MAX_RETRIES = envint("HTTP_MAX_RETRIES", 4, minimum=0)
RATE_LIMIT_DB = str(DATA_DIR / "ratelimit.sqlite3")
# Sonarr: how long a series Sonarr cannot find by TVDB id waits before the next try, and
# after how long it is given up (both in days).
SONARR_RETRY_DELAY = envint("SONARR_RETRY_DELAY", 7, minimum=0)
SONARR_ABANDON_AFTER = envint("SONARR_ABANDON_AFTER", 365, minimum=1)
# Sonarr's webhook: seconds between an import (Download) and the Plex refresh it triggers (Plex
# must see the file first).
SONARR_WEBHOOK_REFRESH_DELAY = envint("SONARR_WEBHOOK_REFRESH_DELAY", 30, minimum=0)
# Each further import of the series pushes that refresh back by the delay, but no further than
# this many seconds after the first import, so that a steady stream cannot starve it.
SONARR_WEBHOOK_REFRESH_MAX_DELAY = envint("SONARR_WEBHOOK_REFRESH_MAX_DELAY", 300, minimum=0)
# Refused webhook calls a minute per client address before it gets 429 (right secrets: no limit).
SONARR_WEBHOOK_RATE = envint("SONARR_WEBHOOK_RATE", 60, minimum=1)
# Apprise URLs (comma- or space-separated): one message per Sonarr run that added or failed.
NOTIFY_URLS = envstr("NOTIFY_URLS") or ""

# --- background loading of added shows -----------------------------------------------------
LOADER_CONCURRENCY = envint("LOADER_CONCURRENCY", 5, minimum=0)  # 0 pauses loading
LOADER_RETRY_SECONDS = envfloat("LOADER_RETRY_SECONDS", 30.0, minimum=0.0)
ARTWORK_DIR = DATA_DIR / "artwork"

# --- auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", 300, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# A bearer token that may read /metrics and nothing else (for Prometheus); or METRICS_TOKEN_FILE.
METRICS_TOKEN = envstr("METRICS_TOKEN")
if METRICS_TOKEN is not None and len(METRICS_TOKEN) < 16:
    raise SettingsError("METRICS_TOKEN: use at least 16 characters (e.g. openssl rand -hex 24)")

# Request bodies: JSON only, this large and this deeply nested at most (413 / 400 past it).
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 1_048_576, minimum=1024)
API_MAX_JSON_DEPTH = envint("API_MAX_JSON_DEPTH", 32, minimum=2)

# --- TLS -------------------------------------------------------------------------------------
# X-Forwarded-Proto is believed only from TRUSTED_PROXIES (the middleware drops it otherwise);
# a request that came in over TLS always gets Secure session and CSRF cookies, and HSTS
# (which SecurityMiddleware only ever sends on TLS responses).
HTTPS = envbool("HTTPS", False)
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS or TRUSTED_PROXIES:
    SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", True)
if HTTPS:  # served over TLS only: cookies never go out in clear, plain http is redirected
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Health, readiness and metrics are polled over plain HTTP on the loopback/cluster network.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that anonymous requests get 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalog.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "catalog.api.backends.SearchFilter",
        "catalog.api.backends.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["catalog.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "catalog.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "catalog.api.schema.ApiAutoSchema",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
    "EXCEPTION_HANDLER": "catalog.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",  # the API reads JSON only
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mediasync API",
    "DESCRIPTION": "Keep a TV catalog in step with TVMaze, TMDB, Plex and Sonarr.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["catalog.api.permissions.RolePermission"],
    # Several models have a ``status`` with choices of their own: each set gets its name.
    "ENUM_NAME_OVERRIDES": {"DecisionStatusEnum": "catalog.models.decisions.Decision.Status"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- logging -------------------------------------------------------------------------------
LOG_LEVEL = envchoice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical"))
LOG_FORMAT = envchoice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "mediasync.logging.ScrubSecretsFilter"}},
    "formatters": {
        "text": {"()": "mediasync.logging.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "mediasync.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["scrub"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "django": {"level": "INFO", "propagate": True},
        "urllib3": {"level": "WARNING"},
    },
}

AUTHENTICATION_BACKENDS = ["catalog.auth.throttle.ThrottledModelBackend"]
