"""Shows in the API: TMDB enrichment state, episode slots, and the per-show TMDB refresh."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import filters
from catalog.api.fields import StrictBooleanField
from catalog.api.filter_base import BooleanFilter
from catalog.api.filters import ShowFilterSet
from catalog.api.serializers import EpisodeSerializer, ShowSerializer
from catalog.api.views import loading as loading_views
from catalog.auth.roles import Role
from catalog.models import Episode, Show
from catalog.models.library import library_flag, library_q, library_shows
from catalog.sync.exceptions import ShowNotFoundInLibrary, ShowNotOnTmdb
from catalog.sync.tmdb import show_refresh
from catalog.sync.tmdb.slots import SlotMap, slot_maps
from integrations.errors import ErrorKind, UpstreamError

EXTRA_FIELDS = ["in_library", "operator_added", "tmdb_series_status", "slots_have",
                "slots_expected"]


def shows_annotated(shows: QuerySet[Show]) -> QuerySet[Show]:
    """Shows with ``in_library`` computed in the same query (``catalog.models.library``)."""
    return shows.annotate(in_library_=library_flag())


class ShowListSerializer(serializers.ListSerializer):
    """Computes the slot maps of a whole page in one query, then serializes each show."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        shows = list(data.all() if hasattr(data, "all") else data)
        self.child.context["slot_maps"] = slot_maps(shows)
        return [self.child.to_representation(show) for show in shows]


class LibraryShowSerializer(ShowSerializer):
    in_library = serializers.SerializerMethodField()
    operator_added = serializers.BooleanField(
        read_only=True, help_text="Added by an operator (``added_at`` is set).")
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
        if hasattr(show, "in_library_"):
            return bool(show.in_library_)
        return library_shows(Show.objects.filter(pk=show.pk)).exists()

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
        if value is None:
            return queryset
        return queryset.filter(library_q()) if value else queryset.exclude(library_q())


TmdbProblemSchema = inline_serializer("TmdbProblem", {
    "detail": serializers.CharField(),
    "kind": serializers.CharField(
        required=False, help_text="Set on every TMDB outcome: not_found, ambiguous, conflict, "
                                  "or the upstream error's kind (auth, transient, ...). An "
                                  "unknown show id is DRF's plain 404.")})


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
        200: ShowDetailSerializer, 404: TmdbProblemSchema, 409: TmdbProblemSchema,
        502: TmdbProblemSchema})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Refresh this show from TMDB now (operator): 200 with the show; 404
        ``kind: not_found`` when TMDB has no such show, whether ``/find`` never matched it or
        TMDB no longer knows its stored id; 409 ``kind: ambiguous`` when ``/find`` matches
        several TMDB shows and none is settled, ``kind: conflict`` when the match belongs to
        another show; 502 when TMDB fails. Fresh facts are kept unless ``force``."""
        show = self.get_object()
        body = ShowSyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            show_refresh(show, force=body.validated_data["force"])
        except ShowNotOnTmdb as exc:
            return _tmdb_problem(str(exc), exc.kind)
        except ShowNotFoundInLibrary as exc:  # re-keyed meanwhile: nobody carries the id
            return _tmdb_problem(str(exc), NOT_FOUND)
        except UpstreamError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:  # TMDB no longer knows the stored id
                return _tmdb_problem(f"not on TMDB (TMDB no longer knows id {show.tmdb_id})",
                                     NOT_FOUND)
            return _tmdb_problem(str(exc), exc.kind.value)
        fresh = self.get_queryset().get(pk=show.pk)
        return Response(self.get_serializer(fresh).data)


NOT_FOUND = ErrorKind.NOT_FOUND.value
TMDB_PROBLEM_STATUS = {NOT_FOUND: status.HTTP_404_NOT_FOUND, "ambiguous": status.HTTP_409_CONFLICT,
                       "conflict": status.HTTP_409_CONFLICT}


def _tmdb_problem(detail: str, kind: str) -> Response:
    """One body shape for every way a show's TMDB refresh fails: ``{"detail", "kind"}``."""
    return Response({"detail": detail, "kind": kind},
                    status=TMDB_PROBLEM_STATUS.get(kind, status.HTTP_502_BAD_GATEWAY))


class EpisodeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Episode.objects.all()
    serializer_class = EpisodeSerializer
    filterset_class = filters.EpisodeFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "season", "number", "airdate"]
