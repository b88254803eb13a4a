"""WSGI entry point (gunicorn)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from mediasync.env import SettingsError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediasync.settings")
try:
    application = get_wsgi_application()
except SettingsError as exc:  # one clear line, not a traceback
    sys.stderr.write(f"configuration error: {exc}\n")
    raise SystemExit(2) from None
