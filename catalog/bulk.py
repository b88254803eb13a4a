"""One portable bulk upsert: ``INSERT … ON CONFLICT (…) DO UPDATE`` through ``executemany``.

Django's ``bulk_create(update_conflicts=True)`` prepares every value of every field in Python
(31 fields x 100,000 rows is three million calls); a sync writing whole pages needs only the
columns it owns. SQLite (>= 3.24) and PostgreSQL share this exact statement. Columns the
caller does not give are filled with the model's defaults on insert and left alone on update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from django.db import connection, models

Adapter = Callable[[Any], Any]


def _sqlite_datetime(value: datetime) -> Any:
    """SQLite stores naive UTC text; values from the clients are already UTC."""
    if value.tzinfo is UTC:
        return str(value.replace(tzinfo=None))
    return connection.ops.adapt_datetimefield_value(value)


def _sqlite_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _adapter(field: models.Field) -> Adapter | None:
    """A cheap value adapter for the column, or None when the driver takes values as-is."""
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if sqlite else ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return _sqlite_json if sqlite else lambda value: field.get_db_prep_save(value, connection)
    return None


def _defaults(model: type[models.Model], given: Sequence[str]) -> dict[str, Any]:
    """Values for the concrete non-null columns the caller left out (never the primary key)."""
    out: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given or field.null:
            continue
        value = field.get_default()
        adapt = _adapter(field)
        if isinstance(value, (datetime, date)) and adapt is None:
            raise ValueError(f"{field.attname}: no adapter for its default")
        out[field.column] = adapt(value) if adapt else value
    return out


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, by attname) or update ``update`` columns
    of the row that conflicts on ``conflict``. ``constants`` are columns with one value for
    every row (adapted once). Returns how many rows were sent."""
    if not rows:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f)) is not None]
    constants = constants or {}
    extra = {}
    for name, value in constants.items():
        field = meta.get_field(name)
        adapt = _adapter(field)
        extra[field.column] = adapt(value) if adapt and value is not None else value
    extra.update(_defaults(model, [f.attname for f in fields] + list(constants)))
    qn = connection.ops.quote_name
    names = [f.column for f in fields] + list(extra)
    placeholders = ", ".join(["%s"] * len(names))
    assignments = ", ".join(
        f"{qn(meta.get_field(n).column)} = excluded.{qn(meta.get_field(n).column)}"
        for n in update
    )
    # Only quoted model identifiers are interpolated; every value is a bound parameter.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(n) for n in names)}) "  # noqa: S608
        f"VALUES ({placeholders}) ON CONFLICT "
        f"({', '.join(qn(meta.get_field(c).column) for c in conflict)}) "
        f"DO UPDATE SET {assignments}"
    )
    tail = tuple(extra.values())
    prepared = []
    for row in rows:
        values = list(row)
        for index, adapt in adapters:
            if values[index] is not None:
                values[index] = adapt(values[index])
        prepared.append((*values, *tail))
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
    return len(prepared)
