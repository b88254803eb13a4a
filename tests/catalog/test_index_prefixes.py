"""No index is a prefix of another on the same table: each write pays for every index, and
the longer one serves every lookup the shorter one would."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection


@pytest.mark.django_db
def test_no_index_repeats_the_leading_columns_of_another():
    redundant = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("catalog").get_models():
            table = model._meta.db_table
            found = connection.introspection.get_constraints(cursor, table)
            indexes = {name: tuple(c["columns"]) for name, c in found.items()
                       if c["index"] and not c["unique"] and not c["primary_key"]}
            keys = {name: tuple(c["columns"]) for name, c in found.items()
                    if c["index"] or c["unique"] or c["primary_key"]}
            for name, columns in indexes.items():
                for other, longer in keys.items():
                    if other != name and len(longer) > len(columns) \
                            and longer[:len(columns)] == columns:
                        redundant.append(f"{table}: {name} {columns} is a prefix of {other}")
    assert redundant == []
