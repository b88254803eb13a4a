"""``any_of``: a raw lookup by a list of ids bound as one parameter finds exactly the rows
holding one of them, whatever the values hold (quotes, commas, braces, unicode), on both
databases."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.db.lists import any_of
from catalog.models import Show
from tests import factories

AWKWARD = ['tt"1', "tt,2", "tt{3}", "tt\\4", "tt 東京", "tt'6", "NULL"]


def _found(column: str, values) -> set[int]:
    where, params = any_of(connection.ops.quote_name(column), values)
    table = connection.ops.quote_name(Show._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE {where}", params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_it_finds_exactly_the_rows_holding_one_of_the_values():
    shows = [factories.ShowFactory(tvdb_id=900_000 + n, imdb_id=imdb)
             for n, imdb in enumerate(AWKWARD)]
    factories.ShowFactory(tvdb_id=1, imdb_id="tt0000001")  # never asked for
    assert _found("imdb_id", AWKWARD) == {s.pk for s in shows}
    assert _found("imdb_id", [*AWKWARD[:2], "tt-absent"]) == {s.pk for s in shows[:2]}
    assert _found("tvdb_id", [s.tvdb_id for s in shows[3:]]) == {s.pk for s in shows[3:]}
    assert _found("tvmaze_id", [shows[0].tvmaze_id, 10**15]) == {shows[0].pk}
    assert _found("tvdb_id", []) == set()
