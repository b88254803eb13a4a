"""Test settings: the real settings plus sync-mode tasks and a fast hasher."""

import os
import tempfile

os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="mediasync-test-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from mediasync.settings import *  # noqa: E402,F403
from mediasync.settings import Q_CLUSTER  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
TVMAZE_RATE_CALLS = 0
TMDB_RATE_CALLS = 0
HTTP_MAX_RETRIES = 2
