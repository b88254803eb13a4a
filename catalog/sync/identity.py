"""Two catalog rows that turn out to be one show: one absorbs the other.

Both ways the catalog finds that out call :func:`shows_absorb`: the TVMaze page writer (shows
it mirrors gain the ids of Plex placeholders, many to a page) and the loader (a show added by
one id is a show the catalog already holds; :func:`show_absorb`). Call inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, Value, When
from django.utils import timezone

from catalog.db.lists import one_of
from catalog.models import PlexShow, Show

IDS = ("tvdb_id", "imdb_id", "tmdb_id")


@dataclass(frozen=True, slots=True)
class Absorbed:
    """What moved: ``carried`` ids went to the target; ``left`` ids did not, because the
    target has its own or another show holds them (they go with the absorbed row). ``ids``
    are the target's external ids once it took them."""

    target_id: int
    carried: dict[str, int | str]
    left: dict[str, int | str]
    added: bool  # the operator's add moved over
    ids: dict[str, int | str | None]


def show_absorb(source: Show | int, target: Show | int, *, decide: bool = True) -> Absorbed:
    """Absorb ``source`` into ``target`` (see :func:`shows_absorb`); a ``Show`` passed as
    ``target`` is refreshed with the ids it took."""
    done = shows_absorb([(_pk(source), _pk(target))], decide=decide)[0]
    if isinstance(target, Show):
        for name, value in done.ids.items():
            setattr(target, name, value)
    return done


def shows_absorb(pairs: Sequence[tuple[int, int]], *, decide: bool = True) -> list[Absorbed]:
    """Absorb each ``(source, target)`` pair's source into its target, in order, then delete
    the sources: a few statements for the lot, not a dozen per pair.

    A target takes its sources' Plex links, the external ids it lacks that no other show
    holds, and the operator's add (``added_at``/``added_by``) when it has none; then it is
    decided again (an id may have arrived) and, when it is in the library, its missing parts
    are queued. ``decide=False`` leaves the deciding to a caller that decides the targets
    anyway (the page writer's hook, in the same transaction). Sources are never targets.
    """
    from catalog.models.library import library_shows
    from catalog.rules.decide import decide_shows
    from catalog.sync.loading.queue import shows_request_as_read

    if not pairs:
        return []
    sources = [source for source, _ in pairs]
    targets = list(dict.fromkeys(target for _, target in pairs))
    rows = {row["id"]: row for row in Show.objects.filter(pk__in=one_of(sources))
            .values("id", *IDS, "added_at", "added_by")}
    if len(rows) < len(set(sources)):
        raise Show.DoesNotExist("a show to absorb is gone")
    PlexShow.objects.filter(show_id__in=one_of(sources)).update(
        show_id=Case(*(When(show_id=s, then=Value(t)) for s, t in pairs)))
    Show.objects.filter(pk__in=one_of(sources)).delete()  # frees their ids
    holders = Show.objects.select_for_update().in_bulk(targets)
    taken = _held_elsewhere([rows[source] for source in sources])
    out: list[Absorbed] = []
    changed: dict[int, set[str]] = {}
    for source, target in pairs:
        holder = holders[target]
        carried, left = _carry(holder, rows[source], taken)
        added = rows[source]["added_at"] is not None and holder.added_at is None
        if added:
            holder.added_at, holder.added_by = rows[source]["added_at"], rows[source]["added_by"]
        fields = [*carried, *(("added_at", "added_by") if added else ())]
        if fields:
            changed.setdefault(target, set()).update(fields)
        out.append(Absorbed(target, carried, left, added,
                            {name: getattr(holder, name) for name in IDS}))
    _save(holders, changed)
    if decide:
        decide_shows(targets)
    in_library = set(library_shows(Show.objects.filter(pk__in=one_of(targets)))
                     .values_list("id", flat=True))
    shows_request_as_read([holders[t] for t in targets if t in in_library])
    return out


def _pk(show: Show | int) -> int:
    return show.pk if isinstance(show, Show) else show


def _held_elsewhere(rows: list[dict]) -> dict[str, dict[int | str, int]]:
    """Per id kind, which show now holds each of the sources' values (one query a kind)."""
    taken: dict[str, dict[int | str, int]] = {}
    for name in IDS:
        values = {row[name] for row in rows if row[name] is not None}
        taken[name] = dict(Show.objects.filter(**{f"{name}__in": one_of(values)})
                           .values_list(name, "id")) if values else {}
    return taken


def _carry(holder: Show, row: dict, taken: dict[str, dict[int | str, int]]
           ) -> tuple[dict, dict]:
    """Set on ``holder`` the ids of ``row`` it lacks and no other show holds."""
    carried: dict[str, int | str] = {}
    left: dict[str, int | str] = {}
    for name in IDS:
        value = row[name]
        if value is None or getattr(holder, name) == value:
            continue
        if getattr(holder, name) is None and taken[name].get(value, holder.pk) == holder.pk:
            setattr(holder, name, value)
            carried[name] = value
        else:
            left[name] = value
    return carried, left


def _save(holders: dict[int, Show], changed: dict[int, set[str]]) -> None:
    """Write what the targets took: one UPDATE per set of changed fields."""
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Show]] = {}
    for pk, fields in changed.items():
        holders[pk].updated_at = now
        groups.setdefault(tuple(sorted(fields)), []).append(holders[pk])
    for fields, shows in groups.items():
        Show.objects.bulk_update(shows, [*fields, "updated_at"])
