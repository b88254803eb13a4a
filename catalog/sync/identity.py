"""Two catalog rows that turn out to be one show: one absorbs the other.

Both ways the catalog finds that out call :func:`show_absorb`: the TVMaze page writer (a show
it mirrors gains the id of a Plex placeholder) and the loader (a show added by one id is a
show the catalog already holds). Call inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Decision, PlexShow, Show
from catalog.rules import engine

IDS = ("tvdb_id", "imdb_id", "tmdb_id")


@dataclass(frozen=True, slots=True)
class Absorbed:
    """What moved: ``carried`` ids went to the target; ``left`` ids did not, because the
    target has its own or another show holds them (they go with the absorbed row)."""

    target_id: int
    carried: dict[str, int | str]
    left: dict[str, int | str]
    added: bool  # the operator's add moved over


def show_absorb(source: Show | int, target: Show | int, *, decide: bool = True) -> Absorbed:
    """Absorb ``source`` into ``target``, then delete ``source``.

    The target takes the source's Plex links, the external ids it lacks that no other show
    holds, and the operator's add (``added_at``/``added_by``) when it has none; then it is
    decided again (an id may have arrived) and, when it is in the library, its missing parts
    are queued. A ``Show`` passed as ``target`` is refreshed with the ids it took.
    ``decide=False`` leaves the deciding to a caller that decides the target anyway (the
    page writer's hook, in the same transaction).
    """
    from catalog.models.library import library_shows
    from catalog.rules.decide import decide_shows
    from catalog.sync.loading.queue import show_request

    source_id, target_id = _pk(source), _pk(target)
    row = Show.objects.filter(pk=source_id).values(*IDS, "added_at", "added_by").get()
    PlexShow.objects.filter(show_id=source_id).update(show_id=target_id)
    _keep_removed(source_id, target_id)
    Show.objects.filter(pk=source_id).delete()  # frees its ids
    holder = Show.objects.select_for_update().get(pk=target_id)
    carried, left = _carry(holder, row)
    added = row["added_at"] is not None and holder.added_at is None
    if added:
        holder.added_at, holder.added_by = row["added_at"], row["added_by"]
    fields = [*carried, *(("added_at", "added_by") if added else ())]
    if fields:
        holder.save(update_fields=[*fields, "updated_at"])
    if isinstance(target, Show):
        for name in IDS:
            setattr(target, name, getattr(holder, name))
    if decide:
        decide_shows([target_id])
    if library_shows(Show.objects.filter(pk=target_id)).exists():
        show_request(holder)
    return Absorbed(target_id, carried, left, added)


def _keep_removed(source_id: int, target_id: int) -> None:
    """A series deleted in Sonarr (``removed_in_sonarr``) stays so whichever row survives:
    its decision moves to the target, replacing one still waiting to be sent (the target
    deciding afresh would otherwise queue it again); the target's own settled or claimed
    decision for that rule stays."""
    removed = Decision.objects.filter(show_id=source_id, status=Decision.Status.REMOVED)
    rules = list(removed.values_list("rule_id", flat=True))
    if not rules:
        return
    Decision.objects.filter(show_id=target_id, rule_id__in=rules).exclude(
        status__in=[*engine.UNTOUCHABLE]).delete()
    kept = Decision.objects.filter(show_id=target_id, rule_id__in=rules).values("rule_id")
    removed.exclude(rule_id__in=kept).update(show_id=target_id)


def _pk(show: Show | int) -> int:
    return show.pk if isinstance(show, Show) else show


def _carry(holder: Show, row: dict) -> tuple[dict, dict]:
    """Set on ``holder`` the ids of ``row`` it lacks and no other show holds."""
    carried: dict[str, int | str] = {}
    left: dict[str, int | str] = {}
    for name in IDS:
        value = row[name]
        if value is None or getattr(holder, name) == value:
            continue
        if getattr(holder, name) is None and not Show.objects.filter(
                **{name: value}).exclude(pk=holder.pk).exists():
            setattr(holder, name, value)
            carried[name] = value
        else:
            left[name] = value
    return carried, left
