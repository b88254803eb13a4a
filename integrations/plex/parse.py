"""Plex MediaContainer bodies (JSON, or XML turned into the same shape) -> frozen values.

Rows are read in the shape of Plex's JSON: a mapping of the row's attributes (typed in JSON,
text in XML) and, under each child tag, the list of its children (``Media`` > ``Part``,
``Guid``). JSON is what the sync asks for: orjson reads a page of 200 episodes about five
times faster than expat builds its element tree, and the values arrive typed.

One malformed row becomes a `Reject`; the rest of its page still lands.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from msgspec.structs import replace

from integrations.plex.guids import item_external_ids, show_external_ids
from integrations.values import Reject
from integrations.values.plex import (
    PlexItem,
    PlexMedia,
    PlexPart,
    PlexSection,
    PlexServerInfo,
    PlexShow,
)

T = TypeVar("T")
S = TypeVar("S", PlexItem, PlexShow)
Row = Mapping[str, Any]  # attributes, and each child tag's list of child rows

# Row tags: XML uses Directory (shows, sections) and Video; JSON uses Metadata and Directory.
ROW_TAGS = frozenset({"Directory", "Video", "Metadata"})
ITEM_TYPES = frozenset({"episode", "movie"})
_FROM_TS = datetime.fromtimestamp


@dataclass(frozen=True, slots=True)
class Container:
    """A parsed MediaContainer: its own attributes, its rows and paging attributes."""

    attrs: Row
    rows: tuple[Row, ...]
    size: int | None
    total_size: int | None
    offset: int | None
    # Rows a fast decoder mapped already (``items_page``): then ``rows`` and ``attrs`` are empty.
    mapped: tuple[Any, ...] | None = None

    @property
    def count(self) -> int:
        """Rows the page carried."""
        return len(self.rows) if self.mapped is None else len(self.mapped)


def parse_container(body: bytes, content_type: str | None) -> Container:
    """Parse a JSON or XML MediaContainer; ValueError when it is not one (orjson's and
    expat's errors are ValueError and SyntaxError subclasses)."""
    if content_type and "json" in content_type.lower():
        attrs = _json_container(orjson.loads(body))
        rows = tuple(_json_rows(attrs))
    else:
        # The operator-configured server only; expat refuses entity-expansion bombs.
        root = ET.fromstring(body)  # noqa: S314
        if root.tag != "MediaContainer":
            raise ValueError(f"expected a MediaContainer, got <{root.tag}>")
        attrs = root.attrib
        rows = tuple(_xml_row(child) for child in root if child.tag in ROW_TAGS)
    return Container(attrs=attrs, rows=rows, size=_int(attrs, "size"),
                     total_size=_int(attrs, "totalSize"), offset=_int(attrs, "offset"))


def _json_container(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("MediaContainer"), dict):
        raise ValueError("JSON body has no MediaContainer object")
    return doc["MediaContainer"]


def _json_rows(container: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for tag, value in container.items():
        if tag in ROW_TAGS:
            rows.extend(row for row in _children(value) if isinstance(row, dict))
    return rows


def _children(value: Any) -> list[Any]:
    """A child list as JSON has it (a lone object counts as a list of one)."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _xml_row(element: ET.Element) -> Row:
    """An element as JSON would have it. A Part flattened beside its Media (as some
    fixtures have it) joins the Media before it."""
    row: dict[str, Any] = dict(element.attrib)
    for child in element:
        tag = child.tag
        if tag == "Part" and row.get("Media"):
            row["Media"][-1].setdefault("Part", []).append(_xml_row(child))
        else:
            row.setdefault(tag, []).append(_xml_row(child))
    return row


def map_rows(rows: tuple[Row, ...], mapper: Callable[[Row], T]
             ) -> tuple[tuple[T, ...], tuple[Reject, ...]]:
    """Map every row; a row that raises ValueError/KeyError/TypeError is rejected, not fatal."""
    items: list[T] = []
    rejects: list[Reject] = []
    for position, row in enumerate(rows):
        try:
            items.append(mapper(row))
        except (ValueError, KeyError, TypeError) as exc:
            ref = row.get("ratingKey") or row.get("key") or f"#{position}"
            rejects.append(Reject(ref=str(ref), reason=_reason(exc)))
    return tuple(items), tuple(rejects)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing attribute {exc.args[0]!r}"
    return str(exc)


def server_info_from(attrs: Row) -> PlexServerInfo:
    return PlexServerInfo(
        machine_identifier=_required(attrs, "machineIdentifier"),
        friendly_name=_str(attrs, "friendlyName"),
        version=_str(attrs, "version"),
        platform=_str(attrs, "platform"),
    )


def section_from(row: Row) -> PlexSection:
    return PlexSection(
        key=_required(row, "key"),
        type=_required(row, "type"),
        title=_str(row, "title") or "",
        agent=_str(row, "agent"),
        uuid=_str(row, "uuid"),
        updated_at=_ts(row, "updatedAt"),
        scanned_at=_ts(row, "scannedAt"),
        locations=tuple(str(loc["path"]) for loc in _children(row.get("Location"))
                        if isinstance(loc, dict) and loc.get("path") is not None),
    )


def show_from(row: Row) -> PlexShow:
    kind = row.get("type", "show")
    if kind != "show":
        raise ValueError(f"not a show: type={kind!r}")
    guid = _str(row, "guid")
    return PlexShow(
        rating_key=_required(row, "ratingKey"),
        guid=guid,
        title=_str(row, "title") or "",
        year=_int(row, "year"),
        added_at=_ts(row, "addedAt"),
        updated_at=_ts(row, "updatedAt"),
        child_count=_int(row, "childCount"),
        leaf_count=_int(row, "leafCount"),
        external_ids=show_external_ids(guid, _guid_ids(row)),
    )


def sectioned(mapper: Callable[[Row], S], container: Row) -> Callable[[Row], S]:
    """``mapper`` with each value's ``section_key`` set from its row's ``librarySectionID``,
    else the container's: which library holds a row read by ratingKey."""
    fallback = _str(container, "librarySectionID")

    def mapped(row: Row) -> S:
        return replace(mapper(row), section_key=_str(row, "librarySectionID") or fallback)

    return mapped


def item_from(row: Row) -> PlexItem:
    """An episode or movie row. The hot path of a scan (once per row of every listing):
    typed JSON values are taken as they are, anything else goes through the checks."""
    get = row.get
    kind = _required(row, "type")
    if kind not in ITEM_TYPES:
        raise ValueError(f"not an episode or movie: type={kind!r}")
    guid = get("guid")
    if guid is not None and type(guid) is not str:
        guid = _str(row, "guid")
    return PlexItem(
        rating_key=_required(row, "ratingKey"),
        type=kind,
        guid=guid,
        title=_str(row, "title") or "",
        external_ids=item_external_ids(guid, _guid_ids(row), kind),
        show_rating_key=_str(row, "grandparentRatingKey"),
        season_number=_int(row, "parentIndex"),
        episode_number=_int(row, "index") if kind == "episode" else None,
        year=_int(row, "year"),
        duration=_int(row, "duration"),
        added_at=_ts(row, "addedAt"),
        updated_at=_ts(row, "updatedAt"),
        media=_media_of(row) if "Media" in row else (),
    )


def _guid_ids(row: Row) -> list[str]:
    guids = row.get("Guid")
    if not guids:
        return []
    return [str(guid["id"]) for guid in _children(guids)
            if isinstance(guid, dict) and guid.get("id") is not None]


def _media_of(row: Row) -> tuple[PlexMedia, ...]:
    """Media > Part; Parts flattened beside their Media (JSON) join the last Media."""
    groups = [(media, _children(media.get("Part")))
              for media in _children(row.get("Media")) if isinstance(media, dict)]
    loose = row.get("Part")
    if loose and groups:
        groups[-1] = (groups[-1][0], [*groups[-1][1], *_children(loose)])
    return tuple(_media(media, parts) for media, parts in groups)


def _media(media: Row, parts: list[Any]) -> PlexMedia:
    return PlexMedia(
        id=_id(media),
        duration=_int(media, "duration"),
        bitrate=_int(media, "bitrate"),
        width=_int(media, "width"),
        height=_int(media, "height"),
        video_codec=_str(media, "videoCodec"),
        audio_codec=_str(media, "audioCodec"),
        audio_channels=_int(media, "audioChannels"),
        video_resolution=_str(media, "videoResolution"),
        container=_str(media, "container"),
        parts=tuple(_part(part) for part in parts if isinstance(part, dict)),
    )


def _part(part: Row) -> PlexPart:
    return PlexPart(
        id=_id(part),
        file=_str(part, "file"),
        size=_int(part, "size"),
        duration=_int(part, "duration"),
        container=_str(part, "container"),
        accessible=_bool(part, "accessible"),
        exists=_bool(part, "exists"),
    )


def _id(row: Row) -> int:
    value = row.get("id")
    return value if type(value) is int else int(_required(row, "id"))


def _required(row: Row, name: str) -> str:
    value = row.get(name)
    if type(value) is str and value:
        return value
    if value is None or value == "":
        raise ValueError(f"missing attribute {name!r}")
    return value if type(value) is str else _scalar_text(value, name)


def _str(row: Row, name: str) -> str | None:
    value = row.get(name)
    if value is None or type(value) is str:
        return value
    return _scalar_text(value, name)


def _scalar_text(value: Any, name: str) -> str:
    """A typed JSON scalar as the XML text it stands for."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"attribute {name!r} is not a scalar: {value!r}")


def _int(row: Row, name: str) -> int | None:
    value = row.get(name)
    if type(value) is int:
        return value
    if value is None or value == "":
        return None
    try:
        return int(value) if isinstance(value, str) else _int_of(value)
    except ValueError:
        raise ValueError(f"attribute {name!r} is not an integer: {value!r}") from None


def _int_of(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool):
        return int(value)
    raise ValueError(value)


def _ts(row: Row, name: str) -> datetime | None:
    seconds = _int(row, name)
    if seconds is None:
        return None
    try:
        return _FROM_TS(seconds, UTC)
    except (OverflowError, OSError, ValueError):  # past time_t raises no ValueError
        raise ValueError(f"attribute {name!r} is out of range: {seconds}") from None


def _bool(row: Row, name: str) -> bool | None:
    value = row.get(name)
    if value is None or value is True or value is False:
        return value
    if value == "":
        return None
    return value not in (False, "0", "false")
