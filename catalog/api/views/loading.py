"""Adding shows, asking for loads, their status, their artwork and the live feed.

The live feed is short polling (``GET /api/live/?since=<cursor>``): two indexed queries per
poll, so an open dashboard never holds a gunicorn sync worker the way a stream would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.fields import StrictDateTimeField, StrictIntegerField
from catalog.api.serializers import ShowSerializer
from catalog.auth.roles import Role
from catalog.models import Show, SyncRun
from catalog.models.validators import IMDB_ID, imdb_id_ok
from catalog.sync.loading import PARTS, loading_state, show_add, show_request
from catalog.sync.loading.add import ID_FIELDS
from catalog.sync.loading.artwork import artwork_file
from catalog.sync.loading.state import ACTIVE

MAX_ID = 2**31 - 1
LIVE_OVERLAP = timedelta(seconds=5)  # rows committed just after a poll still show next time
LIVE_HOLD_MAX = timedelta(minutes=10)  # a transaction open longer than this is not a loader's
LIVE_LIMIT = 200
ARTWORK_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _id_field() -> serializers.IntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)


class ShowAddRequest(serializers.Serializer):
    """Exactly one id, of the kind named."""

    openapi_exactly_one_of = ID_FIELDS

    tvmaze_id = _id_field()
    tmdb_id = _id_field()
    tvdb_id = _id_field()
    imdb_id = serializers.RegexField(
        IMDB_ID, required=False, trim_whitespace=False,
        error_messages={"invalid": "An IMDb id looks like tt0944947."})

    def validate_imdb_id(self, value: str) -> str:
        """The pattern's ``$`` would let a trailing newline through; the whole text must match."""
        if not imdb_id_ok(value):
            raise serializers.ValidationError("An IMDb id looks like tt0944947.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ID_FIELDS if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                f"Give exactly one of {', '.join(ID_FIELDS)} (got {len(given)}).")
        return {"field": given[0], "value": attrs[given[0]]}


class LoadRequest(serializers.Serializer):
    parts = serializers.ListField(
        child=serializers.ChoiceField(choices=PARTS), required=False, allow_empty=False,
        max_length=len(PARTS),
        help_text="Parts to load again; default: the missing and failed ones.")


class LoadingSerializer(serializers.Serializer):
    """The seed-style status object of one show's load."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    loading_status = serializers.ChoiceField(choices=Show.LoadingStatus.choices)
    progress = serializers.DictField(child=serializers.BooleanField())
    parts = serializers.ListField(child=serializers.CharField())
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    next_try_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()
    error = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.CharField())


def add_response(request: Request) -> Response:
    """202 with a new pending show, 200 with an existing one (its missing parts queued)."""
    body = ShowAddRequest(data=request.data)
    body.is_valid(raise_exception=True)
    result = show_add(**body.validated_data, by=request.user.get_username())
    code = status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK
    return Response(ShowSerializer(result.show, context={"request": request}).data, status=code)


def load_response(request: Request, show: Show) -> Response:
    """202 when parts were queued; 200 when nothing is missing; 409 while a load is on."""
    body = LoadRequest(data=request.data)
    body.is_valid(raise_exception=True)
    if show.loading_status in ACTIVE:
        return Response({"detail": f"The show is already {show.loading_status}.",
                         **loading_state(show)}, status=status.HTTP_409_CONFLICT)
    queued = show_request(show, body.validated_data.get("parts"))
    if not queued:
        show.refresh_from_db()
        if show.loading_status in ACTIVE:
            return Response({"detail": f"The show is already {show.loading_status}.",
                             **loading_state(show)}, status=status.HTTP_409_CONFLICT)
    code = status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
    return Response(LoadingSerializer(loading_state(show)).data, status=code)


def artwork_response(show: Show, kind: str) -> FileResponse:
    found = artwork_file(show, kind)
    if found is None:
        raise NotFound(f"No {kind} for this show.")
    path, content_type = found
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    # An SVG (TMDB logos often are) may carry script: opened from this origin it must not run.
    response["Content-Security-Policy"] = ARTWORK_POLICY
    return response


class LiveRequest(serializers.Serializer):
    since = StrictDateTimeField(required=False, help_text=(
        "The `cursor` of the previous answer (RFC 3339); leave it out for the first poll."))
    after = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text=(
        "The `after` of the previous answer when it had `more`: shows stamped in one "
        "statement share a time, so a page may end inside them. Ignored without `since`."))


def _run(run: SyncRun) -> dict[str, Any]:
    return {"id": run.pk, "kind": run.kind, "scope": run.scope, "status": run.status,
            "processed": run.processed, "changed": run.changed, "errors": run.errors,
            "total": run.total, "progress": run.progress, "started_at": run.started_at,
            "finished_at": run.finished_at, "error": run.error,
            "last_event": run.events[-1] if run.events else None}


def _open_since(now: datetime) -> datetime:
    """When the oldest transaction still open on PostgreSQL began (else ``now``).

    A writer takes its time before it commits, and a row lock or a long page transaction can
    hold the commit back for longer than the overlap: a cursor past that time would skip the
    row for good once it commits. So the cursor stays behind every open transaction of our
    database, but never more than ``LIVE_HOLD_MAX`` behind (a forgotten psql session must not
    make every poll resend the past hour). SQLite's writers take their turn before they start.
    """
    if connection.vendor != "postgresql":
        return now
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        oldest = cursor.fetchone()[0]
    return now if oldest is None else max(min(now, oldest), now - LIVE_HOLD_MAX)


class LiveView(APIView):
    """Loading and run changes since a cursor; poll it with the cursor it returned."""

    @extend_schema(parameters=[LiveRequest],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        # A plain dict: an empty ``since=`` is an error, not "no cursor" as a form would read it.
        query = LiveRequest(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        since, after = query.validated_data.get("since"), query.validated_data.get("after", 0)
        now = timezone.now()
        horizon = _open_since(now)  # read before the rows: what commits after is newer
        shows = Show.objects.exclude(loading_changed_at=None)
        runs = SyncRun.objects.order_by("-id")
        if since is None:
            shows = shows.filter(Q(loading_status__in=ACTIVE) | Q(
                loading_changed_at__gte=now - timedelta(hours=1)))
            runs = runs[:20]
        else:
            # Keyset over (time, id): a page ending inside one time's group resumes in it.
            shows = shows.filter(Q(loading_changed_at__gt=since)
                                 | Q(loading_changed_at=since, id__gt=after))
            runs = runs.filter(Q(created_at__gte=since) | Q(heartbeat_at__gte=since)
                               | Q(finished_at__gte=since))[:50]
        rows = list(shows.order_by("loading_changed_at", "id")[:LIVE_LIMIT + 1])
        more = len(rows) > LIVE_LIMIT
        rows = rows[:LIVE_LIMIT]
        cursor = rows[-1].loading_changed_at if more else horizon - LIVE_OVERLAP
        return Response({"cursor": cursor, "after": rows[-1].pk if more else None, "more": more,
                         "shows": LoadingSerializer([loading_state(s) for s in rows],
                                                    many=True).data,
                         "runs": [_run(r) for r in runs]})


LOADING_ACTION_ROLES = {"create": Role.OPERATOR, "load": Role.OPERATOR}


class ShowLoadingActions:
    """The show viewset's adding and loading actions; give the viewset
    ``action_roles = {**LOADING_ACTION_ROLES, ...}``."""

    @extend_schema(request=ShowAddRequest,
                   responses={202: ShowSerializer, 200: ShowSerializer})
    def create(self, request: Request) -> Response:
        """Add a show by one id (operator): 202 at once, its parts load in the background;
        200 with the show when the catalog has it already (its missing parts queued)."""
        return add_response(request)

    @extend_schema(request=LoadRequest, responses={202: LoadingSerializer, 200: LoadingSerializer})
    @action(detail=True, methods=["post"])
    def load(self, request: Request, pk: str | None = None) -> Response:
        """Load the missing and failed parts again, or the chosen ones (operator)."""
        return load_response(request, self.get_object())

    @extend_schema(responses={200: LoadingSerializer})
    @action(detail=True, methods=["get"])
    def loading(self, request: Request, pk: str | None = None) -> Response:
        """Where the show's background load stands."""
        return Response(LoadingSerializer(loading_state(self.get_object())).data)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"artwork/(?P<kind>poster|fanart|logo)")
    def artwork(self, request: Request, kind: str, pk: str | None = None) -> FileResponse:
        """The show's poster, fanart or logo file (any role)."""
        return artwork_response(self.get_object(), kind)
