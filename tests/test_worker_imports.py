"""A process that never loads the URLs (a worker, the listener, a command) does not import
the admin's ModelAdmins: the admin app runs without autodiscovery and ``urls.py`` discovers
them for the web process (7 MB and 166 modules less in each such process)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys, django
django.setup()
print("catalog.admin" in sys.modules)
from django.urls import resolve
resolve("/admin/")
from catalog.admin import site
print("catalog.admin.shows" in sys.modules, len(site._registry) > 10)
"""


def test_setup_leaves_the_admin_to_the_url_conf(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mediasync.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,  # noqa: S603
                         text=True, check=True, timeout=120).stdout.split()
    assert out == ["False", "True", "True"]


LEAN = """
import sys, django
django.setup()
print("rest_framework.fields" in sys.modules, "psycopg" in sys.modules)
from django.urls import resolve
resolve("/api/shows/")  # the URL conf loads the API, as in the web process
from rest_framework import serializers
print(serializers.ModelSerializer.serializer_field_mapping[django.db.models.IntegerField]
      .__name__ == "StrictIntegerField")
"""


def test_setup_on_sqlite_loads_neither_drf_nor_psycopg_and_the_api_keeps_its_strict_fields(
        tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mediasync.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", LEAN], env=env, capture_output=True,  # noqa: S603
                         text=True, check=True, timeout=120).stdout.split()
    assert out == ["False", "False", "True"]
