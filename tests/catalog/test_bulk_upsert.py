"""``upsert(..., rows_per_statement=1)``: on PostgreSQL every row in one statement over arrays,
on SQLite one single-row statement per row. Whatever goes in comes back out unchanged, on
both, and a conflict updates only the columns it names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from catalog.db.bulk import upsert
from catalog.models import Show

COLUMNS = ["tvmaze_id", "title", "language", "premiered", "genres", "runtime", "rating",
           "tvmaze_updated_at"]
AWKWARD = ['{"a", b}', "back\\slash", "it's 100%", "NULL", "", " ", "Ōkami 東京 Ærø",
           "comma, {brace}", 'quote "q"', "tab\tnew\nline", "%s", "100%%s", "%(name)s", "?"]
STAMP = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
MADE = {"created_at": STAMP, "updated_at": STAMP}


def _row(n: int, title: str) -> tuple:
    return (n + 1, title, "" if n % 2 else "English", date(2001, 1, 1 + n % 28) if n % 3
            else None, [title, "Drama"] if n % 4 else [], None if n % 5 == 0 else 30 + n,
            None if n % 2 else 7.5 + n / 10, STAMP)


def _stored() -> list[tuple]:
    return list(Show.objects.order_by("tvmaze_id").values_list(*COLUMNS))


@pytest.mark.django_db
@pytest.mark.parametrize("per_statement", [1, 4, 100])  # 4: full statements and a remainder
def test_it_writes_awkward_values_exactly_as_given(per_statement):
    rows = [_row(n, title) for n, title in enumerate(AWKWARD)]
    written = upsert(Show, COLUMNS, rows, conflict=["tvmaze_id"], update=COLUMNS[1:],
                     constants=MADE, rows_per_statement=per_statement)
    assert written == len(rows)
    assert _stored() == rows
    shows = Show.objects.all()
    assert {s.created_at for s in shows} == {STAMP} and {s.tmdb_status for s in shows} == {
        Show._meta.get_field("tmdb_status").get_default()}  # a default the caller left out


@pytest.mark.django_db
def test_it_updates_only_the_named_columns_of_conflicting_rows():
    first = [_row(n, f"Show {n}") for n in range(6)]
    upsert(Show, COLUMNS, first, conflict=["tvmaze_id"], update=COLUMNS[1:],
           constants=MADE, rows_per_statement=1)
    Show.objects.filter(tvmaze_id=2).update(overview="kept")
    again = [(1, "Renamed", "Dutch", None, ["Comedy"], 45, None, STAMP), _row(9, "New")]
    upsert(Show, COLUMNS, again, conflict=["tvmaze_id"], update=["title", "genres"],
           constants=MADE, rows_per_statement=1)
    rows = {r[0]: r for r in _stored()}
    assert rows[1][:2] == (1, "Renamed") and rows[1][4] == ["Comedy"]
    assert rows[1][2:4] == first[0][2:4] and rows[1][5:] == first[0][5:]  # not in update
    assert rows[10] == _row(9, "New")
    assert Show.objects.get(tvmaze_id=2).overview == "kept"
    assert len(rows) == 7


@pytest.mark.django_db
def test_it_sends_one_statement_for_the_page_on_postgresql(monkeypatch):
    # The server parses and plans one statement, not one per row (Django's connections
    # prepare nothing): counted at the driver, which is left to do its work.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one single-row statement per row")
    import psycopg

    sent: list[str] = []
    for name in ("execute", "executemany"):
        real = getattr(psycopg.Cursor, name)

        def spy(self, query, *args, _real=real, _name=name, **kwargs):
            sent.append(_name)
            return _real(self, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, name, spy)
    rows = [_row(n, f"Show {n}") for n in range(500)]
    upsert(Show, COLUMNS, rows, conflict=["tvmaze_id"], update=COLUMNS[1:],
           constants=MADE, rows_per_statement=1)
    assert sent == ["execute"]
    assert _stored() == rows


@pytest.mark.django_db
@pytest.mark.parametrize("odd", [2**70, float("nan"), float("inf")])
def test_a_value_without_an_exact_json_form_is_still_written_exactly(odd):
    # On PostgreSQL the page goes as JSON text; a value JSON cannot carry exactly (orjson
    # refuses integers past 64 bits and writes NaN as null) sends the page as arrays instead.
    rows = [_row(n, f"Show {n}") for n in range(3)]
    if isinstance(odd, int):
        with pytest.raises(Exception, match=r"out of range|too large|overflow"):
            upsert(Show, COLUMNS, [*rows, (odd, *rows[0][1:])], conflict=["tvmaze_id"],
                   update=COLUMNS[1:], constants=MADE, rows_per_statement=1)
        return
    rows[1] = (*rows[1][:6], odd, STAMP)
    upsert(Show, COLUMNS, rows, conflict=["tvmaze_id"], update=COLUMNS[1:], constants=MADE,
           rows_per_statement=1)
    stored = Show.objects.get(tvmaze_id=2).rating
    if odd != odd and connection.vendor == "sqlite":
        assert stored is None  # SQLite's own rule: it stores NaN as NULL
    else:
        assert stored is not None and (stored != stored if odd != odd else stored == odd)


@pytest.mark.django_db(transaction=True)
def test_a_text_too_long_for_its_column_is_refused_not_cut():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce a column's length")
    from django.db import transaction

    long = "x" * (Show._meta.get_field("title").max_length + 1)
    with pytest.raises(Exception, match="too long"), transaction.atomic():
        upsert(Show, COLUMNS, [_row(0, long)], conflict=["tvmaze_id"], update=COLUMNS[1:],
               constants=MADE, rows_per_statement=1)
    assert not Show.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_missing_json_value_is_refused_by_its_column_not_stored_as_json_null():
    # genres is NOT NULL: None must fail as Django's own save would, on both databases and
    # whichever way PostgreSQL's page travels (JSON text or arrays), never store JSON null.
    from django.db import transaction

    row = (*_row(0, "No genres")[:4], None, *_row(0, "No genres")[5:])
    with pytest.raises(Exception, match=r"(?i)not.null|null value"), transaction.atomic():
        upsert(Show, COLUMNS, [row], conflict=["tvmaze_id"], update=COLUMNS[1:],
               constants=MADE, rows_per_statement=1)
    assert not Show.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per_statement", [1, 100])
def test_a_broken_constraint_is_djangos_integrity_error_and_writes_nothing(per_statement):
    from django.db import IntegrityError, transaction

    rows = [_row(n, f"Show {n}") for n in range(3)]
    with pytest.raises(IntegrityError), transaction.atomic():
        upsert(Show, [*COLUMNS, "tvdb_id"], [(*r, 77) for r in rows], conflict=["tvmaze_id"],
               update=COLUMNS[1:], constants=MADE, rows_per_statement=per_statement)
    assert not Show.objects.exists()
