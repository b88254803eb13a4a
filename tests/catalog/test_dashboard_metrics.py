"""The dashboard shows what the catalog holds; /metrics exposes the upstream counters."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from catalog.models import MediaItem
from integrations import metrics
from tests import factories


@pytest.mark.django_db
def test_it_shows_counts_and_recent_runs(viewer, client):
    factories.ShowFactory.create_batch(3)
    factories.MediaItemFactory(state=MediaItem.State.MISSING)
    run = factories.SyncRunFactory(kind="tvmaze", status="running", total=10, processed=4)
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "<b>4</b>shows in the catalog" in page  # 3 + the item's show
    assert "<b>1</b>missing Plex items" in page
    assert f"<td>{run.id}</td>" in page and 'progress max="10" value="4"' in page
    assert '<script id="live-url" type="application/json">"/api/live/"</script>' in page


@pytest.mark.django_db
def test_it_lists_the_shows_being_loaded(viewer, client):
    factories.ShowFactory(title="Slow Horses", loading_status="loading_episodes",
                          facts_loaded=True, loading_parts=["episodes"])
    factories.ShowFactory(title="Done Show", loading_status="completed")
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert "<td>Slow Horses</td><td>loading_episodes</td><td>✓</td><td></td>" in page
    assert "Done Show" not in page


@pytest.mark.django_db
def test_it_serves_metrics_to_viewers_and_tokens_only(viewer, client):
    metrics.record("tvmaze", "requests", 3)
    assert client.get("/metrics").status_code == 401
    token = Token.objects.create(user=viewer)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert 'mediasync_upstream_requests_total{upstream="tvmaze"}' in response.content.decode()
