"""Adversarial (issue #20): "Every event is idempotent: applied twice, the second changes
nothing" (catalog/sync/sonarr/webhook.py). A ``SeriesDelete`` sent again (a proxy's retry, a
delivery out of order) after the series was added back under a new id still removes the
decision, although Sonarr holds the series (the new id): the delete names an id that is
gone, as the ``SeriesAdd`` echo check already reasons for adds ("Sonarr never reuses an
id")."""

from __future__ import annotations

import pytest

from catalog.models import Decision
from tests import factories
from tests.catalog.sync.test_sonarr_webhook_events import Hook, _status

S = Decision.Status
pytestmark = pytest.mark.django_db


def test_a_delete_sent_again_after_the_series_came_back_leaves_it_in_sonarr():
    decision = factories.DecisionFactory(status=S.PENDING)
    hook = Hook(decision.rule.server_id)
    tvdb = decision.show.tvdb_id
    assert hook.send("SeriesAdd", tvdb, series_id=5).status_code == 200
    assert hook.send("SeriesDelete", tvdb, series_id=5).status_code == 200
    assert _status(decision) == (S.REMOVED, 5)
    assert hook.send("SeriesAdd", tvdb, series_id=6).status_code == 200
    assert _status(decision) == (S.EXISTS, 6)

    again = hook.send("SeriesDelete", tvdb, series_id=5)  # the first delete, once more

    assert again.status_code == 200
    assert _status(decision) == (S.EXISTS, 6), "a replayed delete of series 5 removed series 6"


def test_an_add_sent_again_after_the_series_came_back_keeps_the_new_id():
    """The stale add renumbers the decision to the id Sonarr deleted."""
    decision = factories.DecisionFactory(status=S.PENDING)
    hook = Hook(decision.rule.server_id)
    tvdb = decision.show.tvdb_id
    for event, series in [("SeriesAdd", 5), ("SeriesDelete", 5), ("SeriesAdd", 6)]:
        assert hook.send(event, tvdb, series_id=series).status_code == 200

    assert hook.send("SeriesAdd", tvdb, series_id=5).status_code == 200

    assert _status(decision) == (S.EXISTS, 6), "a replayed add of deleted series 5 took over"

