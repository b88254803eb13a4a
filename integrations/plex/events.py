"""Plex's notification messages (``/:/websockets/notifications``) as frozen values.

Each message is ``{"NotificationContainer": {"type": T, ...}}``. Two types say that the
library changed: ``timeline`` entries of ``com.plexapp.plugins.library`` (one per item and
state) and ``activity`` notifications (a section scan is ``library.update.section``). Every
other type (playing, status, progress, ...) is not a library change and is ignored. A
message or entry that is not what Plex sends (not JSON, wrong types, absurd numbers) is
reported as a problem, never raised past ``parse_message``'s caller as anything but
``MessageError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DELETED", "KINDS", "LIBRARY", "PROCESSED", "SECTION_SCAN", "ActivityEvent",
    "MessageError", "Parsed", "TimelineEvent", "parse_message",
]

LIBRARY = "com.plexapp.plugins.library"
SECTION_SCAN = "library.update.section"
PROCESSED, DELETED = 5, 9
KINDS = {1: "movie", 2: "show", 3: "season", 4: "episode"}
MAX_ID = 10**15  # a ratingKey or section id beyond this is not Plex's
MAX_MESSAGE = 4 * 1024 * 1024  # bytes; Plex's bursts batch a few hundred entries at most
ACTIVITY_EVENTS = ("started", "updated", "ended")


class MessageError(ValueError):
    """The message as a whole is unreadable (not JSON, not a NotificationContainer)."""


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """A library item reached ``state`` (5 processed, 9 deleted)."""

    section_key: str
    rating_key: str
    kind: str  # movie | show | season | episode
    state: int


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """A server activity moved: ``event`` is started, updated or ended."""

    event: str
    type: str
    uuid: str
    section_key: str | None  # the section a library scan covers, when Plex says


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one message said: the events that matter, and why entries were skipped."""

    type: str
    events: tuple[TimelineEvent | ActivityEvent, ...] = ()
    problems: tuple[str, ...] = ()


def _id(value: Any) -> str | None:
    """A positive id as text (Plex sends numbers, sometimes as strings); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, int) and 0 < value < MAX_ID:
        return str(value)
    return None


def _small_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 1000:
        return None
    return value


def _timeline(entry: Any) -> TimelineEvent | str | None:
    """The event an entry names, a problem (text), or None when it is not a library change."""
    if not isinstance(entry, dict):
        return f"timeline entry is {type(entry).__name__}, not an object"
    if entry.get("identifier") != LIBRARY:
        return None
    kind, state = _small_int(entry.get("type")), _small_int(entry.get("state"))
    if kind is None or state is None:
        return "timeline entry with a non-numeric type or state"
    if kind not in KINDS or state not in (PROCESSED, DELETED):
        return None  # another kind (clips, photos) or an intermediate state
    section, item = _id(entry.get("sectionID")), _id(entry.get("itemID"))
    if section is None or item is None:
        return "timeline entry without a valid sectionID or itemID"
    return TimelineEvent(section, item, KINDS[kind], state)


def _section_of(activity: dict[str, Any]) -> str | None:
    context = activity.get("Context")
    if not isinstance(context, dict):
        return None
    section = _id(context.get("librarySectionID"))
    if section is None and isinstance(context.get("key"), str):
        section = _id(context["key"].rstrip("/").rsplit("/", 1)[-1])
    return section


def _activity(note: Any) -> ActivityEvent | str | None:
    if not isinstance(note, dict):
        return f"activity notification is {type(note).__name__}, not an object"
    event, activity = note.get("event"), note.get("Activity")
    if not isinstance(activity, dict) or event not in ACTIVITY_EVENTS:
        return "activity notification without an event or an Activity"
    kind, uuid = activity.get("type"), activity.get("uuid", note.get("uuid", ""))
    if not isinstance(kind, str) or not isinstance(uuid, str):
        return "activity with a non-text type or uuid"
    if kind != SECTION_SCAN:
        return None
    return ActivityEvent(event, kind, uuid[:64], _section_of(activity))


def _collect(rows: Any, read: Any, name: str) -> Parsed:
    if not isinstance(rows, list):
        return Parsed(name, problems=(f"{name} notification whose entries are not a list",))
    events: list[TimelineEvent | ActivityEvent] = []
    problems: list[str] = []
    for row in rows:
        got = read(row)
        if isinstance(got, str):
            problems.append(got)
        elif got is not None:
            events.append(got)
    return Parsed(name, tuple(events), tuple(problems))


def parse_message(raw: str | bytes) -> Parsed:
    """The library events of one message; raises MessageError when it is unreadable."""
    if len(raw) > MAX_MESSAGE:
        raise MessageError(f"message of {len(raw)} bytes is over the {MAX_MESSAGE} limit")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise MessageError(f"not JSON ({type(exc).__name__})") from None
    container = data.get("NotificationContainer") if isinstance(data, dict) else None
    if not isinstance(container, dict) or not isinstance(container.get("type"), str):
        raise MessageError("not a NotificationContainer with a type")
    kind = container["type"][:40]
    if kind == "timeline":
        return _collect(container.get("TimelineEntry", []), _timeline, kind)
    if kind == "activity":
        return _collect(container.get("ActivityNotification", []), _activity, kind)
    return Parsed(kind)
