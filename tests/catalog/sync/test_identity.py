"""One show absorbing another (``catalog.sync.identity``), by both callers: the TVMaze page
writer absorbing a placeholder and the loader merging a bare add into the show it turns out
to be. Both keep the operator's add, and neither moves an id another show holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from msgspec.structs import replace

from catalog.models import Decision, Show
from catalog.models.library import library_shows
from catalog.sync.identity import show_absorb
from catalog.sync.loading import show_add
from catalog.sync.loading.parts import write_facts
from catalog.sync.shows_write import shows_write_page
from tests.catalog.sync.test_shows_write_ids import T2, _show
from tests.factories import DiscoveryRuleFactory, PlexShowFactory

pytestmark = pytest.mark.django_db


def _write(*shows):
    with transaction.atomic():
        return shows_write_page(list(shows))


def test_the_writer_keeps_the_operators_add_of_the_placeholder_it_absorbs():
    _write(_show(1))
    added = show_add(field="tvdb_id", value=100, by="otto").show
    PlexShowFactory(show=added)
    result = _write(_show(1, tvdb=100, updated=T2))
    assert not result.conflicts and Show.objects.count() == 1
    show = Show.objects.get(tvmaze_id=1)
    assert (show.tvdb_id, show.added_at, show.added_by) == (100, added.added_at, "otto")
    assert show.operator_added and list(library_shows()) == [show]
    assert show.plex_shows.count() == 1


def test_the_writer_decides_the_show_that_absorbed_a_placeholder_with_its_new_id():
    """The absorb leaves deciding to the page's hook: the show, now with the placeholder's
    TVDB id, goes from waiting for an id to pending, in the write's own transaction."""
    rule = DiscoveryRuleFactory()
    _write(_show(1))
    assert Decision.objects.get(rule=rule).status == Decision.Status.PENDING_TVDB
    placeholder = Show.objects.create(title="from plex", tvdb_id=100)
    PlexShowFactory(show=placeholder)
    _write(_show(1, tvdb=100, updated=T2))
    decision = Decision.objects.get(rule=rule)
    assert (decision.show.tvmaze_id, decision.status) == (1, Decision.Status.PENDING)


def test_the_writer_moves_no_id_another_show_of_the_page_takes():
    _write(_show(1))
    placeholder = Show.objects.create(title="from plex", tvdb_id=100, imdb_id="tt100")
    PlexShowFactory(show=placeholder)
    # Show 1 absorbs the placeholder by its TVDB id; show 2, new, is given its IMDb id.
    result = _write(_show(1, tvdb=100, updated=T2), _show(2, imdb="tt100"))
    assert not result.conflicts
    assert list(Show.objects.order_by("tvmaze_id").values_list(
        "tvmaze_id", "tvdb_id", "imdb_id")) == [(1, 100, None), (2, None, "tt100")]


def test_the_loader_keeps_the_operators_add_when_it_merges_a_bare_add():
    mirror = Show.objects.create(title="Mirror", tvmaze_id=7)
    added = show_add(field="tvdb_id", value=100, by="otto").show
    with transaction.atomic():
        write_facts(added, replace(_show(7, tvdb=100), updated=datetime(2025, 3, 1, tzinfo=UTC)))
    assert not Show.objects.filter(pk=added.pk).exists()
    mirror.refresh_from_db()
    assert (mirror.tvdb_id, mirror.added_at, mirror.added_by) == (100, added.added_at, "otto")
    assert mirror.operator_added and list(library_shows()) == [mirror]
    assert mirror.loading_status == "pending"  # its parts queued


def test_it_leaves_an_id_the_target_holds_otherwise_and_says_so():
    source = Show.objects.create(title="add", tvdb_id=100, imdb_id="tt100")
    target = Show.objects.create(title="show", tvmaze_id=7, imdb_id="tt7")
    with transaction.atomic():
        absorbed = show_absorb(source, target)
    assert (absorbed.carried, absorbed.left) == ({"tvdb_id": 100}, {"imdb_id": "tt100"})
    assert (target.tvdb_id, target.imdb_id) == (100, "tt7")
    assert list(Show.objects.values_list("pk", flat=True)) == [target.pk]


def test_it_keeps_the_targets_own_add():
    source = show_add(field="tvdb_id", value=100, by="ada").show
    target = show_add(field="tvmaze_id", value=7, by="otto").show
    with transaction.atomic():
        assert not show_absorb(source.pk, target.pk).added
    target.refresh_from_db()
    assert (target.added_by, target.tvdb_id) == ("otto", 100)


def test_a_series_deleted_in_sonarr_stays_removed_whichever_row_survives():
    from tests.factories import DecisionFactory, ShowFactory

    S = Decision.Status
    source, target = ShowFactory(tvdb_id=None), ShowFactory()
    waiting, settled = DiscoveryRuleFactory(), DiscoveryRuleFactory()
    DecisionFactory(show=source, rule=waiting, status=S.REMOVED, reason="deleted in Sonarr")
    DecisionFactory(show=source, rule=settled, status=S.REMOVED)
    DecisionFactory(show=target, rule=waiting, status=S.PENDING)
    DecisionFactory(show=target, rule=settled, status=S.ADDED, sonarr_series_id=8)
    with transaction.atomic():
        show_absorb(source.pk, target.pk)
    kept = dict(Decision.objects.filter(show=target).values_list("rule_id", "status"))
    assert kept == {waiting.pk: S.REMOVED, settled.pk: S.ADDED}
