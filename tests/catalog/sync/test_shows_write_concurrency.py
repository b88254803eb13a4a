"""Two writers of the same shows at once (a walk and an operator's refresh, whose ids come in
the admin's order) never deadlock on PostgreSQL, whatever order their pages hold."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from catalog.models import Show
from catalog.sync.shows_write import shows_write_page
from tests.catalog.sync.test_shows_write_ids import _show

ROUNDS = 8


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_the_same_shows_in_opposite_orders_never_deadlock():
    shows = [_show(sid) for sid in range(1, 401)]
    with transaction.atomic():
        shows_write_page(shows)
    errors: list[str] = []
    together = threading.Barrier(2)

    def write(page: list) -> None:
        try:
            for _ in range(ROUNDS):
                together.wait(timeout=30)
                with transaction.atomic():
                    shows_write_page(page, force=True)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            together.abort()
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write, args=(page,)) for page in (shows, shows[::-1])]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert not [e for e in errors if "BrokenBarrierError" not in e], errors
    assert not errors, errors
    assert Show.objects.count() == len(shows)
