"""factory_boy factories for catalog rows."""

from __future__ import annotations

import factory
from django.utils import timezone

from catalog.models import (
    Decision,
    DiscoveryRule,
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    PlexShow,
    Show,
    SonarrServer,
    SyncRun,
)
from tests.upstream_guard import CLOSED_URL

# Servers point at a closed loopback port, never where a real Plex (32400) or Sonarr (8989)
# may listen on a developer's machine: a test that needs one starts a fake and passes its url.


class ShowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Show

    tvmaze_id = factory.Sequence(lambda n: n + 1)
    tvdb_id = factory.Sequence(lambda n: 70000 + n)
    imdb_id = factory.Sequence(lambda n: f"tt{1000000 + n}")
    title = factory.Sequence(lambda n: f"Show {n}")
    language = "English"
    country = "US"
    genres = factory.LazyFunction(lambda: ["Drama"])


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    show = factory.SubFactory(ShowFactory)
    season = 1
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Episode {n}")


class PlexServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlexServer

    name = factory.Sequence(lambda n: f"plex{n}")
    url = CLOSED_URL
    token = "plex-token-SECRET-value"


class PlexLibraryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlexLibrary

    server = factory.SubFactory(PlexServerFactory)
    key = factory.Sequence(lambda n: str(n + 1))
    title = "TV Shows"
    type = PlexLibrary.Type.SHOW


class PlexShowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlexShow

    library = factory.SubFactory(PlexLibraryFactory)
    rating_key = factory.Sequence(lambda n: str(1000 + n))
    title = factory.Sequence(lambda n: f"Plex show {n}")
    show = factory.SubFactory(ShowFactory)


class MediaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaItem

    plex_show = factory.SubFactory(PlexShowFactory)
    library = factory.SelfAttribute("plex_show.library")
    kind = MediaItem.Kind.EPISODE
    rating_key = factory.Sequence(lambda n: str(50000 + n))
    title = factory.Sequence(lambda n: f"Item {n}")
    digest = "0" * 32
    file_size = 1_000_000
    part_count = 1
    file_path = factory.Sequence(lambda n: f"/data/tv/show/e{n}.mkv")
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


class PathMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PathMapping

    server = factory.SubFactory(PlexServerFactory)
    plex_prefix = factory.Sequence(lambda n: f"/data/tv{n}")
    local_prefix = factory.Sequence(lambda n: f"/mnt/tv{n}")


class SonarrServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SonarrServer

    name = factory.Sequence(lambda n: f"sonarr{n}")
    url = CLOSED_URL
    api_key = "sonarr-apikey-SECRET-value"


class DiscoveryRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscoveryRule

    name = factory.Sequence(lambda n: f"rule {n}")
    server = factory.SubFactory(SonarrServerFactory)
    root_folder = "/tv"
    quality_profile = "HD-1080p"


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    show = factory.SubFactory(ShowFactory)
    rule = factory.SubFactory(DiscoveryRuleFactory)


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    kind = SyncRun.Kind.TVMAZE
    scope = factory.Sequence(lambda n: f"scope{n}")
    status = SyncRun.Status.SUCCEEDED
