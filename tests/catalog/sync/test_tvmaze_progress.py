"""TVMaze progress tells the truth: totals known up front, never exceeded, and a run paced by
the rate limit still reports every few seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.models import SyncRun
from catalog.runs import run_finish
from catalog.sync import pages as page_groups
from catalog.sync import tvmaze as tvmaze_module
from catalog.sync.tvmaze import tvmaze_sync
from integrations.fakes.base import Fault
from integrations.fakes.tvmaze import TvmazeFake

START = 1_700_000_000


@pytest.fixture
def fake():
    with TvmazeFake(count=900, seed=11, start_ts=START) as server:
        yield server


def _run(new_run, client, at: int) -> SyncRun:
    run = new_run()
    summary = tvmaze_sync(run, client, now=datetime.fromtimestamp(at, tz=UTC))
    run_finish(run, status=SyncRun.Status.SUCCEEDED, summary=summary)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_full_walk_knows_its_total_from_one_request(fake, new_run, tvmaze_client_for,
                                                       monkeypatch):
    seen: list[tuple[int, int | None]] = []
    real = tvmaze_module.run_progress

    def spy(run, **kwargs):
        real(run, **kwargs)
        seen.append((run.processed, run.total))

    monkeypatch.setattr(tvmaze_module, "run_progress", spy)
    run = _run(new_run, tvmaze_client_for(fake), START)
    assert seen[0] == (0, len(fake.ids))
    assert all(total == len(fake.ids) and processed <= total for processed, total in seen)
    assert (run.processed, run.total) == (len(fake.ids), len(fake.ids))
    assert fake.counts["GET /updates/shows"] == 1


@pytest.mark.django_db
def test_an_increment_with_new_shows_never_counts_past_its_total(
        fake, new_run, tvmaze_client_for):
    client = tvmaze_client_for(fake)
    _run(new_run, client, START)
    fake.set_now(START + 60)
    changed = fake.ids[::50]
    fake.change(changed)
    new_ids = fake.add(170)
    run = _run(new_run, client, START + 120)
    assert run.total == len(changed) + len(new_ids)
    assert run.processed == run.total


@pytest.mark.django_db
def test_a_slow_increment_reports_a_page_every_few_seconds(
        fake, new_run, tvmaze_client_for, monkeypatch):
    client = tvmaze_client_for(fake)
    _run(new_run, client, START)
    fake.set_now(START + 60)
    changed = fake.ids[:40]
    fake.change(changed)
    fake.inject(Fault("slow", delay=0.02), times=10**6, path_prefix="/shows/")
    monkeypatch.setattr(page_groups, "SECONDS_PER_COMMIT", 0.1)
    run = _run(new_run, client, START + 120)
    pages = [e for e in run.events if e.get("event") == "page_progress"]
    assert len(pages) >= 4  # 40 shows at ~20 ms each, a page every 0.1 s
    assert run.processed == run.total == len(changed)


class _TakenOverAtTheEnd:
    """A client whose run is taken over after its last page committed, before the end mark."""

    def __init__(self, client, run: SyncRun) -> None:
        self.client, self.run = client, run

    def __getattr__(self, name):
        return getattr(self.client, name)

    def iter_index_pages(self, start: int):
        for number, page in self.client.iter_index_pages(start):
            if page is None:  # the worker stalled here; a successor took the run over
                SyncRun.objects.filter(pk=self.run.pk).update(owner_token="s" * 32)
            yield number, page


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["walk", "increment"])
def test_a_taken_over_worker_writes_no_end_of_walk_checkpoint(
        mode, fake, new_run, tvmaze_client_for, monkeypatch):
    from catalog.db.cursors import cursor_get
    from catalog.runs import RunLost

    monkeypatch.setattr(page_groups, "ROWS_PER_COMMIT", 1)
    client = tvmaze_client_for(fake)
    if mode == "increment":
        _run(new_run, client, START)
        fake.set_now(START + 60)
        fake.add(300)
    run = new_run()
    before = cursor_get("tvmaze")
    with pytest.raises(RunLost):
        tvmaze_sync(run, _TakenOverAtTheEnd(client, run), full=mode == "walk",
                    now=datetime.fromtimestamp(START + 120, tz=UTC))
    after = cursor_get("tvmaze")
    # The last committed page's checkpoint stands: the successor resumes after it.
    assert after.get("next_page") is not None
    assert after.get("last_success_at") == before.get("last_success_at")
    assert after.get("initial_complete") == before.get("initial_complete")


@pytest.mark.django_db
def test_a_run_resumed_by_its_redelivered_task_never_counts_past_its_total(
        fake, new_run, tvmaze_client_for, monkeypatch):
    import subprocess
    import sys

    from catalog.runs import run_start
    from catalog.runs.owner import host_identity

    client = tvmaze_client_for(fake)
    run = new_run()
    tvmaze_sync(run, client, full=True, max_pages=2)
    assert 0 < run.processed < len(fake.ids)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # Its worker died mid-walk; the queue hands the task out again and it takes the run over.
    SyncRun.objects.filter(pk=run.pk).update(owner_host=host_identity(), owner_pid=dead.pid)
    again = SyncRun.objects.get(pk=run.pk)
    assert run_start(again)
    seen: list[tuple[int, int | None]] = []
    real = tvmaze_module.run_progress

    def spy(run, **kwargs):
        real(run, **kwargs)
        seen.append((run.processed, run.total))

    monkeypatch.setattr(tvmaze_module, "run_progress", spy)
    tvmaze_sync(again, client)
    assert all(total is not None and processed <= total for processed, total in seen), seen
    assert (again.processed, again.total) == (len(fake.ids), len(fake.ids))


def _batches(run: SyncRun) -> list[tuple[str, int]]:
    return [(e["page"], e["changed"]) for e in run.events if e.get("event") == "page_progress"]


@pytest.mark.django_db
def test_a_walk_commits_its_index_pages_a_batch_of_shows_at_a_time(new_run, tvmaze_client_for):
    with TvmazeFake(count=2600, seed=5, start_ts=START) as big:
        run = _run(new_run, tvmaze_client_for(big), START)
        batches = _batches(run)
        pages = big.last_page + 1
    # Whole index pages, in order, each in one batch; every batch but the last holds at
    # least ROWS_PER_COMMIT shows, and no batch holds a page more than it needs.
    numbers = [int(n) for label, _ in batches for n in _page_range(label)]
    assert numbers == list(range(pages))
    assert len(batches) < pages
    assert all(changed >= page_groups.ROWS_PER_COMMIT for _, changed in batches[:-1])
    assert sum(changed for _, changed in batches) == run.processed == 2600
    assert run.summary["pages"] == pages


def _page_range(label: str) -> range:
    first, _, last = label.partition("-")
    return range(int(first), int(last or first) + 1)


@pytest.mark.django_db
def test_a_slow_index_commits_each_page_it_has_after_page_seconds(
        fake, new_run, tvmaze_client_for, monkeypatch):
    # Every page takes longer to read than SECONDS_PER_COMMIT (none: no clock race), so each is
    # committed as soon as it is read.
    monkeypatch.setattr(page_groups, "SECONDS_PER_COMMIT", 0)
    run = _run(new_run, tvmaze_client_for(fake), START)
    assert [label for label, _ in _batches(run)] == [str(n) for n in range(fake.last_page + 1)]
    assert run.processed == len(fake.ids)


@pytest.mark.django_db
def test_max_pages_ends_a_batch_at_its_page_and_the_next_run_resumes_there(
        new_run, tvmaze_client_for):
    from catalog.db.cursors import cursor_get

    with TvmazeFake(count=2600, seed=5, start_ts=START) as big:
        client = tvmaze_client_for(big)
        run = new_run()
        summary = tvmaze_sync(run, client, max_pages=3)
        run_finish(run, status=SyncRun.Status.SUCCEEDED, summary=summary)
        assert summary["pages"] == 3 and summary["complete"] is False
        assert cursor_get("tvmaze")["next_page"] == 3
        big.reset_counts()
        run = _run(new_run, client, START)
        assert [int(n) for label, _ in _batches(run) for n in _page_range(label)] == list(
            range(3, big.last_page + 1))
        assert big.counts["GET /shows"] == big.last_page + 1 - 3 + 1  # pages 3.., the 404


@pytest.mark.django_db
def test_the_shows_changed_hooks_run_once_per_transaction_with_every_written_show(
        new_run, tvmaze_client_for):
    from catalog.models import Show
    from catalog.sync import signals

    calls: list[list[int]] = []
    hook = calls.append
    signals.on_shows_changed(hook)
    try:
        with TvmazeFake(count=2600, seed=5, start_ts=START) as big:
            run = _run(new_run, tvmaze_client_for(big), START)
    finally:
        signals.remove_shows_changed(hook)
    assert len(calls) == len(_batches(run))
    announced = [pk for ids in calls for pk in ids]
    assert sorted(announced) == sorted(Show.objects.values_list("pk", flat=True))
