"""What the dashboard, libraries, rules and runs pages say, and the charts they draw."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import SyncRun
from catalog.ui import charts
from tests import factories


@pytest.mark.django_db
def test_it_lists_what_needs_attention(viewer, client):
    client.force_login(viewer)
    now = timezone.now()
    factories.SyncRunFactory(kind="plex", scope="library:1", status="failed",
                             finished_at=now, error="plex said 401")
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="failed",
                             finished_at=now - timedelta(hours=1), error="old failure")
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="succeeded",
                             finished_at=now)  # a later success clears the earlier failure
    factories.DecisionFactory.create_batch(3, status="awaiting_approval")
    factories.PlexLibraryFactory(title="Fresh", last_complete_scan_at=now)
    factories.PlexLibraryFactory(title="Stale", last_complete_scan_at=now - timedelta(days=2))
    page = client.get("/").content.decode()
    assert "plex said 401" in page and "old failure" not in page
    assert "3 decisions awaiting approval" in page
    attention = page.split("Needs attention")[1].split("</section>")[0]
    assert "Stale" in attention and "Fresh" not in attention
    assert "No job cluster is alive" in page


@pytest.mark.django_db
def test_it_counts_items_per_library_and_coverage(viewer, client):
    client.force_login(viewer)
    plex_show = factories.PlexShowFactory()
    library = plex_show.library
    for state in ("active", "active", "active", "remote_only", "missing"):
        factories.MediaItemFactory(plex_show=plex_show, library=library, state=state)
    response = client.get("/libraries/")
    row = response.context["servers"][0].libraries[0]
    assert row.states == {"active": 3, "remote_only": 1, "missing": 1}
    assert row.coverage == 0.75
    assert "75%" in response.content.decode()


@pytest.mark.django_db
def test_it_shows_a_servers_mappings_and_connection(viewer, client):
    client.force_login(viewer)
    library = factories.PlexLibraryFactory()
    factories.PathMappingFactory(server=library.server, plex_prefix="/data/tv",
                                 local_prefix="/mnt/tv")
    factories.SyncRunFactory(kind="plex", scope=f"library:{library.pk}", status="failed",
                             error="connection refused")
    other = factories.PlexLibraryFactory(server=library.server)
    factories.SyncRunFactory(kind="plex", scope=f"library:{other.pk}", status="running")
    page = client.get(f"/libraries/servers/{library.server_id}/").content.decode()
    assert "/mnt/tv" in page and "failing" in page and "connection refused" in page
    assert "plex-token-SECRET-value" not in page  # a run still going hides nothing
    factories.SyncRunFactory(kind="plex", scope=f"library:{other.pk}", status="succeeded")
    detail = client.get(f"/libraries/servers/{library.server_id}/").context["detail"]
    assert detail.connection[0] == "ok"


@pytest.mark.django_db
def test_it_charts_each_rules_top_filter_reasons(viewer, client):
    client.force_login(viewer)
    rule = factories.DiscoveryRuleFactory(name="Dramas")
    for reason, n in (("genre:Reality", 3), ("ended", 1)):
        factories.DecisionFactory.create_batch(n, rule=rule, status="filtered", reason=reason)
    factories.DecisionFactory(rule=rule, status="added")
    response = client.get("/rules/")
    row = response.context["rows"][0]
    assert row.counts == {"filtered": 4, "added": 1}
    assert row.reasons == [("genre:Reality", 3), ("ended", 1)]
    page = response.content.decode()
    assert "<svg" in page and ">genre: Reality</text>" in page and ">3</text>" in page
    assert "not validated yet" in page


@pytest.mark.django_db
def test_it_pages_run_history_and_charts_the_last_30_per_kind(viewer, client):
    client.force_login(viewer)
    now = timezone.now()
    for i in range(35):
        factories.SyncRunFactory(kind="tvmaze", status="failed" if i == 34 else "succeeded",
                                 started_at=now, finished_at=now + timedelta(seconds=i))
    response = client.get("/runs/?kind=tvmaze")
    history = response.context["history"]
    assert len(history.rows) == 25 and history.has_next
    assert "34.0 s" in response.content.decode()  # the newest run's duration
    charted = dict(response.context["charts"])
    assert charted["TVMaze"].count("<rect x=") == 30
    assert charted["TVMaze"].count("✗") == 2  # the failed bar plus the legend
    assert "no finished runs yet" in charted["Plex"]


def test_it_escapes_chart_labels():
    svg = charts.bar_chart([("<b>x</b>", 2)], title="t<script>")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "<script>" not in svg


@pytest.mark.django_db
def test_it_polls_only_active_runs(viewer, client):
    client.force_login(viewer)
    factories.SyncRunFactory(status="succeeded", scope="done-one")
    running = factories.SyncRunFactory(status="running", total=8, processed=2)
    fragment = client.get("/runs/active/").content.decode()
    assert f'data-run="{running.pk}"' in fragment and "done-one" not in fragment
    assert 'aria-valuenow="2"' in fragment and "width: 25%" in fragment
    assert 'hx-trigger="every 2s"' in fragment
    assert client.get("/runs/active/")["Cache-Control"].startswith("max-age=0")
    SyncRun.objects.filter(pk=running.pk).update(processed=6)
    assert "width: 75%" in client.get("/runs/active/").content.decode()
