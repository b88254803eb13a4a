"""Helpers for the schemathesis run: seed rows, keep jobs queued, aim writes at real rows."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from django_q.conf import Conf
from rest_framework.relations import PrimaryKeyRelatedField
from schemathesis.pytest.lazy import get_all_tests

from catalog.rules import vocab
from integrations.fakes.tmdb import DEFAULT_API_KEY, TmdbFake
from tests import factories


@dataclass
class Run:
    operations: set[str] = field(default_factory=set)
    examples: int = 0
    failures: list[str] = field(default_factory=list)


@contextlib.contextmanager
def upstreams_on_loopback(monkeypatch, settings) -> Iterator[None]:
    """Triggers enqueue for real but no task runs here; what a request asks of an upstream
    synchronously (a show's TMDB refresh) goes to the TMDB fake; nothing leaves the machine."""
    monkeypatch.setattr(Conf, "SYNC", False)
    settings.TVMAZE_BASE_URL = "http://127.0.0.1:9"
    settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_MAX_RETRIES = 0.2, 0
    # Thousands of refused webhook calls from one address: the fuzzer checks each is a 401,
    # so the refused-call limit (tested on its own) must not answer 429 first.
    settings.SONARR_WEBHOOK_RATE = 10**9
    with TmdbFake(count=50, seed=11) as tmdb:
        settings.TMDB_BASE_URL, settings.TMDB_API_KEY = tmdb.url, DEFAULT_API_KEY
        settings.TMDB_RATE_CALLS = 0
        yield


@contextlib.contextmanager
def connection_kept_open() -> Iterator[None]:
    """Serve WSGI calls inside the test's transaction, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def seed_rows() -> None:
    """A few rows of every kind, so that ids and references can point at something."""
    for _ in range(3):
        library = factories.PlexLibraryFactory()
        plex_show = factories.PlexShowFactory(library=library)
        factories.MediaItemFactory(plex_show=plex_show, library=library)
        factories.EpisodeFactory(show=plex_show.show)
        factories.PathMappingFactory(server=library.server)
        factories.DecisionFactory()
        factories.SyncRunFactory(status="succeeded")
        factories.SyncRunFactory(status="queued")  # something to cancel
        factories.SonarrServerFactory()


def _view(path: str) -> Any:
    try:
        match = resolve(re.sub(r"\{[^}]+\}", "1", path))
    except Resolver404:
        return None
    return getattr(match.func, "cls", None), getattr(match.func, "actions", None) or {}


def _existing_ids(queryset) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:20])


def _aim(case) -> Any:
    """Positive cases: point the path id and body references at existing rows, half the time.

    Negative cases are left alone: a repaired invalid request would be a false failure.
    """
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return case
    found = _view(case.operation.path)
    if not found or found[0] is None:
        return case
    view_class, actions = found
    view = view_class(**({"action": actions.get(case.method.lower())} if actions else {}))
    view.format_kwarg = None
    params = case.path_parameters or {}
    queryset = getattr(view_class, "queryset", None)
    if "id" in params and queryset is not None and isinstance(params["id"], int) \
            and params["id"] % 2 == 0:
        ids = _existing_ids(queryset.model.objects.all())
        if ids:
            params["id"] = ids[params["id"] // 2 % len(ids)]
    if isinstance(case.query, dict):
        _one_paging(case.query)
    if isinstance(case.body, dict):
        _order_ranges(case.body)
    if isinstance(case.body, dict) and hasattr(view, "get_serializer_class"):
        try:
            serializer = view.get_serializer_class()()
        except Exception:
            return case
        if "verify" in serializer.fields:
            case.body["verify"] = False  # never dial a generated host name
        for name, field in serializer.fields.items():
            if isinstance(field, PrimaryKeyRelatedField) and not field.read_only \
                    and isinstance(case.body.get(name), int):
                ids = _existing_ids(field.get_queryset())
                if ids:
                    case.body[name] = ids[case.body[name] % len(ids)]
    return case


def _order_ranges(body: dict) -> None:
    """A selection's ranges must not be empty (``premiered_from`` < ``premiered_before``,
    ``runtime_min`` <= ``runtime_max``): a rule between two fields that JSON Schema cannot
    state (the schema says it in words). Positive cases drop the upper bound of an empty one,
    as they point references at rows that exist; the API's refusal is pinned by
    tests/api/test_hostile_input.py."""
    selections = body.get("selections")
    for selection in selections if isinstance(selections, list) else ():
        if isinstance(selection, dict):
            for name in vocab.range_errors(selection):
                selection[name] = None


def _one_paging(query: dict) -> None:
    """A list pages by number or by cursor, not both, and a cursor walks by id alone: rules
    between parameters that JSON Schema cannot state (the schema says them in words), and a
    cursor keeps the direction of the walk that gave it out.
    Positive cases keep the cursor's side; the 400s are pinned by
    tests/api/test_cursor_paging.py."""
    if query.get("paging") == "page":
        query.pop("cursor", None)
    if query.get("paging") == "cursor" or "cursor" in query:
        query.pop("page", None)
        ordering = query.get("ordering")
        if ordering is not None and ordering not in ("id", "-id", ["id"], ["-id"]):
            query.pop("ordering")
        cursor = query.get("cursor")
        if isinstance(cursor, str) and cursor[:1] in ("y", "z"):  # a walk by -id gave it out
            query["ordering"] = "-id"
        elif isinstance(cursor, str):
            query.pop("ordering", None)


def _summary(exc: BaseException) -> str:
    """The failure's message without the HTML bodies and curl lines around it."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return "\n  ".join(lines[:12])


def run_schemathesis(headers: dict[str, str], hypothesis_settings: Any) -> Run:
    """Load /api/schema/ as this user and run every operation's test; collect failures.

    This is what schemathesis' ``from_fixture(...).parametrize()`` does (same per-operation
    tests, phases and default checks) minus its pytest subtest reporting, which does not
    work with pytest 9; one assertion lists every failing operation instead.
    """
    from mediasync.wsgi import application

    def local_client(environ: dict, start_response: Any) -> Any:
        """Werkzeug's test client sends no peer address; a browser on this machine would."""
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return application(environ, start_response)

    run = Run()
    with connection_kept_open():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", local_client,
                                                headers=headers)

        @schema.hook
        def map_case(context, case):
            return _aim(case)

        def test(case) -> None:
            run.examples += 1
            case.call_and_validate(headers=headers)

        for result in get_all_tests(schema=schema, test_func=test,
                                    settings=hypothesis_settings, given_kwargs={}):
            operation, sub_test = result.ok()
            run.operations.add(operation.label)
            try:
                sub_test()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # one report per operation; go on
                run.failures.append(f"{operation.label}: {_summary(exc)}")
    return run
