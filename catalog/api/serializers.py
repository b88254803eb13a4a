"""API representations. Field names say what they hold; secrets are write-only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.api.fields import StrictBooleanField, StrictCharField
from catalog.models import (
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    Show,
    SyncRun,
)
from catalog.models.validators import validate_credential
from catalog.paths.prefixes import normalize_local_prefix, normalize_plex_prefix
from catalog.upstreams.checks import (
    ServerCheckError,
    plex_server_check,
    server_needs_check,
)

ARTWORK_KINDS = ("poster", "fanart", "logo")


class ShowSerializer(serializers.ModelSerializer):
    metadata_loaded = serializers.BooleanField(source="tmdb_loaded", read_only=True)
    artwork = serializers.SerializerMethodField(
        help_text="URL of each artwork file held (poster, fanart, logo); logged-in users only.")

    class Meta:
        model = Show
        fields = [
            "id", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "title", "language", "country",
            "type", "status", "premiered", "ended", "network", "web_channel", "genres", "runtime",
            "tvmaze_updated_at", "tmdb_status", "overview", "tmdb_seasons", "tmdb_episodes",
            "poster_path", "backdrop_path", "logo_path", "tmdb_fetched_at", "loading_status",
            "facts_loaded", "episodes_loaded", "tmdb_loaded", "metadata_loaded",
            "artwork_loaded", "loading_started_at", "loading_completed_at", "loading_error",
            "artwork", "added_at", "added_by", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_artwork(self, show: Show) -> dict[str, str]:
        return {kind: f"/api/shows/{show.pk}/artwork/{kind}/" for kind in ARTWORK_KINDS
                if show.artwork.get(kind)}


class EpisodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Episode
        fields = ["id", "show", "season", "number", "title", "airdate", "runtime", "tvmaze_id",
                  "tmdb_id"]
        read_only_fields = fields


VERIFY_HELP = ("Check first that the server answers and accepts the key (default). "
               "false saves a server that is down right now without checking.")


class CheckedServerSerializer(serializers.ModelSerializer):
    """Creating a server (or changing its URL or key) checks it unless ``verify`` is false;
    a failed check is a 400 on the field at fault: ``url`` (unreachable, redirected, not
    the right kind of server) or the key (unauthorised)."""

    key_field = ""
    verify = StrictBooleanField(write_only=True, default=True, help_text=VERIFY_HELP)

    def check(self, url: str, secret: str) -> dict[str, Any]:
        raise NotImplementedError

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        verify = attrs.pop("verify", True)
        if verify and server_needs_check(self.instance, attrs, self.key_field):
            url = attrs.get("url", getattr(self.instance, "url", ""))
            secret = attrs.get(self.key_field, getattr(self.instance, self.key_field, ""))
            try:
                attrs.update(self.check(url, secret))
            except ServerCheckError as exc:
                field = self.key_field if exc.secret else "url"
                raise serializers.ValidationError({field: [exc.message]}) from None
        return attrs


class PlexServerSerializer(CheckedServerSerializer):
    key_field = "token"
    token = StrictCharField(write_only=True, max_length=200, trim_whitespace=True,
                            validators=[validate_credential], style={"input_type": "password"})

    class Meta:
        model = PlexServer
        fields = ["id", "name", "url", "token", "enabled", "verify", "machine_identifier",
                  "version", "created_at"]
        read_only_fields = ["machine_identifier", "version", "created_at"]

    def check(self, url: str, secret: str) -> dict[str, Any]:
        return plex_server_check(url=url, token=secret)


class PlexLibrarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PlexLibrary
        fields = ["id", "server", "key", "title", "type", "enabled", "retention_days",
                  "verify_hours", "last_synced_at", "last_complete_scan_at"]
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
    """Prefixes are stored in their canonical spelling (``/data/tv/`` becomes ``/data/tv``);
    a second mapping of the same Plex prefix on one server is refused."""

    class Meta:
        model = PathMapping
        fields = ["id", "server", "plex_prefix", "local_prefix"]
        validators: list = []  # validate() says which mapping it clashes with, per field

    def validate_plex_prefix(self, value: str) -> str:
        return normalize_plex_prefix(value)

    def validate_local_prefix(self, value: str) -> str:
        return normalize_local_prefix(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance or PathMapping()
        candidate = PathMapping(
            pk=instance.pk,
            server_id=getattr(attrs.get("server"), "pk", instance.server_id),
            plex_prefix=attrs.get("plex_prefix", instance.plex_prefix),
        )
        other = candidate.same_place()
        if other is not None:
            raise serializers.ValidationError({"plex_prefix": [  # "unique": answered 409
                f"This server already maps {other.plex_prefix!r}; edit mapping {other.pk}."]},
                code="unique")
        return attrs


class SyncRunSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True, allow_null=True)
    cluster_alive = serializers.SerializerMethodField(
        help_text="For a queued or running run: whether any job cluster is alive to work on "
                  "it (null once the run has ended).")

    def get_cluster_alive(self, run: SyncRun) -> bool | None:
        if run.status not in SyncRun.ACTIVE:
            return None
        if "cluster_alive" not in self.context:  # once per response, not per row
            from catalog.metrics.health import cluster_alive

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
