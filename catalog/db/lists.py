"""A list of values bound as one parameter, for ``field__in=one_of(values)``.

Django binds ``pk__in=[…]`` as one parameter per value and prepares each value in Python
first: a page writer asking about 250 shows pays for that on every page, and PostgreSQL
parses a statement whose text changes with the list's length. One JSON text (SQLite's
``json_each``) or one array (PostgreSQL's ``unnest``) is one parameter whatever the length.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson
from django.db import connection
from django.db.models.expressions import RawSQL

__all__ = ["one_of"]


def one_of(values: Collection[int] | Collection[str]) -> RawSQL:
    """The values as a one-column subquery: ints or strings, never a mix."""
    values = list(values)
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [orjson.dumps(values).decode()])
    kind = "text" if values and isinstance(values[0], str) else "bigint"
    return RawSQL(f"SELECT unnest(%s::{kind}[])", [values])  # noqa: S611
