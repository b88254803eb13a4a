"""API viewsets: queryset, serializer, filterset, and little else."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from catalog.api import filters, serializers
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


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (throttled like every login)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class ShowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Show.objects.all()
    serializer_class = serializers.ShowSerializer
    filterset_class = filters.ShowFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "title", "premiered", "tvmaze_updated_at", "tvmaze_id"]


class EpisodeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Episode.objects.all()
    serializer_class = serializers.EpisodeSerializer
    filterset_class = filters.EpisodeFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "season", "number", "airdate"]


class PlexServerViewSet(viewsets.ModelViewSet):
    queryset = PlexServer.objects.all()
    serializer_class = serializers.PlexServerSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]


class PlexLibraryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PlexLibrary.objects.select_related("server")
    serializer_class = serializers.PlexLibrarySerializer
    filterset_class = filters.PlexLibraryFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "title", "last_synced_at"]


class MediaItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MediaItem.objects.select_related("plex_show")
    serializer_class = serializers.MediaItemSerializer
    filterset_class = filters.MediaItemFilterSet
    search_fields = ["title", "file_path"]
    ordering_fields = ["id", "title", "last_seen_at", "file_size", "missing_since"]


class PathMappingViewSet(viewsets.ModelViewSet):
    queryset = PathMapping.objects.all()
    serializer_class = serializers.PathMappingSerializer
    filterset_class = filters.PathMappingFilterSet
    ordering_fields = ["id", "plex_prefix"]


class SonarrServerViewSet(viewsets.ModelViewSet):
    queryset = SonarrServer.objects.all()
    serializer_class = serializers.SonarrServerSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]


class DiscoveryRuleViewSet(viewsets.ModelViewSet):
    queryset = DiscoveryRule.objects.all()
    serializer_class = serializers.DiscoveryRuleSerializer
    filterset_class = filters.DiscoveryRuleFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name"]


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Decision.objects.all()
    serializer_class = serializers.DecisionSerializer
    filterset_class = filters.DecisionFilterSet
    ordering_fields = ["id", "updated_at", "status"]


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SyncRun.objects.all()
    serializer_class = serializers.SyncRunSerializer
    filterset_class = filters.SyncRunFilterSet
    ordering_fields = ["id", "created_at", "finished_at"]
