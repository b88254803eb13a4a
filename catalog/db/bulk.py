"""One portable bulk upsert: ``INSERT … VALUES (…), (…) ON CONFLICT (…) DO UPDATE``.

Django's ``bulk_create(update_conflicts=True)`` prepares every value of every field in Python
(31 fields x 100,000 rows is three million calls); a sync writing whole pages needs only the
columns it owns. SQLite (>= 3.24) and PostgreSQL share this exact statement. Columns the
caller does not give are filled with the model's defaults on insert and left alone on update.

Rows go as multi-row statements of up to ``ROWS_PER_STATEMENT`` rows, not through a per-row
``executemany``: SQLite drops and re-takes the GIL around every row of an ``executemany``, so
a writer would queue behind the thread parsing the next page hundreds of times a page. One
statement per chunk releases the GIL once per chunk, and is about twice as fast on its own.
A writer that parses in its own thread can ask for ``rows_per_statement=1``: on SQLite one
single-row statement and one ``executemany`` for all its rows; on PostgreSQL one statement for
all of them, the rows bound as one JSON text written by orjson (``INSERT … SELECT … FROM
jsonb_array_elements(…)``; psycopg dumps an array element by element in Python, which cost
a 100,000-show mirror 3 s), or each column as one array (``unnest``) when a value has no
exact JSON form, so the server parses and plans it once. (Django's PostgreSQL connections
prepare nothing, so a single-row statement per row was parsed and planned for every row:
0.18 ms of the server's CPU a row, three to five times what the arrays cost.)

Defaults that are plain constants (NULL, numbers, booleans, simple text) are written into the
statement as literals rather than bound with every row: a wide table's defaults would
otherwise be most of the parameters.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

Adapter = Callable[[Any], Any]
POSTGRES_MAX_PARAMS = 65_535
# Large enough that SQLite works a while without the GIL; small enough that the statement's
# placeholder conversion stays cheap.
ROWS_PER_STATEMENT = 100


def _sqlite_datetime(value: datetime) -> Any:
    """SQLite stores naive UTC text; values from the clients are already UTC."""
    if value.tzinfo is UTC:  # str() of the naive value, without building it
        return value.isoformat(" ")[:-6]
    return connection.ops.adapt_datetimefield_value(value)


def _sqlite_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json_text(value: Any) -> str:
    """orjson where it can (the standard library's encoder is several times slower)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # e.g. an integer past 64 bits, which the standard library writes
        return json.dumps(value)


def _adapter(field: models.Field, db: BaseDatabaseWrapper) -> Adapter | None:
    """A cheap value adapter for the column, or None when the driver takes values as-is.
    ``db`` is the connection itself, not Django's per-thread proxy: a statement asks about
    every column of the table, and each proxied attribute is a thread-local lookup."""
    ops = db.ops
    sqlite = db.vendor == "sqlite"
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if sqlite else ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return str if sqlite else ops.adapt_datefield_value  # what Django does, one call less
    if isinstance(field, models.JSONField):
        if sqlite:
            return _sqlite_json
        if field.encoder is None:
            from psycopg.types.json import Jsonb  # here: SQLite processes never load psycopg

            return lambda value: Jsonb(value, dumps=_json_text)
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _defaults(model: type[models.Model], given: Sequence[str],
              db: BaseDatabaseWrapper) -> dict[str, Any]:
    """Values for the concrete non-null columns the caller left out (never the primary key)."""
    out: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given or field.null:
            continue
        value = field.get_default()
        if isinstance(field, models.JSONField) and value in ([], {}):
            out[field.column] = _json_text(value)  # written as a literal on both databases
            continue
        adapt = _adapter(field, db)
        if isinstance(value, (datetime, date)) and adapt is None:
            raise ValueError(f"{field.attname}: no adapter for its default")
        out[field.column] = adapt(value) if adapt else value
    return out


def _max_params() -> int:
    """Bound parameters per statement: SQLite's compile-time limit, PostgreSQL's protocol's."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return POSTGRES_MAX_PARAMS


def _literal(value: Any) -> str | None:
    """A default as SQL both databases read the same, or None to bind it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    plain = isinstance(value, str) and value.isascii() and (
        value in ("", "[]", "{}") or value.replace("_", "").replace("-", "").isalnum())
    if plain:  # no quote, percent sign or backslash to escape
        return f"'{value}'"
    return None


@dataclass(frozen=True, slots=True)
class _Statement:
    head: str  # INSERT INTO … VALUES
    row: str  # (%s, …, literal defaults) for one row
    tail: str  # ON CONFLICT … DO UPDATE SET …
    adapters: list[tuple[int, Adapter]]
    extra: tuple[Any, ...]  # constants and defaults bound with every row
    arrays: str = ""  # PostgreSQL: INSERT … SELECT … FROM unnest(one array per column)
    json: str = ""  # PostgreSQL: INSERT … SELECT … FROM jsonb_array_elements(the rows)
    floats: tuple[int, ...] = ()  # float columns: NaN and infinities have no JSON form

    def sql(self, rows: int) -> str:
        return self.head + ", ".join([self.row] * rows) + self.tail

    def one(self, row: Sequence[Any]) -> list[Any]:
        """One row's parameters."""
        values = [*row, *self.extra]
        for index, adapt in self.adapters:
            if values[index] is not None:
                values[index] = adapt(values[index])
        return values

    def columns(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Parameters of ``arrays``, in its order: the extras (in its select list), then
        each given column's values as one list (in its ``unnest``)."""
        lists = [list(values) for values in zip(*rows, strict=True)]
        for index, adapt in self.adapters:
            lists[index] = [None if v is None else adapt(v) for v in lists[index]]
        return [*self.extra, *lists]

    def json_rows(self, rows: Sequence[Sequence[Any]]) -> str | None:
        """The rows as one JSON array of arrays (orjson, in C), or None when a value has no
        exact JSON form (an integer past 64 bits, NaN, a type orjson does not write)."""
        for index in self.floats:
            if not all(v is None or math.isfinite(v) for v in (row[index] for row in rows)):
                return None
        try:
            return orjson.dumps(rows).decode()
        except TypeError:
            return None

    def params(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        flat: list[Any] = []
        for row in rows:
            values = list(row)
            for index, adapt in self.adapters:
                if values[index] is not None:
                    values[index] = adapt(values[index])
            flat += values
            flat += self.extra
        return flat


def _statement(model: type[models.Model], columns: Sequence[str], conflict: Sequence[str],
               update: Sequence[str], constants: Mapping[str, Any],
               keep: tuple[str, Sequence[str]] | None = None,
               newer: str | None = None) -> _Statement:
    meta = model._meta
    db = connections[DEFAULT_DB_ALIAS]
    fields = [meta.get_field(name) for name in columns]
    extra: dict[str, Any] = {}
    for name, value in constants.items():
        field = meta.get_field(name)
        adapt = _adapter(field, db)
        extra[field.column] = adapt(value) if adapt and value is not None else value
    literals: dict[str, str] = {}
    given = [f.attname for f in fields] + list(constants)
    for column, value in _defaults(model, given, db).items():
        literal = _literal(value)
        if literal is None:
            extra[column] = value
        else:
            literals[column] = literal
    qn = db.ops.quote_name
    names = [f.column for f in fields] + list(extra) + list(literals)
    column = lambda name: qn(meta.get_field(name).column)  # noqa: E731
    # Only quoted model identifiers are interpolated; every value is a bound parameter.
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(n) for n in names)}) VALUES "  # noqa: S608
    tail = (f" ON CONFLICT ({', '.join(column(c) for c in conflict)}) DO UPDATE SET "
            + ", ".join(f"{column(n)} = excluded.{column(n)}" for n in update))
    conditions = []
    if keep is not None:
        conditions.append(_keep_clause(qn(meta.db_table), column(keep[0]), keep[1]))
    if newer is not None:  # a stamp never moves backwards: an older write updates nothing
        stamp = f"{qn(meta.db_table)}.{column(newer)}"
        conditions.append(f"({stamp} IS NULL OR {stamp} <= excluded.{column(newer)})")
    if conditions:
        tail += " WHERE " + " AND ".join(conditions)
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f, db)) is not None]
    row = ", ".join(["%s"] * (len(fields) + len(extra)) + list(literals.values()))
    arrays = json = ""
    if connection.vendor == "postgresql":
        arrays = _arrays(model, fields, list(extra), list(literals.values()), names) + tail
        # A JSON column with its own encoder is written as that encoder writes it: arrays.
        if not any(isinstance(f, models.JSONField) and f.encoder for f in fields):
            json = _json(model, fields, list(extra), list(literals.values()), names) + tail
    floats = tuple(i for i, f in enumerate(fields) if isinstance(f, models.FloatField))
    return _Statement(head, f"({row})", tail, adapters, tuple(extra.values()), arrays, json,
                      floats)


def _cast(field: models.Field) -> str:
    """The type a value is cast to before it is stored: the column's, but text of any
    length for a ``varchar(n)`` (an explicit cast would cut a value too long without a word;
    the column's own assignment refuses it)."""
    return "varchar" if isinstance(field, models.CharField) else field.db_type(connection)


def _insert_select(model: type[models.Model], names: Sequence[str], selected: Sequence[str],
                   source: str) -> str:
    qn = connection.ops.quote_name
    # Only quoted model identifiers and the columns' own types are interpolated.
    return (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(n) for n in names)}) "  # noqa: S608
            f"SELECT {', '.join(selected)} FROM {source}")


def _extras(model: type[models.Model], extra: Sequence[str]) -> list[str]:
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [f"CAST(%s AS {_cast(by_column[c])})" for c in extra]


def _arrays(model: type[models.Model], fields: Sequence[models.Field], extra: Sequence[str],
            literals: Sequence[str], names: Sequence[str]) -> str:
    """``INSERT … SELECT`` of one row per array element: the given columns as arrays cast to
    their column's type, the extras as values bound once, the literal defaults as written."""
    selected = [f"v.c{i}" for i in range(len(fields))] + _extras(model, extra) + list(literals)
    unnest = ", ".join(f"CAST(%s AS {_cast(f)}[])" for f in fields)
    aliases = ", ".join(f"c{i}" for i in range(len(fields)))
    return _insert_select(model, names, selected, f"unnest({unnest}) AS v({aliases})")


def _json(model: type[models.Model], fields: Sequence[models.Field], extra: Sequence[str],
          literals: Sequence[str], names: Sequence[str]) -> str:
    """``INSERT … SELECT`` of one row per element of a JSON array of rows (one parameter after
    the extras), each value cast to its column's type by the server: the page is written
    by orjson in C, where psycopg dumps every element of every array in Python."""
    # A JSON column's None is SQL NULL, as Django stores it (JSON ``null`` would slip past
    # the column's NOT NULL), hence NULLIF.
    selected = [f"NULLIF(r.v->{i}, 'null'::jsonb)" if isinstance(f, models.JSONField)
                else f"CAST(r.v->>{i} AS {_cast(f)})" for i, f in enumerate(fields)]
    selected += _extras(model, extra) + list(literals)
    return _insert_select(model, names, selected,
                          "jsonb_array_elements(CAST(%s AS jsonb)) AS r(v) WHERE true")


def _keep_clause(table: str, column: str, values: Sequence[str]) -> str:
    """``WHERE`` that leaves a conflicting row alone when its column holds one of ``values``
    (code constants, checked to be plain identifiers before they are inlined)."""
    if not all(str(v).replace("_", "").isalnum() for v in values):
        raise ValueError("keep values must be plain identifiers")
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{table}.{column} NOT IN ({listed})"


def _one_statement(cursor: Any, statement: _Statement, rows: Sequence[Sequence[Any]]) -> None:
    """Every row in one go: on PostgreSQL one statement over the rows as one JSON text (or,
    when a value has no exact JSON form, over one array per column), bound server-side
    (Django's cursors bind client-side, quoting every value in Python); on SQLite a
    single-row statement for each row, in one ``executemany``."""
    if connection.vendor == "postgresql":
        import psycopg

        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
            if statement.json and (text := statement.json_rows(rows)) is not None:
                raw.execute(statement.json, [*statement.extra, text])
            else:
                raw.execute(statement.arrays, statement.columns(rows))
    else:
        _send(cursor, statement.sql(1), [statement.one(row) for row in rows], many=True)


def _send(cursor: Any, sql: str, params: Sequence[Any], *, many: bool = False) -> None:
    """Run one bulk statement. On SQLite the text goes to sqlite3 with its placeholders
    swapped once by ``str.replace`` (a bulk statement holds no other percent sign: values are
    bound, literals are plain), past Django's cursor, which rewrites them with a regex over
    the whole text at every call: 0.4 ms for a 100-row statement, 6% of a Plex first
    ingest's CPU. Errors, and the refusal inside a broken transaction, are still Django's. Such
    statements do not appear in Django's query log."""
    if connection.vendor != "sqlite":
        (cursor.executemany if many else cursor.execute)(sql, params)
        return
    run = sqlite3.Cursor.executemany if many else sqlite3.Cursor.execute
    connection.validate_no_broken_transaction()  # as Django's cursor does before a statement
    with connection.wrap_database_errors:
        run(cursor.cursor, sql.replace("%s", "?"), params)


def page_rows_per_statement() -> int:
    """``rows_per_statement`` for a page of rows written at once: on PostgreSQL one statement
    over the whole page (see ``_one_statement``: psycopg converts a long multi-row statement's
    placeholders in Python on every call, and the server parses and plans each one); on
    SQLite multi-row statements, which release the GIL once per chunk, not once per row."""
    return 1 if connection.vendor == "postgresql" else ROWS_PER_STATEMENT


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    constants: Mapping[str, Any] | None = None,
    keep: tuple[str, Sequence[str]] | None = None,
    newer: str | None = None,
    rows_per_statement: int = ROWS_PER_STATEMENT,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, by attname) or update the ``update``
    columns of the row that conflicts on ``conflict``; ``constants`` are columns with one
    value for every row (adapted once); with ``keep`` (a column and values), a conflicting
    row whose column holds one of them is left alone; with ``newer`` (a datetime column), a
    conflicting row
    whose stamp is later than the written one is left as it is. The rows must have distinct
    conflict keys, as one statement cannot update a row twice. Returns how many rows were sent."""
    if not rows:
        return 0
    statement = _statement(model, columns, conflict, update, constants or {}, keep, newer)
    width = len(columns) + len(statement.extra)
    size = max(1, min(rows_per_statement, _max_params() // width))
    whole = len(rows) - len(rows) % size
    with connection.cursor() as cursor:
        if size == 1:
            _one_statement(cursor, statement, rows)
        elif whole:  # one statement text for every full chunk: converted and prepared once
            _send(cursor, statement.sql(size), [
                statement.params(rows[i:i + size]) for i in range(0, whole, size)], many=True)
        if size > 1 and whole < len(rows):
            _send(cursor, statement.sql(len(rows) - whole), statement.params(rows[whole:]))
    return len(rows)


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    constants: Mapping[str, Any] | None = None,
    skip_conflicts: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order) with the model's defaults for the other
    columns, in statements of up to ``ROWS_PER_STATEMENT`` rows; returns the new primary
    keys in row order. With ``skip_conflicts``, a row that breaks a unique constraint is
    left out (``ON CONFLICT DO NOTHING``) and no keys are returned. Unlike ``bulk_create``,
    no model instance is built and no field prepares each value."""
    if not rows:
        return []
    statement = _statement(model, columns, (), (), constants or {})
    pk = connection.ops.quote_name(model._meta.pk.column)
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else f" RETURNING {pk}"
    width = len(columns) + len(statement.extra)
    size = max(1, min(ROWS_PER_STATEMENT, _max_params() // width))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            _send(cursor, statement.head + ", ".join([statement.row] * len(chunk)) + tail,
                  statement.params(chunk))
            if not skip_conflicts:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids
