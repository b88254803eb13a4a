"""The move from SQLite to PostgreSQL that docs/operating.md describes: ``dumpdata`` with the
documented flags, an empty database, ``loaddata``. Every catalog row arrives, on both
databases: loaddata inserts row by row in the dump's model order, so a parent must come
before the rows that name it (PostgreSQL checks the keys of decisions and media items at
each statement, migration 0029)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from catalog.models import Decision, DiscoveryRule, RuleSelection, SonarrDeletion
from tests.factories import (
    DecisionFactory,
    EpisodeFactory,
    MediaItemFactory,
    PathMappingFactory,
    SyncRunFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
EXCLUDED = ["contenttypes", "auth.permission", "admin.logentry", "sessions"]


def _ms(value: Any) -> Any:
    """Django's JSON dump keeps times to the millisecond."""
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _catalog_rows() -> dict[str, list[dict]]:
    return {model.__name__: [{k: _ms(v) for k, v in row.items()}
                             for row in model.objects.order_by("pk").values()]
            for model in apps.get_app_config("catalog").get_models()}


def test_a_dump_loads_into_an_empty_database_with_every_row(tmp_path):
    decision = DecisionFactory(status=Decision.Status.PENDING, reason="")
    RuleSelection.objects.create(rule=decision.rule, languages=["English"])
    DecisionFactory(rule=decision.rule, status=Decision.Status.FILTERED, reason="language")
    EpisodeFactory(show=decision.show)
    # a claimed decision names its run, a model registered after it (a deferred key)
    Decision.objects.filter(pk=decision.pk).update(status=Decision.Status.SENDING,
                                                   claim_run=SyncRunFactory())
    SonarrDeletion.objects.create(server=decision.rule.server, tvdb_id=81189,
                                  deleted_at=decision.decided_at)
    item = MediaItemFactory()
    MediaItemFactory(plex_show=item.plex_show)
    MediaItemFactory(plex_show=None, library=item.library)
    PathMappingFactory(server=item.library.server)
    before = _catalog_rows()
    assert all(before[name] for name in ("Decision", "MediaItem", "DiscoveryRule", "Episode",
                                         "SyncRun"))
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "--natural-foreign", "--natural-primary",
                 *(f"--exclude={label}" for label in EXCLUDED), output=str(dump))
    assert json.loads(dump.read_text())
    call_command("flush", "--no-input")
    assert not DiscoveryRule.objects.exists()
    call_command("loaddata", str(dump))
    assert _catalog_rows() == before
