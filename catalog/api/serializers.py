"""API representations. Field names say what they hold; secrets are write-only."""

from __future__ import annotations

from rest_framework import serializers

from catalog.api.fields import StrictCharField, StrictIntegerField
from catalog.models import (
    Decision,
    DiscoveryRule,
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    Show,
    SonarrServer,
    SyncRun,
)


class ShowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Show
        fields = [
            "id", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "title", "language", "country",
            "type", "status", "premiered", "ended", "network", "web_channel", "genres", "runtime",
            "tvmaze_updated_at", "tmdb_status", "overview", "tmdb_seasons", "tmdb_episodes",
            "poster_path", "backdrop_path", "tmdb_fetched_at", "loading_status",
            "episodes_loaded", "tmdb_loaded", "created_at", "updated_at",
        ]
        read_only_fields = fields


class EpisodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Episode
        fields = ["id", "show", "season", "number", "title", "airdate", "runtime", "tvmaze_id",
                  "tmdb_id"]
        read_only_fields = fields


class PlexServerSerializer(serializers.ModelSerializer):
    token = StrictCharField(write_only=True, max_length=200, trim_whitespace=True,
                                  style={"input_type": "password"})

    class Meta:
        model = PlexServer
        fields = ["id", "name", "url", "token", "enabled", "machine_identifier", "version",
                  "created_at"]
        read_only_fields = ["machine_identifier", "version", "created_at"]


class PlexLibrarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PlexLibrary
        fields = ["id", "server", "key", "title", "type", "enabled", "retention_days",
                  "last_synced_at", "last_complete_scan_at"]
        read_only_fields = ["server", "key", "title", "type", "last_synced_at",
                            "last_complete_scan_at"]


class MediaItemSerializer(serializers.ModelSerializer):
    show = serializers.IntegerField(source="plex_show.show_id", read_only=True, allow_null=True)
    plex_path = serializers.CharField(source="file_path", read_only=True)

    class Meta:
        model = MediaItem
        fields = [
            "id", "library", "plex_show", "show", "kind", "rating_key", "title",
            "season_number", "episode_number", "year", "guid", "digest", "updated_at_plex",
            "duration", "file_size", "part_count", "streams_signature", "plex_path", "state",
            "first_seen_at", "last_seen_at", "last_scan_at", "missing_since", "error_count",
            "last_error",
        ]
        read_only_fields = fields


class PathMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = PathMapping
        fields = ["id", "server", "plex_prefix", "local_prefix"]


class SonarrServerSerializer(serializers.ModelSerializer):
    api_key = StrictCharField(write_only=True, max_length=200, trim_whitespace=True,
                                    style={"input_type": "password"})

    class Meta:
        model = SonarrServer
        fields = ["id", "name", "url", "api_key", "enabled", "version", "created_at"]
        read_only_fields = ["version", "created_at"]


def _names() -> serializers.ListField:
    """A filter list: names, "any" when empty."""
    return serializers.ListField(child=StrictCharField(max_length=100), max_length=100,
                                 required=False)


class DiscoveryRuleSerializer(serializers.ModelSerializer):
    languages = _names()
    countries = _names()
    types = _names()
    statuses = _names()
    genres_include = _names()
    genres_exclude = _names()
    networks = _names()
    tags = serializers.ListField(child=StrictIntegerField(min_value=1, max_value=2**31 - 1),
                                 max_length=100, required=False,
                                 help_text="Sonarr tag ids to add the series with.")

    class Meta:
        model = DiscoveryRule
        fields = [
            "id", "name", "server", "enabled", "languages", "countries", "types", "statuses",
            "genres_include", "genres_exclude", "networks", "min_runtime", "premiered_after",
            "root_folder", "quality_profile_id", "language_profile_id", "monitor",
            "search_on_add", "tags", "dry_run", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "show", "rule", "status", "reason", "sonarr_series_id", "attempts",
                  "next_attempt_at", "decided_at", "updated_at"]
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True, allow_null=True)
    cluster_alive = serializers.SerializerMethodField(
        help_text="For a queued or running run: whether any job cluster is alive to work on "
                  "it (null once the run has ended).")

    def get_cluster_alive(self, run: SyncRun) -> bool | None:
        if run.status not in SyncRun.ACTIVE:
            return None
        if "cluster_alive" not in self.context:  # once per response, not per row
            from catalog.health import cluster_alive

            self.context["cluster_alive"] = cluster_alive()
        return self.context["cluster_alive"]

    class Meta:
        model = SyncRun
        fields = [
            "id", "kind", "scope", "status", "options", "triggered_by", "created_at",
            "started_at", "finished_at", "heartbeat_at", "lease_expires_at", "owner_host",
            "owner_pid", "cancel_requested_at", "cancel_requested_by", "cluster_alive",
            "processed", "changed", "skipped", "errors", "total", "progress", "requests",
            "summary", "events", "error",
        ]
        read_only_fields = fields
