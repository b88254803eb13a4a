"""Shows in the API: TMDB enrichment state, episode slots, and the per-show TMDB refresh."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import loading_views
from catalog.api.fields import StrictBooleanField
from catalog.api.filters import ShowFilterSet
from catalog.api.filterset import BooleanFilter
from catalog.api.serializers import ShowSerializer
from catalog.exceptions import ShowNotFoundInLibrary, ShowNotOnTmdb
from catalog.library import LIBRARY_DECISIONS
from catalog.models import Decision, PlexShow, Show
from catalog.roles import Role
from catalog.slots import SlotMap, slot_maps
from catalog.sync.tmdb import show_refresh
from integrations.errors import ErrorKind, UpstreamError

EXTRA_FIELDS = ["in_library", "operator_added", "tmdb_series_status", "slots_have",
                "slots_expected"]


def shows_annotated(shows: QuerySet[Show]) -> QuerySet[Show]:
    """Shows with ``in_library`` computed in the same query (two EXISTS per row)."""
    return shows.annotate(
        in_plex_=Exists(PlexShow.objects.filter(show_id=OuterRef("pk"))),
        in_sonarr_=Exists(Decision.objects.filter(show_id=OuterRef("pk"),
                                                  status__in=LIBRARY_DECISIONS)),
    )


class ShowListSerializer(serializers.ListSerializer):
    """Computes the slot maps of a whole page in one query, then serializes each show."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        shows = list(data.all() if hasattr(data, "all") else data)
        self.child.context["slot_maps"] = slot_maps(shows)
        return [self.child.to_representation(show) for show in shows]


class LibraryShowSerializer(ShowSerializer):
    in_library = serializers.SerializerMethodField()
    slots_have = serializers.SerializerMethodField()
    slots_expected = serializers.SerializerMethodField()

    class Meta(ShowSerializer.Meta):
        fields = [*ShowSerializer.Meta.fields, *EXTRA_FIELDS]
        read_only_fields = fields
        list_serializer_class = ShowListSerializer

    def _slots(self, show: Show) -> SlotMap:
        maps = self.context.setdefault("slot_maps", {})
        if show.pk not in maps:
            maps.update(slot_maps([show]))
        return maps[show.pk]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_library(self, show: Show) -> bool:
        return bool(getattr(show, "in_plex_", False) or getattr(show, "in_sonarr_", False)
                    or show.operator_added)

    @extend_schema_field(OpenApiTypes.INT)
    def get_slots_have(self, show: Show) -> int:
        return self._slots(show).have

    @extend_schema_field(OpenApiTypes.INT)
    def get_slots_expected(self, show: Show) -> int:
        return self._slots(show).expected


SeasonSlotsSchema = inline_serializer("SeasonSlots", {
    "season": serializers.IntegerField(), "expected": serializers.IntegerField(),
    "have": serializers.IntegerField(), "held": serializers.ListField(
        child=serializers.IntegerField()),
    "missing": serializers.ListField(child=serializers.IntegerField()),
    "missing_count": serializers.IntegerField()})
EpisodeSlotsSchema = inline_serializer("EpisodeSlots", {
    "have": serializers.IntegerField(), "expected": serializers.IntegerField(),
    "summary": serializers.CharField(), "in_plex": serializers.BooleanField(),
    "warning": serializers.CharField(allow_null=True),
    "seasons": serializers.ListField(child=SeasonSlotsSchema)})


class ShowDetailSerializer(LibraryShowSerializer):
    episode_slots = serializers.SerializerMethodField()

    class Meta(LibraryShowSerializer.Meta):
        fields = [*LibraryShowSerializer.Meta.fields, "episode_slots"]
        read_only_fields = fields

    @extend_schema_field(EpisodeSlotsSchema)
    def get_episode_slots(self, show: Show) -> dict[str, Any]:
        return self._slots(show).as_dict()


class LibraryShowFilterSet(ShowFilterSet):
    in_library = BooleanFilter(method="filter_in_library")

    class Meta(ShowFilterSet.Meta):
        pass

    def filter_in_library(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        from catalog.library import library_q

        if value is None:
            return queryset
        return queryset.filter(library_q()) if value else queryset.exclude(library_q())


class ShowSyncRequest(serializers.Serializer):
    force = StrictBooleanField(default=False,
                                     help_text="Refresh even when the TMDB facts are fresh.")


class ShowViewSet(loading_views.ShowLoadingActions, viewsets.ReadOnlyModelViewSet):
    queryset = shows_annotated(Show.objects.all())
    serializer_class = LibraryShowSerializer
    filterset_class = LibraryShowFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "title", "premiered", "tvmaze_updated_at", "tvmaze_id",
                       "tmdb_fetched_at"]
    action_roles = {"sync": Role.OPERATOR, **loading_views.LOADING_ACTION_ROLES}

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ShowDetailSerializer if self.action in ("retrieve", "sync") else \
            LibraryShowSerializer

    @extend_schema(request=ShowSyncRequest, responses={
        200: ShowDetailSerializer, 404: OpenApiTypes.OBJECT, 502: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Refresh this show from TMDB now (operator): 200 with the show, 404 when TMDB has
        no such show (``kind: not_found`` when it no longer knows the stored id), 502 when
        TMDB fails. Fresh facts are kept unless ``force``."""
        show = self.get_object()
        body = ShowSyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            show_refresh(show, force=body.validated_data["force"])
        except (ShowNotFoundInLibrary, ShowNotOnTmdb) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except UpstreamError as exc:
            gone = exc.kind is ErrorKind.NOT_FOUND  # TMDB no longer knows the stored id
            return Response({"detail": str(exc), "kind": exc.kind.value},
                            status=status.HTTP_404_NOT_FOUND if gone
                            else status.HTTP_502_BAD_GATEWAY)
        fresh = self.get_queryset().get(pk=show.pk)
        return Response(self.get_serializer(fresh).data)
