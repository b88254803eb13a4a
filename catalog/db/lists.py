"""A list of values bound as one parameter, for ``field__in=one_of(values)``.

Django binds ``pk__in=[…]`` as one parameter per value and prepares each value in Python
first: a page writer asking about 250 shows pays for that on every page, and PostgreSQL
parses a statement whose text changes with the list's length. One JSON text (SQLite's
``json_each``) or one array (PostgreSQL's ``unnest``) is one parameter whatever the length.
On PostgreSQL the array goes as its text form, cast in the statement: Django binds
client-side, and psycopg quotes a Python list element by element in Python (a page writer's
lookups spent more time there than in the rest of the page's queries together).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models.expressions import RawSQL

__all__ = ["db_datetime", "one_of"]


def one_of(values: Collection[int] | Collection[str]) -> RawSQL:
    """The values as a one-column subquery: ints or strings, never a mix."""
    values = list(values)
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [orjson.dumps(values).decode()])
    if values and isinstance(values[0], str):
        return RawSQL("SELECT jsonb_array_elements_text(%s::jsonb)",
                      [orjson.dumps(values).decode()])
    text = ",".join(map(str, map(int, values)))
    return RawSQL("SELECT unnest(%s::bigint[])", ["{" + text + "}"])


def db_datetime(value: Any) -> datetime | None:
    """A datetime column's value read with a raw cursor, as the ORM would give it: SQLite
    hands back naive UTC (parsed by Django's converter), PostgreSQL an aware datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
