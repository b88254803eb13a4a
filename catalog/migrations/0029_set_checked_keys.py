"""On PostgreSQL, the foreign keys of the two tables written in bulk (decisions, media items)
are checked once per statement instead of once per row.

A foreign key checks each inserted row with a query of its own at commit (``SELECT 1 FROM
parent WHERE id = $1 FOR KEY SHARE``): a refilter writing 300,000 decisions spent 3.3 of its
8.7 s of server CPU there, and a Plex ingest is written the same way. The triggers below keep
the same promise with one query per statement:

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
  (PostgreSQL refuses to alter a column a trigger's condition reads).

The models keep their ``ForeignKey`` (joins, cascades, and SQLite, whose keys cost little,
keep the constraint). ``tests/catalog/test_set_checked_keys.py`` holds each promise, and
that the constraints stay replaced. The functions search the app's schema, then temporary
tables: a temporary table named like one of ours cannot stand in for it.
"""

from __future__ import annotations

from django.db import migrations

# (child model, its key field)
KEYS = [("Decision", "show"), ("Decision", "rule"), ("MediaItem", "library"),
        ("MediaItem", "plex_show")]


def _names(apps, model_name: str, field_name: str, schema: str) -> dict[str, str]:
    field = apps.get_model("catalog", model_name)._meta.get_field(field_name)
    child, parent = field.model._meta.db_table, field.related_model._meta.db_table
    base = f"{child}_{field.column}_key"
    return {"child": child, "column": field.column, "parent": parent,
            "pk": field.target_field.column, "base": base, "schema": schema}


def _forward_sql(n: dict[str, str]) -> list[str]:
    child, column, parent, pk, base = (n["child"], n["column"], n["parent"], n["pk"],
                                       n["base"])
    # The tables of the schema the app uses, whatever the caller's path (pg_restore empties
    # it): temporary tables last, so that none stands in for the parent or the child.
    header = f"RETURNS trigger LANGUAGE plpgsql SET search_path = {n['schema']}, pg_temp AS"
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
        f"""CREATE FUNCTION {base}_rows() {header} $$
DECLARE wanted bigint; found bigint;
BEGIN
  SELECT count(DISTINCT {column}) INTO wanted FROM {base}_new;
  SELECT count(*) INTO found FROM (
    SELECT 1 FROM {parent} p WHERE p.{pk} IN (SELECT {column} FROM {base}_new)
    FOR KEY SHARE OF p) locked;
  IF found < wanted THEN {fail} END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE TRIGGER {base}_inserted AFTER INSERT ON {child}
REFERENCING NEW TABLE AS {base}_new FOR EACH STATEMENT EXECUTE FUNCTION {base}_rows()""",
        f"""CREATE FUNCTION {base}_row() {header} $$
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM {parent} p WHERE p.{pk} = NEW.{column} FOR KEY SHARE OF p) THEN
    {fail}
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        # a key set to NULL (Django's SET_NULL) names nothing: not even a call
        f"""CREATE TRIGGER {base}_changed AFTER UPDATE OF {column} ON {child}
FOR EACH ROW WHEN (NEW.{column} IS DISTINCT FROM OLD.{column} AND NEW.{column} IS NOT NULL)
EXECUTE FUNCTION {base}_row()""",
        # A parent deleted and written again with its id (or its id set to itself) before
        # the end stands: its rows name a parent that exists, as for the deferred key.
        f"""CREATE FUNCTION {base}_parent() {header} $$
BEGIN
  IF EXISTS (SELECT 1 FROM {child} c WHERE c.{column} = OLD.{pk})
      AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{pk} = OLD.{pk}) THEN
    RAISE EXCEPTION 'update or delete on table \"{parent}\" violates foreign key \"{base}\" on table \"{child}\"'
      USING ERRCODE = 'foreign_key_violation', DETAIL = 'rows of {child} still name it';
  END IF;
  {committed_only}
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE CONSTRAINT TRIGGER {base}_parent AFTER DELETE OR UPDATE OF {pk} ON {parent}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {base}_parent()""",
        f"""CREATE FUNCTION {base}_truncated() {header} $$
BEGIN
  {committed_only}
  IF EXISTS (SELECT 1 FROM {child}) THEN
    RAISE EXCEPTION 'cannot truncate \"{parent}\": rows of \"{child}\" name it'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - names from the models, no input
        f"""CREATE TRIGGER {base}_truncated AFTER TRUNCATE ON {parent}
FOR EACH STATEMENT EXECUTE FUNCTION {base}_truncated()""",
    ]


def _backward_sql(n: dict[str, str]) -> list[str]:
    child, parent, base = n["child"], n["parent"], n["base"]
    return [
        f"DROP TRIGGER {base}_truncated ON {parent}",
        f"DROP TRIGGER {base}_parent ON {parent}",
        f"DROP TRIGGER {base}_changed ON {child}",
        f"DROP TRIGGER {base}_inserted ON {child}",
        *(f"DROP FUNCTION {base}_{part}()" for part in ("truncated", "parent", "row", "rows")),
    ]


def forward(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    for model_name, field_name in KEYS:
        n = _names(apps, model_name, field_name, schema)
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, n["child"])
        for name, info in found.items():
            if info["foreign_key"] and info["columns"] == [n["column"]]:
                schema_editor.execute(f"ALTER TABLE {n['child']} DROP CONSTRAINT "
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
        for sql in _backward_sql(_names(apps, model_name, field_name, "")):
            schema_editor.execute(sql)
        schema_editor.execute(schema_editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s"))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0028_item_fillfactor"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
