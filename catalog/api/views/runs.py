"""Runs: the triggers answer at once with 202 and the queued run (the work happens in a
worker); the history lists runs and cancels one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import filters
from catalog.api.fields import StrictBooleanField, StrictIntegerField
from catalog.api.serializers import SyncRunSerializer
from catalog.auth.roles import Role
from catalog.models import SyncRun
from catalog.runs import RunInProgress, run_cancel
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue
from catalog.sync.exceptions import ShowNotFoundInLibrary
from catalog.sync.tmdb.show import tmdb_ids_check


class TvmazeSyncRequest(serializers.Serializer):
    full = StrictBooleanField(default=False, help_text="Walk the whole index.")


class LibrarySyncRequest(serializers.Serializer):
    deep = StrictBooleanField(default=False, help_text="Re-read the whole library flat.")


def enqueue_response(request: Request, kind: str, options: dict) -> Response:
    """202 with the queued run, or 409 naming the run already active."""
    try:
        run = sync_enqueue(kind=kind, options=options, triggered_by=request.user.get_username())
    except RunInProgress as exc:
        return Response({"detail": str(exc), "run": exc.run.pk}, status=status.HTTP_409_CONFLICT)
    except EnqueueFailed as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    run.refresh_from_db()
    return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class TvmazeSyncView(APIView):
    """Start a TVMaze sync (operator)."""

    write_role = Role.OPERATOR

    @extend_schema(request=TvmazeSyncRequest, responses={202: SyncRunSerializer})
    def post(self, request: Request) -> Response:
        body = TvmazeSyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        return enqueue_response(request, SyncRun.Kind.TVMAZE, {"full": body.validated_data["full"]})


class TmdbSyncRequest(serializers.Serializer):
    force = StrictBooleanField(default=False, help_text="Refresh even fresh shows.")
    tmdb_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**31 - 1), required=False,
        min_length=1, max_length=1000,
        help_text="Only these shows (any catalog show); default: every library show.")

    def validate_tmdb_ids(self, value: list[int]) -> list[int]:
        ids = sorted(set(value))
        try:
            tmdb_ids_check(ids)
        except ShowNotFoundInLibrary as exc:
            raise serializers.ValidationError(str(exc), code="not_found") from None  # 404
        return ids


class TmdbSyncView(APIView):
    """Start a TMDB refresh of the library, or of chosen shows (operator)."""

    write_role = Role.OPERATOR

    @extend_schema(request=TmdbSyncRequest, responses={202: SyncRunSerializer})
    def post(self, request: Request) -> Response:
        body = TmdbSyncRequest(data=request.data)
        body.is_valid(raise_exception=True)
        options = {"force": body.validated_data["force"]}
        if "tmdb_ids" in body.validated_data:
            options["tmdb_ids"] = body.validated_data["tmdb_ids"]
        return enqueue_response(request, SyncRun.Kind.TMDB, options)


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SyncRun.objects.all()
    serializer_class = SyncRunSerializer
    filterset_class = filters.SyncRunFilterSet
    ordering_fields = ["id", "created_at", "finished_at"]
    action_roles = {"cancel": Role.OPERATOR}

    @extend_schema(request=None, responses={
        200: SyncRunSerializer, 202: SyncRunSerializer,
        409: inline_serializer("RunFinished", {"detail": serializers.CharField()}),
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
        return Response(SyncRunSerializer(run).data, status=code)
