"""API viewsets: queryset, serializer, filterset, and little else."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, parsers, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from catalog.api import filters, serializers
from catalog.api.parsers import JSONParser
from catalog.api.sync_views import LibrarySyncRequest, enqueue_response
from catalog.auth.addresses import client_address
from catalog.auth.roles import Role
from catalog.auth.throttle import describe_wait, refused_for, request_lockout
from catalog.models import (
    Episode,
    MediaItem,
    PathMapping,
    PlexLibrary,
    PlexServer,
    SyncRun,
)
from catalog.paths.resolve import resolve_local_path
from catalog.runs import run_cancel


class LoginRateThrottle(ScopedRateThrottle):
    """The ``login`` rate per client address (trusted proxies considered), never per
    whatever X-Forwarded-For a client makes up."""

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (throttled like every login)."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
    throttle_classes = [LoginRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A locked-out (user, address) gets 429 with Retry-After, before any password check."""
        username = request.data.get("username") if hasattr(request.data, "get") else None
        _raise_if_locked(request_lockout(request, str(username) if username is not None
                                         else None))
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            _raise_if_locked(refused_for(request))  # the trimmed name was the locked one
            raise


def _raise_if_locked(seconds: int) -> None:
    if seconds:
        raise Throttled(wait=seconds, detail=(
            "Too many failed logins for this account from your address; "
            f"try again in {describe_wait(seconds)}."))


@csrf_exempt
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """No API route matches: say so in JSON, like every other API answer."""
    return JsonResponse({"detail": "Not found."}, status=404)


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

    @extend_schema(request=None, responses={202: serializers.SyncRunSerializer})
    @action(detail=True, methods=["post"])
    def discover(self, request: Request, pk: str | None = None) -> Response:
        """List the server's sections into libraries (admin); 202 with the run."""
        server = self.get_object()
        return enqueue_response(request, SyncRun.Kind.PLEX, {"server_id": server.pk})


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


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SyncRun.objects.all()
    serializer_class = serializers.SyncRunSerializer
    filterset_class = filters.SyncRunFilterSet
    ordering_fields = ["id", "created_at", "finished_at"]
    action_roles = {"cancel": Role.OPERATOR}

    @extend_schema(request=None, responses={
        200: serializers.SyncRunSerializer, 202: serializers.SyncRunSerializer,
        409: inline_serializer("RunFinished", {"detail": drf_serializers.CharField()}),
    })
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a queued run now (200), or ask a running one to stop at its next page
        (202); 409 when it has already finished."""
        run, outcome = run_cancel(self.get_object().pk, by=request.user.get_username())
        if outcome == "finished":
            return Response({"detail": f"run {run.pk} has already {run.status}"},
                            status=status.HTTP_409_CONFLICT)
        code = status.HTTP_200_OK if outcome == "cancelled" else status.HTTP_202_ACCEPTED
        return Response(serializers.SyncRunSerializer(run).data, status=code)
