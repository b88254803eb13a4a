"""Plex servers, their libraries, the items in them and the path mappings to local files."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import filters, serializers
from catalog.api.views.runs import LibrarySyncRequest, enqueue_response
from catalog.auth.roles import Role
from catalog.models import MediaItem, PathMapping, PlexLibrary, PlexServer, SyncRun
from catalog.paths.resolve import resolve_local_path
from catalog.sync.plex.library import plex_libraries_select
from catalog.sync.plex.queue import plex_libraries_enqueue

ScansStarted = inline_serializer("PlexScansStarted", {
    "runs": serializers.SyncRunSerializer(many=True),
    "busy": drf_serializers.ListField(child=drf_serializers.IntegerField(),
                                      help_text="The active runs of libraries left alone.")})


def scans_response(request: Request, *, server_id: int | None = None) -> Response:
    """Queue one scan per enabled library (of one server, or of all): 202 with the runs and
    the runs of libraries already being scanned; 409 when nothing was queued."""
    body = LibrarySyncRequest(data=request.data)
    body.is_valid(raise_exception=True)
    libraries = plex_libraries_select(server_id=server_id)
    if not libraries:
        return Response({"detail": "no enabled library on an enabled server (run discovery "
                                   "first?)", "busy": []}, status=status.HTTP_409_CONFLICT)
    queued = plex_libraries_enqueue(libraries, deep=body.validated_data["deep"],
                                    triggered_by=request.user.get_username())
    busy = [run.pk for _, run in queued.busy]
    if queued.refused:
        return Response({"detail": queued.refused}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if not queued.runs:
        return Response({"detail": "every library is already being scanned", "busy": busy},
                        status=status.HTTP_409_CONFLICT)
    runs = SyncRun.objects.filter(pk__in=[run.pk for run in queued.runs]).order_by("pk")
    return Response({"runs": serializers.SyncRunSerializer(runs, many=True).data,
                     "busy": busy}, status=status.HTTP_202_ACCEPTED)


class PlexScansView(APIView):
    """Scan every enabled library of every enabled server (operator), one run each."""

    write_role = Role.OPERATOR

    @extend_schema(request=LibrarySyncRequest, responses={202: ScansStarted})
    def post(self, request: Request) -> Response:
        return scans_response(request)


class PlexServerViewSet(viewsets.ModelViewSet):
    queryset = PlexServer.objects.all()
    serializer_class = serializers.PlexServerSerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    action_roles = {"sync": Role.OPERATOR}

    @extend_schema(request=None, responses={202: serializers.SyncRunSerializer})
    @action(detail=True, methods=["post"])
    def discover(self, request: Request, pk: str | None = None) -> Response:
        """List the server's sections into libraries (admin); 202 with the run."""
        server = self.get_object()
        return enqueue_response(request, SyncRun.Kind.PLEX, {"server_id": server.pk})

    @extend_schema(request=LibrarySyncRequest, responses={202: ScansStarted})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Scan each enabled library of this server now (operator), one run each; 202 with
        the runs, libraries already being scanned listed in ``busy``."""
        return scans_response(request, server_id=self.get_object().pk)


class PlexLibraryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PlexLibrary.objects.select_related("server")
    serializer_class = serializers.PlexLibrarySerializer
    filterset_class = filters.PlexLibraryFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "title", "last_synced_at"]
    action_roles = {"sync": Role.OPERATOR}

    @extend_schema(request=LibrarySyncRequest, responses={202: serializers.SyncRunSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Scan this library now (operator); 202 with the run, 409 if one is active."""
        library = self.get_object()
        body = LibrarySyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        return enqueue_response(request, SyncRun.Kind.PLEX,
                                {"library_id": library.pk, "deep": body.validated_data["deep"]})


class MediaItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MediaItem.objects.select_related("plex_show").order_by("id")
    serializer_class = serializers.MediaItemSerializer
    filterset_class = filters.MediaItemFilterSet
    search_fields = ["title", "file_path"]
    ordering_fields = ["id", "title", "last_seen_at", "file_size", "missing_since"]

    @extend_schema(responses=inline_serializer("LocalPath", {
        "plex_path": drf_serializers.CharField(),
        "local_path": drf_serializers.CharField(allow_null=True)}))
    @action(detail=True, methods=["get"], url_path="local-path")
    def local_path(self, request: Request, pk: str | None = None) -> Response:
        """Where mediasync finds this item's file (null when no mapping resolves it)."""
        item = self.get_object()
        server_id = PlexLibrary.objects.values_list("server_id", flat=True).get(
            pk=item.library_id)
        return Response({"plex_path": item.file_path,
                         "local_path": resolve_local_path(server_id, item.file_path or None)})


class PathMappingViewSet(viewsets.ModelViewSet):
    queryset = PathMapping.objects.all()
    serializer_class = serializers.PathMappingSerializer
    filterset_class = filters.PathMappingFilterSet
    ordering_fields = ["id", "plex_prefix"]
