"""Adding a show by one external id: a row now, the parts later (no upstream call here)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Show
from catalog.sync.loading.queue import loaders_kick_safely, show_request
from catalog.sync.loading.state import PARTS, Status

ID_FIELDS = ("tvmaze_id", "tmdb_id", "tvdb_id", "imdb_id")
LABELS = {"tvmaze_id": "TVMaze", "tmdb_id": "TMDB", "tvdb_id": "TVDB", "imdb_id": "IMDb"}


@dataclass(frozen=True, slots=True)
class AddResult:
    show: Show
    created: bool
    queued: bool


def _existing(field: str, value: int | str, by: str) -> AddResult | None:
    show = Show.objects.filter(**{field: value}).first()
    if show is None:
        return None
    # An operator asked for it: it now belongs to the library, whatever it was before.
    Show.objects.filter(pk=show.pk, added_at__isnull=True).update(
        added_at=timezone.now(), added_by=by[:150])
    queued = show_request(show)
    show.refresh_from_db()
    return AddResult(show, created=False, queued=queued)


def show_add(*, field: str, value: int | str, by: str = "") -> AddResult:
    """The show holding this id (its missing parts queued), or a new pending show.

    Two requests adding the same new id at once meet on the id's unique constraint: one
    creates, the other finds.
    """
    if field not in ID_FIELDS:
        raise ValueError(f"cannot add a show by {field!r}")
    found = _existing(field, value, by)
    if found is not None:
        return found
    now = timezone.now()
    try:
        with transaction.atomic():
            show = Show.objects.create(
                title=f"{LABELS[field]} {value}", **{field: value},
                loading_status=Status.PENDING, loading_parts=list(PARTS), loading_next_at=now,
                loading_changed_at=now, added_at=now, added_by=by[:150])
    except IntegrityError:
        found = _existing(field, value, by)
        if found is None:
            raise
        return found
    transaction.on_commit(loaders_kick_safely)
    return AddResult(show, created=True, queued=True)
