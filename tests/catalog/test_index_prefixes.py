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
            # PostgreSQL's ``…_like`` twins (Django's, for text columns) serve LIKE, not
            # equality: another operator class on the same columns.
            indexes = {name: tuple(c["columns"]) for name, c in found.items()
                       if c["index"] and not c["unique"] and not c["primary_key"]
                       and not name.endswith("_like")}
            keys = {name: tuple(c["columns"]) for name, c in found.items()
                    if c["index"] or c["unique"] or c["primary_key"]}
            for name, columns in indexes.items():
                for other, longer in keys.items():
                    if other != name and len(longer) >= len(columns) \
                            and longer[:len(columns)] == columns:
                        redundant.append(f"{table}: {name} {columns} is a prefix of {other}")
    assert redundant == []


@pytest.mark.django_db
def test_every_index_the_models_declare_exists_in_the_database():
    """Migration 0021 rebuilt the decisions' table on SQLite from the models' state and lost
    an index created in SQL: the state said it was there."""
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("catalog").get_models():
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            missing += [f"{model._meta.db_table}.{index.name}" for index in model._meta.indexes
                        if index.name not in found]
    assert missing == []
