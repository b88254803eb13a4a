"""Helpers for pushing to the Sonarr fake: a server row, a rule, shows it knows, a push."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from catalog.models import Decision, DiscoveryRule, Show, SonarrServer, SyncRun
from catalog.rules.decide import decide_shows
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.sonarr import sonarr_push
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from integrations.sonarr import SonarrClient
from tests import factories
from tests.catalog.sync.conftest import fast_http


def client_for(fake: SonarrFake, *, read_timeout: float = 5,
               api_key: str = DEFAULT_API_KEY) -> SonarrClient:
    http = fast_http("sonarr", fake.url, max_retries=1, headers={"X-Api-Key": api_key})
    if read_timeout != 5:
        from integrations.http import HttpClient, HttpConfig

        http = HttpClient(HttpConfig(upstream="sonarr", base_url=fake.url, max_retries=0,
                                     read_timeout=read_timeout,
                                     headers={"X-Api-Key": api_key}))
    return SonarrClient(http, api_key)


def server_for(fake: SonarrFake, **kwargs: Any) -> SonarrServer:
    return factories.SonarrServerFactory(url=fake.url, api_key=DEFAULT_API_KEY, **kwargs)


def rule_for(server: SonarrServer, **kwargs: Any) -> DiscoveryRule:
    defaults = {"root_folder": "/tv", "quality_profile": "HD-1080p",
                "language_profile": "English"}
    return factories.DiscoveryRuleFactory(server=server, **{**defaults, **kwargs})


def shows_known_to(fake: SonarrFake, count: int, *, start: int = 0) -> list[Show]:
    """Shows whose TVDB ids the fake's lookup catalogue holds; decided at once."""
    ids = fake.catalog_ids[start:start + count]
    shows = [factories.ShowFactory(tvdb_id=tvdb, title=f"Series {tvdb}") for tvdb in ids]
    decide_shows([s.pk for s in shows])
    return shows


def push(fake: SonarrFake, server: SonarrServer, *, client: SonarrClient | None = None,
         rule: DiscoveryRule | None = None, **kwargs: Any) -> SyncRun:
    run = run_claim(kind=SyncRun.Kind.SONARR, scope=f"server:{server.pk}",
                    options={"server_id": server.pk})
    client = client or client_for(fake)
    return job_execute(run, lambda r: sonarr_push(
        r, server_id=server.pk, rule_id=rule.pk if rule else None, client=client, **kwargs),
        upstream="sonarr")


def statuses(rule: DiscoveryRule) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in Decision.objects.filter(rule=rule).values_list("status", flat=True):
        out[status] = out.get(status, 0) + 1
    return out


@contextmanager
def sonarr_fake(version: str, *, catalog_size: int) -> Iterator[SonarrFake]:
    """A running Sonarr fake of ``version`` ("v3" or "v4")."""
    with SonarrFake(version=SonarrFake.V3 if version == "v3" else SonarrFake.V4,
                    catalog_size=catalog_size) as server:
        yield server


def fake_per_version(catalog_size: int) -> Any:
    """A module's ``fake`` fixture: the Sonarr fake as v3 and as v4, each test run on both."""

    @pytest.fixture(params=["v3", "v4"])
    def fake(request: Any) -> Iterator[SonarrFake]:
        with sonarr_fake(request.param, catalog_size=catalog_size) as server:
            yield server

    return fake
