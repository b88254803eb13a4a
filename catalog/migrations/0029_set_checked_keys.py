"""On PostgreSQL, the foreign keys of the two tables written in bulk (decisions, media items)
are checked once per statement instead of once per row.

A foreign key checks each inserted row with a query of its own at commit (``SELECT 1 FROM
parent WHERE id = $1 FOR KEY SHARE``): a refilter writing 300,000 decisions used 6.8-6.9 s of
the server's CPU with them and 4.6-5.2 s with these checks (docs/benchmarks.md), and a Plex
ingest is written the same way. The triggers below keep the same promise with one query per
statement:

- a statement that inserts rows locks every parent they name, as the key would
  (``FOR KEY SHARE``: a concurrent delete of the parent waits for this transaction), and
  fails with ``foreign_key_violation`` if one is missing: the whole statement is undone;
- a row whose key is changed is checked the same way, row by row (rare);
- a parent deleted (or its id changed) while rows still name it fails the transaction at
  its end, as the deferred key did; Django's deletes remove the rows first (``CASCADE``);
- a parent table truncated without the child fails too (``TRUNCATE … CASCADE`` does not
  reach these children: it fails rather than empties them).

Where they differ from a foreign key:
- a row is checked when its statement ends, not at commit: a parent written after its rows
  in one transaction is refused (``loaddata`` writes parents first: the models' order);
- a delete or truncate of a parent at REPEATABLE READ or SERIALIZABLE is refused (the check
  reads the transaction's snapshot there, and would miss a row committed since);
- ``ALTER TABLE … DISABLE TRIGGER USER`` turns them off, where a foreign key's triggers stay;
- a migration that changes one of these columns' types must drop and re-create them
  (PostgreSQL refuses to alter a column a trigger's condition reads);
- a data-only restore into a migrated database fails: pg_dump orders the tables' data by
  name when no foreign key ties them (a full restore creates the triggers after the data).

The models keep their ``ForeignKey`` (joins, cascades, and SQLite, whose keys cost little,
keep the constraint). ``tests/catalog/test_set_checked_keys.py`` holds each promise, and
that the constraints stay replaced. The functions name every table with its schema and read
``ONLY`` it, and resolve everything else in pg_catalog: no temporary or inheriting table,
and no function a user defined, stands in for what they check.
"""

from __future__ import annotations

from django.db import migrations

# (child model, its key field)
KEYS = [("Decision", "show"), ("Decision", "rule"), ("MediaItem", "library"),
        ("MediaItem", "plex_show")]


def _names(apps, model_name: str, field_name: str, cursor) -> dict[str, str]:
    """The names the SQL uses: tables and functions qualified by the schema each table is
    in (as the migration's connection finds it), so that no search path steers them."""
    field = apps.get_model("catalog", model_name)._meta.get_field(field_name)
    child, parent = field.model._meta.db_table, field.related_model._meta.db_table
    qualified = {}
    for table in (child, parent):
        cursor.execute("SELECT quote_ident(n.nspname), quote_ident(c.relname) FROM pg_class c "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.oid = to_regclass(%s)", [table])
        qualified[table] = cursor.fetchone()
    base = f"{child}_{field.column}_key"
    return {"child": child, "column": field.column, "parent": parent,
            "pk": field.target_field.column, "base": base,
            "child_q": ".".join(qualified[child]), "parent_q": ".".join(qualified[parent]),
            "fn": f"{qualified[child][0]}.{base}"}


def _forward_sql(n: dict[str, str]) -> list[str]:
    child, column, parent, pk, base = (n["child"], n["column"], n["parent"], n["pk"],
                                       n["base"])
    child_q, parent_q, fn = n["child_q"], n["parent_q"], n["fn"]
    # Every table is named with its schema and read ``ONLY`` (no table that inherits it, a
    # temporary one included, stands in), and the functions resolve everything else in
    # pg_catalog alone: whatever the caller's path (pg_restore empties it), whatever a user
    # defined elsewhere (an exact ``count(bigint)`` would win over pg_catalog's).
    header = "RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS"
    fail = (f"RAISE EXCEPTION 'insert or update on table \"{child}\" violates foreign key "
            f"\"{base}\"' USING ERRCODE = 'foreign_key_violation', "
            f"DETAIL = 'a row names a missing {parent} row';")
    # At REPEATABLE READ or SERIALIZABLE the check would read the transaction's snapshot and
    # miss rows committed since: a delete or truncate of the parent there is refused.
    committed_only = (f"IF current_setting('transaction_isolation') <> 'read committed' THEN "
                      f"RAISE EXCEPTION 'rows of \"{parent}\" are deleted at READ COMMITTED "
                      f"only (\"{base}\")' USING ERRCODE = 'object_not_in_prerequisite_state'"
                      f"; END IF;")
    return [
        f"""CREATE FUNCTION {fn}_rows() {header} $$
DECLARE wanted bigint; found bigint;
BEGIN
  SELECT pg_catalog.count(DISTINCT {column}) INTO wanted FROM {base}_new;
  SELECT pg_catalog.count(*) INTO found FROM (
    SELECT 1 FROM ONLY {parent_q} p WHERE p.{pk} IN (SELECT {column} FROM {base}_new)
    FOR KEY SHARE OF p) locked;
  IF found < wanted THEN {fail} END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE TRIGGER {base}_inserted AFTER INSERT ON {child_q}
REFERENCING NEW TABLE AS {base}_new FOR EACH STATEMENT EXECUTE FUNCTION {fn}_rows()""",
        f"""CREATE FUNCTION {fn}_row() {header} $$
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM ONLY {parent_q} p WHERE p.{pk} = NEW.{column} FOR KEY SHARE OF p) THEN
    {fail}
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        # Every update (not only those naming the column: a BEFORE trigger may change the
        # key), called only for a key changed to a value (Django's SET_NULL names nothing).
        # The condition is resolved when the trigger is made: its operator is named.
        f"""CREATE TRIGGER {base}_changed AFTER UPDATE ON {child_q} FOR EACH ROW
WHEN (NEW.{column} IS NOT NULL
      AND (OLD.{column} IS NULL OR NEW.{column} OPERATOR(pg_catalog.<>) OLD.{column}))
EXECUTE FUNCTION {fn}_row()""",
        # A parent deleted and written again with its id (or its id set to itself) before
        # the end stands: its rows name a parent that exists, as for the deferred key.
        f"""CREATE FUNCTION {fn}_parent() {header} $$
BEGIN
  IF EXISTS (SELECT 1 FROM ONLY {child_q} c WHERE c.{column} = OLD.{pk})
      AND NOT EXISTS (SELECT 1 FROM ONLY {parent_q} p WHERE p.{pk} = OLD.{pk}) THEN
    RAISE EXCEPTION 'update or delete on table "{parent}" violates foreign key "{base}" on table "{child}"'
      USING ERRCODE = 'foreign_key_violation', DETAIL = 'rows of {child} still name it';
  END IF;
  {committed_only}
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE CONSTRAINT TRIGGER {base}_parent AFTER DELETE ON {parent_q}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {fn}_parent()""",
        # every update (a BEFORE trigger may change the id), queued only when it did
        f"""CREATE CONSTRAINT TRIGGER {base}_parent_id AFTER UPDATE ON {parent_q}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN (OLD.{pk} OPERATOR(pg_catalog.<>) NEW.{pk}) EXECUTE FUNCTION {fn}_parent()""",
        f"""CREATE FUNCTION {fn}_truncated() {header} $$
BEGIN
  {committed_only}
  IF EXISTS (SELECT 1 FROM ONLY {child_q}) THEN
    RAISE EXCEPTION 'cannot truncate "{parent}": rows of "{child}" name it (foreign key "{base}")'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE TRIGGER {base}_truncated AFTER TRUNCATE ON {parent_q}
FOR EACH STATEMENT EXECUTE FUNCTION {fn}_truncated()""",
    ]


def _backward_sql(n: dict[str, str]) -> list[str]:
    child_q, parent_q, base, fn = n["child_q"], n["parent_q"], n["base"], n["fn"]
    return [
        f"DROP TRIGGER {base}_truncated ON {parent_q}",
        f"DROP TRIGGER {base}_parent_id ON {parent_q}",
        f"DROP TRIGGER {base}_parent ON {parent_q}",
        f"DROP TRIGGER {base}_changed ON {child_q}",
        f"DROP TRIGGER {base}_inserted ON {child_q}",
        *(f"DROP FUNCTION {fn}_{part}()" for part in ("truncated", "parent", "row", "rows")),
    ]


def forward(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for model_name, field_name in KEYS:
        with connection.cursor() as cursor:
            n = _names(apps, model_name, field_name, cursor)
            found = connection.introspection.get_constraints(cursor, n["child"])
        for name, info in found.items():
            if info["foreign_key"] and info["columns"] == [n["column"]]:
                schema_editor.execute(f"ALTER TABLE {n['child_q']} DROP CONSTRAINT "
                                      f"{schema_editor.quote_name(name)}")
        for sql in _forward_sql(n):
            schema_editor.execute(sql)


def backward(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for model_name, field_name in KEYS:
        model = apps.get_model("catalog", model_name)
        field = model._meta.get_field(field_name)
        with connection.cursor() as cursor:
            n = _names(apps, model_name, field_name, cursor)
        for sql in _backward_sql(n):
            schema_editor.execute(sql)
        schema_editor.execute(schema_editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s"))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0028_item_fillfactor"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
