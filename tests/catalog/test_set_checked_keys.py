"""The keys of decisions and media items hold on both databases: SQLite's foreign keys, and on
PostgreSQL the statement-level checks of migration 0029 that replace them. Each promise of a
foreign key is tried: a row naming a missing parent, a key changed to one, a parent deleted
or truncated under its rows, and both orders of a delete racing an insert, each held open at
a known point."""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models.base import ModelState

from catalog.models import Decision, DiscoveryRule, MediaItem
from tests.factories import DecisionFactory, MediaItemFactory

pytestmark = pytest.mark.django_db(transaction=True)
KEY_ERROR = "(?i)foreign key"  # SQLite's constraint and the checks' own message


def _refused():
    """An IntegrityError about a key (not, say, a unique constraint hit first)."""
    return pytest.raises(IntegrityError, match=KEY_ERROR)


@dataclass(frozen=True)
class Key:
    model: type[models.Model]
    field: str
    make: Callable[[], models.Model]

    @property
    def column(self) -> str:
        return self.model._meta.get_field(self.field).column

    @property
    def parent(self) -> type[models.Model]:
        return self.model._meta.get_field(self.field).related_model

    def __str__(self) -> str:
        return f"{self.model.__name__}.{self.field}"


KEYS = [Key(Decision, "show", DecisionFactory), Key(Decision, "rule", DecisionFactory),
        Key(MediaItem, "library", MediaItemFactory),
        Key(MediaItem, "plex_show", MediaItemFactory)]


def _missing(key: Key) -> int:
    return (key.parent.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1000


COPIES = itertools.count(1)


def _copy(row: models.Model, **changes) -> models.Model:
    """An unsaved row like ``row`` (its unique keys moved on), with ``changes``."""
    clone = copy.copy(row)
    clone.pk, clone._state = None, ModelState()
    if isinstance(clone, MediaItem):
        clone.rating_key = f"{clone.rating_key}-{next(COPIES)}"
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def _delete_raw(model: type[models.Model], pk: int) -> None:
    """A DELETE that bypasses Django's collector (no cascade in Python)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608


def _template(key: Key, row: models.Model) -> models.Model:
    """A copy of ``row`` to insert again later, its other nullable keys cleared: their
    parents may go with ``_detach``."""
    others = {f"{f.name}_id": None for f in key.model._meta.concrete_fields
              if f.is_relation and f.null and f.name != key.field}
    return _copy(row, **others)


def _detach(key: Key, parent_id: int) -> None:
    """Remove (through Django) every other row that names the parent, so that only rows
    of ``key`` can stand in the way of deleting it."""
    for rel in key.parent._meta.related_objects:
        if rel.field.model is key.model and rel.field.name == key.field:
            continue
        rel.related_model.objects.filter(**{f"{rel.field.name}_id": parent_id}).delete()


@pytest.fixture(params=KEYS, ids=str)
def key(request) -> Key:
    return request.param


def test_a_row_naming_a_missing_parent_is_refused_and_nothing_is_written(key):
    row = key.make()
    before = key.model.objects.count()
    good = _copy(row)
    bad = _copy(row, **{f"{key.field}_id": _missing(key)})
    if key.model is Decision:  # the (rule, show) pair must stay unique
        good.rule = type(row.rule).objects.create(name="other", server=row.rule.server,
                                                  root_folder="/tv", quality_profile="Any")
    with _refused(), transaction.atomic():
        key.model.objects.bulk_create([good, bad])
    assert key.model.objects.count() == before


def test_a_key_changed_to_a_missing_parent_is_refused(key):
    row = key.make()
    with _refused(), transaction.atomic():
        key.model.objects.filter(pk=row.pk).update(**{f"{key.field}_id": _missing(key)})
    assert getattr(key.model.objects.get(pk=row.pk), f"{key.field}_id") == \
        getattr(row, f"{key.field}_id")


def test_a_key_changed_to_another_parent_that_exists_is_kept(key):
    row = key.make()
    other = getattr(key.make(), f"{key.field}_id")
    with transaction.atomic():
        key.model.objects.filter(pk=row.pk).update(**{f"{key.field}_id": other})
    assert getattr(key.model.objects.get(pk=row.pk), f"{key.field}_id") == other


def test_a_parent_deleted_under_its_rows_fails_its_transaction(key):
    row = key.make()
    parent_id = getattr(row, f"{key.field}_id")
    _detach(key, parent_id)
    with _refused(), transaction.atomic():
        _delete_raw(key.parent, parent_id)
    assert key.parent.objects.filter(pk=parent_id).exists()
    assert key.model.objects.filter(pk=row.pk).exists()


def test_a_parent_deleted_through_django_takes_its_rows_as_the_model_says(key):
    row = key.make()
    parent = getattr(row, key.field)
    with transaction.atomic():
        parent.delete()
    if key.model._meta.get_field(key.field).remote_field.on_delete is models.SET_NULL:
        assert getattr(key.model.objects.get(pk=row.pk), f"{key.field}_id") is None
    else:
        assert not key.model.objects.filter(pk=row.pk).exists()


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("statement-level checks and row locks: PostgreSQL only")


def test_the_per_row_foreign_keys_stay_replaced(postgres):
    with connection.cursor() as cursor:
        constraints = {k.model: connection.introspection.get_constraints(
            cursor, k.model._meta.db_table) for k in KEYS}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {name for (name,) in cursor.fetchall()}
    for k in KEYS:
        named = [name for name, c in constraints[k.model].items()
                 if c["foreign_key"] and c["columns"] == [k.column]]
        assert named == [], f"{k}: a per-row foreign key is back ({named})"
        base = f"{k.model._meta.db_table}_{k.column}_key"
        assert {f"{base}_{part}" for part in ("inserted", "changed", "parent", "parent_id",
                                             "truncated")} \
            <= triggers


def test_a_parent_table_truncated_alone_is_refused(postgres, key):
    key.make()
    table = connection.ops.quote_name(key.parent._meta.db_table)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        # CASCADE empties the tables real keys tie to it; ours is not one of them
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert key.model.objects.exists()


class Held(threading.Thread):
    """Runs ``work`` in a transaction of its own connection and holds it open until
    released: the other side acts at that instant, by construction."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.work, self.ready, self.release = work, threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.work()
                self.ready.set()
                self.release.wait(30)
        except BaseException as exc:  # handed to the test
            self.error = exc
        finally:
            self.ready.set()
            connection.close()

    def finish(self) -> BaseException | None:
        self.release.set()
        self.join(30)
        return self.error


def _lone_parent(key: Key) -> tuple[int, models.Model]:
    """A parent nothing names, and an unsaved row that would name it."""
    row = key.make()
    parent_id = getattr(row, f"{key.field}_id")
    template = _template(key, row)
    _detach(key, parent_id)
    key.model.objects.filter(pk=row.pk).delete()
    return parent_id, template


def _with_lock_timeout(work: Callable[[], None]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '300ms'")
        work()


def test_a_delete_waits_for_an_insert_naming_its_parent_then_fails(postgres, key):
    parent_id, template = _lone_parent(key)
    held = Held(lambda: _copy(template).save())
    held.start()
    assert held.ready.wait(30) and held.error is None
    with pytest.raises(OperationalError, match="lock timeout"):  # it waits for the insert
        _with_lock_timeout(lambda: _delete_raw(key.parent, parent_id))
    assert held.finish() is None
    with _refused(), transaction.atomic():  # the row it inserted names it
        _delete_raw(key.parent, parent_id)
    assert key.model.objects.filter(**{f"{key.field}_id": parent_id}).count() == 1


def test_an_insert_waits_for_a_delete_of_its_parent_then_fails(postgres, key):
    parent_id, template = _lone_parent(key)
    held = Held(lambda: _delete_raw(key.parent, parent_id))
    held.start()
    assert held.ready.wait(30) and held.error is None
    with pytest.raises(OperationalError, match="lock timeout"):  # it waits for the delete
        _with_lock_timeout(lambda: _copy(template).save())
    assert held.finish() is None
    with _refused(), transaction.atomic():
        _copy(template).save()
    assert not key.model.objects.filter(**{f"{key.field}_id": parent_id}).exists()


def _qualified(model: type[models.Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    return f"{schema}.{connection.ops.quote_name(model._meta.db_table)}"


def test_a_temporary_table_named_like_the_parent_does_not_stand_in_for_it(postgres, key):
    row = key.make()
    missing = _missing(key)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {key.parent._meta.db_table} (id bigint) "
                       "ON COMMIT DROP")
        cursor.execute(f"INSERT INTO {key.parent._meta.db_table} VALUES (%s)",  # noqa: S608
                       [missing])
        _copy(row, **{f"{key.field}_id": missing}).save()
    assert not key.model.objects.filter(**{f"{key.field}_id": missing}).exists()


def test_a_temporary_table_named_like_the_child_does_not_hide_its_rows(postgres, key):
    row = key.make()
    parent_id = getattr(row, f"{key.field}_id")
    _detach(key, parent_id)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {key.model._meta.db_table} "
                       f"({key.column} bigint) ON COMMIT DROP")
        _delete_raw(key.parent, parent_id)
    assert key.parent.objects.filter(pk=parent_id).exists()


def test_the_checks_hold_with_an_empty_search_path(postgres, key):
    """pg_restore runs with an empty path: the checks find their tables all the same."""
    row = key.make()
    table, missing = _qualified(key.model), _missing(key)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path = ''")
        cursor.execute(f"UPDATE {table} SET {key.column} = %s WHERE id = %s",  # noqa: S608
                       [missing, row.pk])
    other = getattr(key.make(), f"{key.field}_id")  # a parent that exists
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path = ''")
        cursor.execute(f"UPDATE {table} SET {key.column} = %s WHERE id = %s",  # noqa: S608
                       [other, row.pk])
    assert getattr(key.model.objects.get(pk=row.pk), f"{key.field}_id") == other


def test_a_parent_deleted_at_repeatable_read_is_refused_even_if_no_row_is_seen(postgres, key):
    """A delete at REPEATABLE READ reads its snapshot: a row inserted and committed since
    would be missed (a foreign key would see it). Refused, whatever it sees."""
    parent_id, template = _lone_parent(key)
    with pytest.raises(OperationalError, match="READ COMMITTED"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT 1")  # the snapshot is taken here
        inserter = Held(lambda: _copy(template).save())  # commits a row naming the parent
        inserter.start()
        assert inserter.ready.wait(30) and inserter.finish() is None
        _delete_raw(key.parent, parent_id)
    assert key.parent.objects.filter(pk=parent_id).exists()
    assert key.model.objects.filter(**{f"{key.field}_id": parent_id}).count() == 1


def test_a_parent_deleted_and_written_again_with_its_id_keeps_its_rows(postgres, key):
    row = key.make()
    parent = key.parent.objects.get(pk=getattr(row, f"{key.field}_id"))
    table = connection.ops.quote_name(key.parent._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [parent.pk])  # noqa: S608
        _delete_raw(key.parent, parent.pk)
        parent.save(force_insert=True)
    assert key.model.objects.filter(pk=row.pk).exists()


def test_keys_set_to_null_do_not_call_the_row_check(postgres):
    """Django's SET_NULL (a Plex show deleted) updates every item of the show: a NULL names
    nothing, and the check is not even called (it cost 4.6 s against 2.8 s for 200,000)."""
    item = MediaItemFactory()
    MediaItemFactory(plex_show=item.plex_show)
    table = connection.ops.quote_name(MediaItem._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) UPDATE {table} "  # noqa: S608
                       "SET plex_show_id = NULL WHERE plex_show_id = %s", [item.plex_show_id])
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    assert plan[0]["Plan"]["Plans"][0]["Actual Rows"] == 2  # both items were updated
    called = [t for t in plan[0].get("Triggers", []) if "_key_" in t["Trigger Name"]]
    assert [t for t in called if t["Calls"]] == []


def test_a_table_inheriting_the_parent_does_not_stand_in_for_it(postgres, key):
    row = key.make()
    missing = _missing(key)
    parent = connection.ops.quote_name(key.parent._meta.db_table)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE stand_in () INHERITS ({parent}) ON COMMIT DROP")
        cursor.execute(f"INSERT INTO stand_in SELECT * FROM {parent} WHERE id = %s",  # noqa: S608
                       [getattr(row, f"{key.field}_id")])
        cursor.execute("UPDATE stand_in SET id = %s", [missing])
        _copy(row, **{f"{key.field}_id": missing}).save()
    assert not key.model.objects.filter(**{f"{key.field}_id": missing}).exists()


def test_a_count_defined_in_the_public_schema_does_not_blind_the_check(postgres, key):
    """An exact ``count(bigint)`` wins over pg_catalog's ``count("any")`` wherever it sits
    on the path: the checks call pg_catalog's by name."""
    row = key.make()
    connection.close()  # a new session: the check is planned with the aggregate defined
    missing = _missing(key)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION public.zero(bigint, bigint) RETURNS bigint "
                       "LANGUAGE sql IMMUTABLE AS 'SELECT 0::bigint'")
        cursor.execute("CREATE AGGREGATE public.count(bigint) "
                       "(sfunc = public.zero, stype = bigint, initcond = '0')")
        _copy(row, **{f"{key.field}_id": missing}).save()
    assert not key.model.objects.filter(**{f"{key.field}_id": missing}).exists()


def test_a_key_changed_by_another_trigger_is_checked(postgres, key):
    """The update names another column; a BEFORE trigger moves the key: checked all the
    same, as a foreign key would."""
    row = key.make()
    missing = _missing(key)
    table = connection.ops.quote_name(key.model._meta.db_table)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE FUNCTION pg_temp.move_key() RETURNS trigger LANGUAGE plpgsql "
                       f"AS $$ BEGIN NEW.{key.column} := {missing}; RETURN NEW; END $$")
        cursor.execute(f"CREATE TRIGGER move_key BEFORE UPDATE ON {table} FOR EACH ROW "
                       "EXECUTE FUNCTION pg_temp.move_key()")
        column = "title" if key.model is MediaItem else "reason"  # not the key
        key.model.objects.filter(pk=row.pk).update(**{column: "moved"})
    assert getattr(key.model.objects.get(pk=row.pk), f"{key.field}_id") == \
        getattr(row, f"{key.field}_id")


def test_a_parent_id_changed_by_another_trigger_is_checked(postgres, key):
    row = key.make()
    parent_id = getattr(row, f"{key.field}_id")
    _detach(key, parent_id)
    table = connection.ops.quote_name(key.parent._meta.db_table)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION pg_temp.move_id() RETURNS trigger LANGUAGE plpgsql "
                       "AS $$ BEGIN NEW.id := NEW.id + 100000; RETURN NEW; END $$")
        cursor.execute(f"CREATE TRIGGER move_id BEFORE UPDATE ON {table} FOR EACH ROW "
                       "EXECUTE FUNCTION pg_temp.move_id()")
        column = "name" if key.parent is DiscoveryRule else "title"  # not the id
        cursor.execute(f"UPDATE {table} SET {column} = {column} WHERE id = %s",  # noqa: S608
                       [parent_id])
    assert key.parent.objects.filter(pk=parent_id).exists()


def test_the_update_conditions_use_pg_catalog_operators(postgres):
    """Resolved when the migration made them, on whatever path it ran with: a user's
    ``<>`` earlier on that path would have been built in. Each operator the stored
    conditions call is pg_catalog's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgqual FROM pg_trigger WHERE tgname LIKE %s "
                       "OR tgname LIKE %s", ["%\\_key\\_changed", "%\\_key\\_parent\\_id"])
        found = dict(cursor.fetchall())
        operators = {int(o) for qual in found.values() for o in re.findall(r":opno (\d+)", qual)}
        cursor.execute("SELECT oid::int FROM pg_operator WHERE oid = ANY(%s) "
                       "AND oprnamespace = 'pg_catalog'::regnamespace", [sorted(operators)])
        in_catalog = {row[0] for row in cursor.fetchall()}
    assert len(found) == 2 * len(KEYS) and operators
    assert operators == in_catalog
