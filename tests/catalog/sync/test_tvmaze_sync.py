"""The TVMaze orchestrator against the TVMaze fake: full walk, increments, crashes, storms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.db.cursors import cursor_get
from catalog.models import Show, SyncRun
from catalog.runs import run_finish
from catalog.runs.execute import job_execute
from catalog.sync import pages as page_groups
from catalog.sync import signals
from catalog.sync import tvmaze as tvmaze_sync_module
from catalog.sync.tvmaze import choose_window, tvmaze_sync
from integrations.fakes.base import Fault
from integrations.fakes.tvmaze import TvmazeFake
from integrations.fakes.tvmaze_render import show_obj

START = 1_700_000_000


@pytest.fixture
def fake():
    with TvmazeFake(count=1100, seed=7, start_ts=START) as server:
        yield server


@pytest.fixture
def page_per_commit(monkeypatch):
    """Each index page in a transaction of its own, for tests of what a commit keeps."""
    monkeypatch.setattr(page_groups, "ROWS_PER_COMMIT", 1)


def _run(new_run, client, **kwargs):
    run = new_run()
    summary = tvmaze_sync(run, client, **kwargs)
    run_finish(run, status=SyncRun.Status.SUCCEEDED, summary=summary)
    return run, summary


def _expected(obj: dict) -> dict:
    """What the catalog must hold for a raw TVMaze show object (API_NOTES rules)."""
    network, web = obj.get("network"), obj.get("webChannel")
    country = ((network or {}).get("country") or {}).get("code") or \
        ((web or {}).get("country") or {}).get("code") or ""
    externals = obj.get("externals") or {}
    return {
        "title": obj["name"], "language": obj.get("language") or "", "country": country,
        "status": obj.get("status") or "", "type": obj.get("type") or "",
        "network": (network or {}).get("name") or "", "web_channel": (web or {}).get("name") or "",
        "genres": obj.get("genres") or [],
        "runtime": obj.get("runtime") if obj.get("runtime") is not None
        else obj.get("averageRuntime"),
        "premiered": date.fromisoformat(obj["premiered"]) if obj.get("premiered") else None,
        "ended": date.fromisoformat(obj["ended"]) if obj.get("ended") else None,
        "tvdb_id": externals.get("thetvdb"), "imdb_id": externals.get("imdb"),
        "tvmaze_updated_at": datetime.fromtimestamp(obj["updated"], tz=UTC),
    }


def _table() -> list[tuple]:
    return list(Show.objects.order_by("tvmaze_id").values_list(
        "tvmaze_id", "tvdb_id", "imdb_id", "title", "country", "status", "runtime",
        "tvmaze_updated_at"))


@pytest.mark.django_db
def test_it_lands_every_show_with_every_field_right(fake, new_run, tvmaze_client_for):
    _, summary = _run(new_run, tvmaze_client_for(fake))
    assert summary["complete"] and summary["mode"] == "full"
    assert Show.objects.count() == len(fake.ids)
    rows = {s.tvmaze_id: s for s in Show.objects.all()}
    for show_id in fake.ids:
        expected = _expected(show_obj(fake.record(show_id)))
        actual = {k: getattr(rows[show_id], k) for k in expected}
        assert actual == expected, show_id


@pytest.mark.django_db
def test_it_covers_the_edge_cases_in_the_generated_catalog(fake, new_run, tvmaze_client_for):
    _run(new_run, tvmaze_client_for(fake))
    objs = [show_obj(fake.record(i)) for i in fake.ids]
    web_no_country = [o["id"] for o in objs if o["network"] is None and o.get("webChannel")
                      and o["webChannel"].get("country") is None]
    web_country = [o["id"] for o in objs if o["network"] is None and o.get("webChannel")
                   and o["webChannel"].get("country")]
    null_runtime = [o["id"] for o in objs if o["runtime"] is None and o.get("averageRuntime")]
    no_externals = [o["id"] for o in objs if not o["externals"].get("thetvdb")]
    unicode_titles = [o["id"] for o in objs if not o["name"].isascii()]
    for group in (web_no_country, web_country, null_runtime, no_externals, unicode_titles):
        assert group, "the generator must produce every edge case"
    assert Show.objects.get(tvmaze_id=web_no_country[0]).country == ""
    web = show_obj(fake.record(web_country[0]))["webChannel"]
    assert Show.objects.get(tvmaze_id=web_country[0]).country == web["country"]["code"]
    runtime_row = Show.objects.get(tvmaze_id=null_runtime[0])
    assert runtime_row.runtime == show_obj(fake.record(null_runtime[0]))["averageRuntime"]
    assert Show.objects.get(tvmaze_id=no_externals[0]).tvdb_id is None
    assert Show.objects.get(tvmaze_id=unicode_titles[0]).title == fake.record(
        unicode_titles[0]).name


@pytest.mark.django_db
def test_it_fetches_and_updates_exactly_the_changed_shows(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    before = {s.tvmaze_id: s.updated_at for s in Show.objects.all()}
    changed = fake.ids[::100]  # ~1%
    fake.set_now(START + 3600)
    fake.change(changed)
    fake.reset_counts()
    run, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 7200, tz=UTC))
    # a walk covers only what a day-old index could show: the next increment looks back a week
    assert summary["mode"] == "incremental" and summary["since"] == "week"
    run.refresh_from_db()
    assert run.total == len(changed)  # known once the updates feed is compared
    assert fake.counts["GET /shows/:id"] == len(changed)
    assert fake.counts["GET /updates/shows"] == 1
    after = {s.tvmaze_id: s.updated_at for s in Show.objects.all()}
    touched = sorted(i for i in after if after[i] != before[i])
    assert touched == sorted(changed)
    for show_id in changed:
        assert Show.objects.get(tvmaze_id=show_id).status == fake.record(show_id).status


@pytest.mark.django_db
def test_it_costs_nothing_for_an_unchanged_catalog(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    fake.reset_counts()
    run, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 600, tz=UTC))
    assert fake.counts.get("GET /shows/:id", 0) == 0
    run.refresh_from_db()
    assert (run.changed, summary["created"], summary["updated"]) == (0, 0, 0)


@pytest.mark.django_db
def test_it_picks_up_brand_new_shows_past_the_highest_id(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    fake.set_now(START + 60)
    new_ids = fake.add(300)
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 120, tz=UTC))
    assert summary["created"] == 300
    assert set(new_ids) <= set(Show.objects.values_list("tvmaze_id", flat=True))


@pytest.mark.parametrize(("gap", "window"), [
    (timedelta(hours=3), "day"), (timedelta(days=3), "week"), (timedelta(days=20), "month"),
    (timedelta(days=45), None),
])
def test_it_chooses_the_smallest_covering_window(gap, window):
    now = datetime(2026, 1, 31, tzinfo=UTC)
    assert choose_window(now - gap, now) == window


@pytest.mark.django_db
def test_it_falls_back_to_a_full_walk_after_a_long_gap(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 60 * 86400, tz=UTC))
    assert summary["mode"] == "full"


@pytest.mark.django_db
def test_it_resumes_a_killed_walk_at_the_first_uncommitted_page(
    fake, new_run, tvmaze_client_for, monkeypatch, page_per_commit
):
    client = tvmaze_client_for(fake)
    real_write = tvmaze_sync_module.shows_write_page
    calls = {"n": 0}

    def dies_on_third_page(shows, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return real_write(shows, **kwargs)

    monkeypatch.setattr(tvmaze_sync_module, "shows_write_page", dies_on_third_page)
    run = new_run()
    with pytest.raises(KeyboardInterrupt):
        tvmaze_sync(run, client)
    run_finish(run, status=SyncRun.Status.FAILED, error="killed")
    assert cursor_get("tvmaze")["next_page"] == 2
    monkeypatch.setattr(tvmaze_sync_module, "shows_write_page", real_write)
    fake.reset_counts()
    _run(new_run, client)
    assert fake.counts["GET /shows"] == fake.last_page - 2 + 2  # pages 2..last, then the 404
    resumed = _table()
    Show.objects.all().delete()
    from catalog.models import SyncCursor

    SyncCursor.objects.all().delete()
    _run(new_run, client)
    assert _table() == resumed


@pytest.mark.django_db
def test_it_fails_on_a_500_storm_keeping_committed_pages(fake, new_run, tvmaze_client_for,
                                                        page_per_commit):
    client = tvmaze_client_for(fake)
    pages = {"n": 0}

    def storm_after_two_pages(ids):
        pages["n"] += 1
        if pages["n"] == 2:
            fake.inject(Fault(kind="status", status=500), times=50, path_prefix="/shows")

    signals.on_shows_changed(storm_after_two_pages)
    try:
        run = new_run(start=False)
        finished = job_execute(run, lambda r: tvmaze_sync(r, client), upstream="tvmaze")
    finally:
        signals.remove_shows_changed(storm_after_two_pages)
    assert finished.status == SyncRun.Status.FAILED
    assert "500" in finished.error
    kept = Show.objects.count()
    assert 0 < kept < len(fake.ids)
    fake.clear_faults()
    _run(new_run, client)
    assert Show.objects.count() == len(fake.ids)


@pytest.mark.django_db
def test_it_counts_a_malformed_show_as_an_error_and_lands_the_rest(
    fake, new_run, tvmaze_client_for
):
    bad = fake.ids[5]
    fake.malform(bad, "runtime")
    run, summary = _run(new_run, tvmaze_client_for(fake))
    run.refresh_from_db()
    assert run.errors == 1
    assert summary["rejects"][0].startswith(f"{bad}:")
    assert Show.objects.count() == len(fake.ids) - 1


@pytest.mark.django_db
def test_it_runs_the_change_hook_once_per_page_inside_the_transaction(
    fake, new_run, tvmaze_client_for
):
    from django.db import connection

    seen: list[tuple[int, bool]] = []

    def hook(ids):
        seen.append((len(ids), connection.in_atomic_block))

    signals.on_shows_changed(hook)
    try:
        _run(new_run, tvmaze_client_for(fake))
    finally:
        signals.remove_shows_changed(hook)
    assert sum(n for n, _ in seen) == len(fake.ids)
    assert all(in_tx for _, in_tx in seen)


@pytest.mark.django_db
def test_it_claims_a_placeholder_show_instead_of_duplicating_it(fake, new_run, tvmaze_client_for):
    target = show_obj(fake.record(fake.ids[3]))
    tvdb = target["externals"]["thetvdb"]
    placeholder = Show.objects.create(title="from plex", tvdb_id=tvdb)
    _run(new_run, tvmaze_client_for(fake))
    placeholder.refresh_from_db()
    assert placeholder.tvmaze_id == target["id"]
    assert placeholder.title == target["name"]
    assert placeholder.tmdb_status == Show.TmdbStatus.UNKNOWN
    assert Show.objects.count() == len(fake.ids)


@pytest.mark.django_db
def test_a_change_hidden_by_the_day_old_index_cache_is_caught_by_the_next_increment(
    fake, new_run, tvmaze_client_for
):
    """The index may be served up to 24 h stale (API_NOTES): a walk that read an old copy of a
    page must not claim to cover the changes made before it started."""
    client = tvmaze_client_for(fake)
    show_id = fake.ids[5]
    walk_at = START + 10 * 86400
    fake.set_now(walk_at - 86400 + 600)
    stale = fake._page_bytes(0)  # the copy the edge cache keeps serving
    fake.set_now(walk_at - 86400 + 1800)  # a change made after that copy, 23.5 h before the walk
    fake.change([show_id])
    fake._pages[0] = stale
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(walk_at, tz=UTC))
    assert summary["mode"] == "full"
    fake._pages.clear()  # the cache expires
    fake.set_now(walk_at + 2 * 3600)
    _run(new_run, client, now=datetime.fromtimestamp(walk_at + 2 * 3600, tz=UTC))
    stored = Show.objects.get(tvmaze_id=show_id)
    assert stored.status == fake.record(show_id).status
    assert stored.tvmaze_updated_at == datetime.fromtimestamp(fake.record(show_id).updated, tz=UTC)


@pytest.mark.django_db
def test_an_increment_that_read_new_shows_from_the_index_looks_back_past_its_age(
    fake, new_run, tvmaze_client_for
):
    client = tvmaze_client_for(fake)
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    _run(new_run, client, now=datetime.fromtimestamp(START + 3600, tz=UTC))  # nothing new
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 7200, tz=UTC))
    assert summary["since"] == "day"
    fake.set_now(START + 7300)
    fake.add(3)  # read from an index page, which may be a day old
    _run(new_run, client, now=datetime.fromtimestamp(START + 10800, tz=UTC))
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 14400, tz=UTC))
    assert summary["since"] == "week"


def test_a_last_success_in_our_future_means_the_gap_is_unknown():
    """Our clock was set back (it ran a year ahead when the last run succeeded): how long ago
    that really was is unknown, and a ``day`` window would silently skip the real gap."""
    now = datetime(2026, 1, 31, tzinfo=UTC)
    assert choose_window(now + timedelta(days=365), now) is None
    assert choose_window(now + timedelta(hours=2), now) is None


def _reassign_tvdb(fake, donor: int, taker: int) -> int:
    """TVMaze moves ``donor``'s TVDB id to ``taker`` (the donor keeps none)."""
    tvdb = fake.record(donor).tvdb
    fake.record(donor).tvdb = None
    fake.record(taker).tvdb = tvdb
    return tvdb


@pytest.mark.django_db
def test_a_tvdb_id_moved_to_a_show_of_a_later_run_follows_it(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    donor, taker = fake.ids[3], fake.ids[-3]
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    fake.set_now(START + 600)
    tvdb = _reassign_tvdb(fake, donor, taker)
    fake.change([donor])  # the donor's change is read first, in its own run
    _run(new_run, client, now=datetime.fromtimestamp(START + 1200, tz=UTC))
    fake.set_now(START + 1800)
    fake.change([taker])
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 2400, tz=UTC))
    assert Show.objects.get(tvmaze_id=taker).tvdb_id == tvdb
    assert Show.objects.get(tvmaze_id=donor).tvdb_id is None
    assert summary["conflicts"] == []


@pytest.mark.django_db
def test_a_tvdb_id_moved_across_pages_of_one_walk_follows_it(fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    donor, taker = fake.ids[3], fake.ids[-3]
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    fake.set_now(START + 600)
    tvdb = _reassign_tvdb(fake, donor, taker)
    fake.change([donor, taker])
    _, summary = _run(new_run, client, full=True, now=datetime.fromtimestamp(START + 1200, tz=UTC))
    assert Show.objects.get(tvmaze_id=taker).tvdb_id == tvdb
    assert Show.objects.get(tvmaze_id=donor).tvdb_id is None
    assert summary["conflicts"] == []


@pytest.mark.django_db
def test_an_id_two_shows_really_share_upstream_stays_with_its_holder(
    fake, new_run, tvmaze_client_for
):
    client = tvmaze_client_for(fake)
    holder, other = fake.ids[3], fake.ids[-3]
    _run(new_run, client, now=datetime.fromtimestamp(START, tz=UTC))
    fake.set_now(START + 600)
    tvdb = fake.record(other).tvdb = fake.record(holder).tvdb
    fake.change([other])
    _, summary = _run(new_run, client, now=datetime.fromtimestamp(START + 1200, tz=UTC))
    assert Show.objects.get(tvmaze_id=holder).tvdb_id == tvdb
    assert Show.objects.get(tvmaze_id=other).tvdb_id is None
    assert summary["conflicts"] == [f"tvmaze {other}: tvdb {tvdb} belongs to another show"]
