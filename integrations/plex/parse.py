"""Plex MediaContainer bodies (XML, or JSON turned into the same tree) -> frozen values.

One malformed row becomes a `Reject`; the rest of its page still lands.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

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

# Row tags: XML uses Directory (shows, sections) and Video; JSON uses Metadata and Directory.
ROW_TAGS = frozenset({"Directory", "Video", "Metadata"})
ITEM_TYPES = frozenset({"episode", "movie"})


@dataclass(frozen=True, slots=True)
class Container:
    """A parsed MediaContainer: its rows and paging attributes."""

    root: ET.Element
    rows: tuple[ET.Element, ...]
    size: int | None
    total_size: int | None
    offset: int | None


def parse_container(body: bytes, content_type: str | None) -> Container:
    """Parse an XML or JSON MediaContainer; ValueError when it is not one."""
    if content_type and "json" in content_type.lower():
        root = _element_from_json(json.loads(body))
    else:
        # The operator-configured server only; expat refuses entity-expansion bombs.
        root = ET.fromstring(body)  # noqa: S314
    if root.tag != "MediaContainer":
        raise ValueError(f"expected a MediaContainer, got <{root.tag}>")
    return Container(
        root=root,
        rows=tuple(child for child in root if child.tag in ROW_TAGS),
        size=_int(root.attrib, "size"),
        total_size=_int(root.attrib, "totalSize"),
        offset=_int(root.attrib, "offset"),
    )


def _element_from_json(doc: Any) -> ET.Element:
    """`{"MediaContainer": {...}}` -> the element tree the XML form would have given."""
    if not isinstance(doc, dict) or not isinstance(doc.get("MediaContainer"), dict):
        raise ValueError("JSON body has no MediaContainer object")
    return _json_node("MediaContainer", doc["MediaContainer"])


def _json_node(tag: str, obj: Mapping[str, Any]) -> ET.Element:
    element = ET.Element(tag)
    for name, value in obj.items():
        if isinstance(value, list):
            for child in value:
                if isinstance(child, dict):
                    element.append(_json_node(name, child))
        elif isinstance(value, dict):
            element.append(_json_node(name, value))
        elif value is not None:
            element.set(name, _json_scalar(value))
    return element


def _json_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def map_rows(rows: tuple[ET.Element, ...], mapper: Callable[[ET.Element], T]
             ) -> tuple[tuple[T, ...], tuple[Reject, ...]]:
    """Map every row; a row that raises ValueError/KeyError is rejected, not fatal."""
    items: list[T] = []
    rejects: list[Reject] = []
    for position, row in enumerate(rows):
        try:
            items.append(mapper(row))
        except (ValueError, KeyError) as exc:
            ref = row.attrib.get("ratingKey") or row.attrib.get("key") or f"#{position}"
            rejects.append(Reject(ref=ref, reason=_reason(exc)))
    return tuple(items), tuple(rejects)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing attribute {exc.args[0]!r}"
    return str(exc)


def server_info_from(attrs: Mapping[str, str]) -> PlexServerInfo:
    return PlexServerInfo(
        machine_identifier=_required(attrs, "machineIdentifier"),
        friendly_name=attrs.get("friendlyName"),
        version=attrs.get("version"),
        platform=attrs.get("platform"),
    )


def section_from(row: ET.Element) -> PlexSection:
    attrs = row.attrib
    return PlexSection(
        key=_required(attrs, "key"),
        type=_required(attrs, "type"),
        title=attrs.get("title", ""),
        agent=attrs.get("agent"),
        uuid=attrs.get("uuid"),
        updated_at=_ts(attrs, "updatedAt"),
        scanned_at=_ts(attrs, "scannedAt"),
        locations=tuple(loc.attrib["path"] for loc in row.iter("Location") if "path" in loc.attrib),
    )


def show_from(row: ET.Element) -> PlexShow:
    attrs = row.attrib
    if attrs.get("type", "show") != "show":
        raise ValueError(f"not a show: type={attrs.get('type')!r}")
    guid = attrs.get("guid")
    return PlexShow(
        rating_key=_required(attrs, "ratingKey"),
        guid=guid,
        title=attrs.get("title", ""),
        year=_int(attrs, "year"),
        added_at=_ts(attrs, "addedAt"),
        updated_at=_ts(attrs, "updatedAt"),
        child_count=_int(attrs, "childCount"),
        leaf_count=_int(attrs, "leafCount"),
        external_ids=show_external_ids(guid, _guid_children(row)),
    )


def item_from(row: ET.Element) -> PlexItem:
    attrs = row.attrib
    kind = _required(attrs, "type")
    if kind not in ITEM_TYPES:
        raise ValueError(f"not an episode or movie: type={kind!r}")
    guid = attrs.get("guid")
    media, guid_children = _children_of(row)
    return PlexItem(
        rating_key=_required(attrs, "ratingKey"),
        type=kind,
        guid=guid,
        title=attrs.get("title", ""),
        external_ids=item_external_ids(guid, guid_children, kind),
        show_rating_key=attrs.get("grandparentRatingKey"),
        season_number=_int(attrs, "parentIndex"),
        episode_number=_int(attrs, "index") if kind == "episode" else None,
        year=_int(attrs, "year"),
        duration=_int(attrs, "duration"),
        added_at=_ts(attrs, "addedAt"),
        updated_at=_ts(attrs, "updatedAt"),
        media=media,
    )


def _guid_children(row: ET.Element) -> list[str]:
    return [child.attrib["id"] for child in row if child.tag == "Guid" and "id" in child.attrib]


def _children_of(row: ET.Element) -> tuple[tuple[PlexMedia, ...], list[str]]:
    """Media > Part and Guid ids in one pass, tolerating Parts flattened beside their Media."""
    groups: list[tuple[ET.Element, list[ET.Element]]] = []
    guids: list[str] = []
    for child in row:
        tag = child.tag
        if tag == "Media":
            groups.append((child, [p for p in child if p.tag == "Part"]))
        elif tag == "Guid":
            if "id" in child.attrib:
                guids.append(child.attrib["id"])
        elif tag == "Part" and groups:
            groups[-1][1].append(child)
    return tuple(_media(media, parts) for media, parts in groups), guids


def _media(media: ET.Element, parts: list[ET.Element]) -> PlexMedia:
    attrs = media.attrib
    return PlexMedia(
        id=int(_required(attrs, "id")),
        duration=_int(attrs, "duration"),
        bitrate=_int(attrs, "bitrate"),
        width=_int(attrs, "width"),
        height=_int(attrs, "height"),
        video_codec=attrs.get("videoCodec"),
        audio_codec=attrs.get("audioCodec"),
        audio_channels=_int(attrs, "audioChannels"),
        video_resolution=attrs.get("videoResolution"),
        container=attrs.get("container"),
        parts=tuple(_part(part.attrib) for part in parts),
    )


def _part(attrs: Mapping[str, str]) -> PlexPart:
    return PlexPart(
        id=int(_required(attrs, "id")),
        file=attrs.get("file"),
        size=_int(attrs, "size"),
        duration=_int(attrs, "duration"),
        container=attrs.get("container"),
        accessible=_bool(attrs, "accessible"),
        exists=_bool(attrs, "exists"),
    )


def _required(attrs: Mapping[str, str], name: str) -> str:
    value = attrs.get(name)
    if value is None or value == "":
        raise ValueError(f"missing attribute {name!r}")
    return value


def _int(attrs: Mapping[str, str], name: str) -> int | None:
    value = attrs.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"attribute {name!r} is not an integer: {value!r}") from None


def _ts(attrs: Mapping[str, str], name: str) -> datetime | None:
    seconds = _int(attrs, name)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):  # past time_t raises no ValueError
        raise ValueError(f"attribute {name!r} is out of range: {seconds}") from None


def _bool(attrs: Mapping[str, str], name: str) -> bool | None:
    value = attrs.get(name)
    if value is None or value == "":
        return None
    return value not in ("0", "false")
