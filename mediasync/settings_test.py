"""Test settings: the real settings plus sync-mode tasks and a fast hasher."""

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="mediasync-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# Each xdist worker has its own task queue, and so has every qcluster it starts (they inherit
# the environment): two workers' clusters on one Redis must not take each other's tasks. Set,
# not defaulted: the workers inherit the environment of the controller, which loads this too.
os.environ["Q_CLUSTER_NAME"] = f"mediasync-test-{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"

from mediasync.settings import *  # noqa: F403
from mediasync.settings import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
TVMAZE_RATE_CALLS = 0
TMDB_RATE_CALLS = 0
HTTP_MAX_RETRIES = 2
LOADER_RETRY_SECONDS = 0.0
# Loaders start only where a test points the upstreams at the fakes (see tests/catalog/loading).
LOADER_CONCURRENCY = 0

# Each xdist worker gets its own Redis cache database so that clearing it is safe; without
# Redis the cache is per process (tests run in one process per worker).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:  # noqa: F405
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    from urllib.parse import urlsplit

    # The databases after REDIS_URL's own (…/10 -> 11, 12): parallel suites stay apart.
    _parts = urlsplit(REDIS_URL)  # noqa: F405
    _base = int(_parts.path.strip("/") or 0) if _parts.path.strip("/").isdigit() else 0
    _location = _parts._replace(path=f"/{_base + 1 + int(_worker)}").geturl()
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _location}}
# A file, not memory, so that a real qcluster subprocess can share the test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(DATA_DIR, "test.sqlite3")}  # noqa: F405
# No heartbeat threads unless a test (or a subprocess it starts) asks for them.
RUN_HEARTBEAT_SECONDS = float(os.environ.get("RUN_HEARTBEAT_SECONDS", "0"))
