"""Plex element trees for fake records, serialized as the real server does (XML or JSON).

Trees follow the recorded payloads: listing rows carry Media > Part (no Stream); the
`/library/metadata/{rk}` detail nests Media > Part > Stream; Guid children come last.
"""

from __future__ import annotations

import json
import re
from typing import Any

from integrations.fakes.plex.model import Leaf, Media, Part, Season, Section, Show

Attrs = list[tuple[str, Any]]
Node = tuple[str, Attrs, list]  # (tag, attributes, children)

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                         "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_SPECIAL = re.compile(r'[&<>"\n\r\t]')
XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _value(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return _e(str(value))


def open_tag(tag: str, attrs: Attrs, *, empty: bool = False) -> str:
    text = " ".join(f'{name}="{_value(value)}"' for name, value in attrs if value is not None)
    return f"<{tag} {text}{' />' if empty else '>'}"


def to_xml(node: Node) -> str:
    tag, attrs, children = node
    if not children:
        return open_tag(tag, attrs, empty=True)
    return open_tag(tag, attrs) + "".join(to_xml(child) for child in children) + f"</{tag}>"


def xml_pieces(node: Node) -> tuple[bytes, bytes, bytes]:
    """(element without its Guid children, the Guid children, closing tag), UTF-8."""
    tag, attrs, children = node
    guids = [c for c in children if c[0] == "Guid"]
    rest = [c for c in children if c[0] != "Guid"]
    main = open_tag(tag, attrs) + "".join(to_xml(child) for child in rest)
    return (main.encode(), "".join(to_xml(g) for g in guids).encode(), f"</{tag}>".encode())


def to_json(node: Node, *, include_guids: bool = True) -> dict[str, Any]:
    """Typed attributes; children grouped into arrays named after their tag."""
    _, attrs, children = node
    obj: dict[str, Any] = {name: value for name, value in attrs if value is not None}
    for child in children:
        if child[0] == "Guid" and not include_guids:
            continue
        obj.setdefault(child[0], []).append(to_json(child))
    return obj


def container_xml(attrs: Attrs, rows: list[bytes]) -> bytes:
    return b"".join((XML_DECL, open_tag("MediaContainer", attrs).encode(), *rows,
                     b"</MediaContainer>"))


def container_json(attrs: Attrs, rows: list[dict[str, Any]], row_key: str) -> bytes:
    body: dict[str, Any] = {name: value for name, value in attrs if value is not None}
    if rows:
        body[row_key] = rows
    return json.dumps({"MediaContainer": body}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def json_row(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()


def container_json_rows(attrs: Attrs, rows: list[bytes], row_key: str) -> bytes:
    """``container_json`` from rows already serialized (``json_row``), joined as bytes."""
    head = container_json(attrs, [], row_key)[:-2]  # without the closing braces
    if not rows:
        return head + b"}}"
    comma = b"" if head.endswith(b"{") else b","
    return b"".join((head, comma, f'"{row_key}":['.encode(), b",".join(rows), b"]}}"))


# -- records -> trees -----------------------------------------------------------------------

def _guid_nodes(guids: tuple[str, ...]) -> list[Node]:
    return [("Guid", [("id", guid)], []) for guid in guids]


def section_node(section: Section) -> Node:
    kind = section.type
    attrs: Attrs = [
        ("allowSync", True), ("art", f"/:/resources/{kind}-fanart.jpg"),
        ("composite", f"/library/sections/{section.key}/composite/{section.updated_at}"),
        ("filters", True), ("refreshing", False), ("thumb", f"/:/resources/{kind}.png"),
        ("key", section.key), ("type", kind), ("title", section.title),
        ("agent", section.agent), ("scanner", section.scanner), ("language", "en-US"),
        ("uuid", section.uuid), ("updatedAt", section.updated_at),
        ("createdAt", section.created_at), ("scannedAt", section.scanned_at),
        ("content", True), ("directory", True), ("contentChangedAt", section.updated_at),
        ("hidden", 0),
    ]
    return ("Directory", attrs, [("Location", [("id", int(section.key)
                                                if section.key.isdigit() else 1),
                                               ("path", section.root)], [])])


def show_node(show: Show, *, detail: bool = False) -> Node:
    rk = show.rk
    art = f"/library/metadata/{rk}/art/{show.updated_at}"
    attrs: Attrs = [
        ("ratingKey", str(rk)), ("key", f"/library/metadata/{rk}/children"),
        ("guid", show.guid), ("type", "show"), ("title", show.title),
        ("summary", ""), ("index", 1), ("year", show.year),
        ("thumb", f"/library/metadata/{rk}/thumb/{show.updated_at}"), ("art", art),
        ("leafCount", show.leaf_count), ("viewedLeafCount", 0),
        ("childCount", len(show.seasons)), ("addedAt", show.added_at),
        ("updatedAt", show.updated_at),
    ]
    children: list[Node] = [("Genre", [("tag", genre)], []) for genre in show.genres]
    if detail:
        attrs.append(("librarySectionID", show.section.key))
        children.append(("Location", [("path", _show_folder(show))], []))
    return ("Directory", attrs, children + _guid_nodes(show.guids))


def _show_folder(show: Show) -> str:
    sep = "\\" if "\\" in show.section.root else "/"
    return f"{show.section.root}{sep}{show.folder}"


def season_node(season: Season) -> Node:
    show, rk = season.show, season.rk
    attrs: Attrs = [
        ("ratingKey", str(rk)), ("key", f"/library/metadata/{rk}/children"),
        ("parentRatingKey", str(show.rk)), ("guid", season.guid), ("parentGuid", show.guid),
        ("type", "season"), ("title", f"Season {season.index}"),
        ("parentKey", f"/library/metadata/{show.rk}"), ("parentTitle", show.title),
        ("summary", ""), ("index", season.index), ("parentYear", show.year),
        ("thumb", f"/library/metadata/{rk}/thumb/{season.updated_at}"),
        ("leafCount", len(season.episodes)), ("viewedLeafCount", 0),
        ("addedAt", season.added_at), ("updatedAt", season.updated_at),
    ]
    return ("Directory", attrs, [])


def leaf_node(leaf: Leaf, *, detail: bool = False) -> Node:
    rk = leaf.rk
    attrs: Attrs = [("ratingKey", str(rk)), ("key", f"/library/metadata/{rk}")]
    if leaf.type == "episode":
        attrs += _episode_parents(leaf)
    attrs += [("guid", leaf.guid), ("type", leaf.type), ("title", leaf.title)]
    if leaf.type == "episode":
        season = leaf.season
        assert season is not None
        attrs += [("grandparentTitle", season.show.title),
                  ("parentTitle", f"Season {season.index}"),
                  ("index", leaf.index), ("parentIndex", season.index)]
    attrs += [("year", leaf.year), ("thumb", f"/library/metadata/{rk}/thumb/{leaf.updated_at}"),
              ("duration", leaf.duration), ("addedAt", leaf.added_at),
              ("updatedAt", leaf.updated_at)]
    if detail:  # Plex names each row's section when asked by ratingKey
        attrs.append(("librarySectionID", leaf.section.key))
    children = [_media_node(media, detail) for media in leaf.media]
    return ("Video", attrs, children + _guid_nodes(leaf.guids))


def _episode_parents(leaf: Leaf) -> Attrs:
    season = leaf.season
    assert season is not None
    show = season.show
    return [("parentRatingKey", str(season.rk)), ("grandparentRatingKey", str(show.rk)),
            ("parentGuid", season.guid), ("grandparentGuid", show.guid),
            ("parentKey", f"/library/metadata/{season.rk}"),
            ("grandparentKey", f"/library/metadata/{show.rk}"),
            ("grandparentThumb", f"/library/metadata/{show.rk}/thumb/{show.updated_at}")]


def _media_node(media: Media, detail: bool) -> Node:
    attrs: Attrs = [
        ("id", media.id), ("duration", media.duration), ("bitrate", media.bitrate),
        ("width", media.width), ("height", media.height),
        ("aspectRatio", round(media.width / media.height, 2)),
        ("audioChannels", media.audio_channels), ("audioCodec", media.audio_codec),
        ("videoCodec", media.video_codec), ("videoResolution", media.resolution),
        ("container", media.container), ("videoFrameRate", "24p"),
        ("videoProfile", "main" if media.video_codec == "hevc" else "high"),
    ]
    return ("Media", attrs, [_part_node(media, part, detail) for part in media.parts])


def _part_node(media: Media, part: Part, detail: bool) -> Node:
    attrs: Attrs = [
        ("id", part.id), ("key", f"/library/parts/{part.id}/{part.size}/file.{part.container}"),
        ("duration", part.duration), ("file", part.file), ("size", part.size),
        ("container", part.container),
    ]
    if not part.accessible:
        attrs += [("accessible", False), ("exists", False)]
    return ("Part", attrs, _streams(media, part) if detail else [])


def _streams(media: Media, part: Part) -> list[Node]:
    base = part.id * 10
    video: Attrs = [("id", base), ("streamType", 1), ("default", True),
                    ("codec", media.video_codec), ("index", 0), ("bitrate", media.bitrate),
                    ("height", media.height),
                    ("width", media.width), ("displayTitle", f"{media.resolution}")]
    audio: Attrs = [("id", base + 1), ("streamType", 2), ("selected", True), ("default", True),
                    ("codec", media.audio_codec), ("index", 1),
                    ("channels", media.audio_channels), ("language", "English"),
                    ("languageCode", "eng"), ("displayTitle", f"English ({media.audio_codec})")]
    subtitle: Attrs = [("id", base + 2), ("streamType", 3), ("codec", "srt"), ("index", 2),
                       ("language", "English"), ("languageCode", "eng"),
                       ("displayTitle", "English (SRT)")]
    return [("Stream", video, []), ("Stream", audio, []), ("Stream", subtitle, [])]


# -- fast listing rows: the same bytes as xml_pieces(leaf_node(...)), ~5x quicker ----------

def _e(text: str) -> str:
    """Escape for an attribute value; most values need nothing, so look before translating."""
    return text if _SPECIAL.search(text) is None else text.translate(_ESCAPE)


def leaf_row_xml(leaf: Leaf) -> tuple[bytes, bytes, bytes]:
    """Listing row of an episode or movie (tested equal to the generic tree rendering)."""
    rk = leaf.rk
    head = f'<Video ratingKey="{rk}" key="/library/metadata/{rk}"'
    season = leaf.season
    if season is not None:
        show = season.show
        head += (
            f' parentRatingKey="{season.rk}" grandparentRatingKey="{show.rk}"'
            f' parentGuid="{_e(season.guid)}" grandparentGuid="{_e(show.guid)}"'
            f' parentKey="/library/metadata/{season.rk}"'
            f' grandparentKey="/library/metadata/{show.rk}"'
            f' grandparentThumb="/library/metadata/{show.rk}/thumb/{show.updated_at}"'
        )
    head += f' guid="{_e(leaf.guid)}" type="{leaf.type}" title="{_e(leaf.title)}"'
    if season is not None:
        head += (f' grandparentTitle="{_e(season.show.title)}" parentTitle="Season {season.index}"'
                 f' index="{leaf.index}" parentIndex="{season.index}"')
    head += (f' year="{leaf.year}" thumb="/library/metadata/{rk}/thumb/{leaf.updated_at}"'
             f' duration="{leaf.duration}" addedAt="{leaf.added_at}"'
             f' updatedAt="{leaf.updated_at}">')
    body = "".join(_media_xml(media) for media in leaf.media)
    guids = "".join(f'<Guid id="{_e(guid)}" />' for guid in leaf.guids)
    return (head + body).encode(), guids.encode(), b"</Video>"


def _media_xml(media: Media) -> str:
    profile = "main" if media.video_codec == "hevc" else "high"
    head = (
        f'<Media id="{media.id}" duration="{media.duration}" bitrate="{media.bitrate}"'
        f' width="{media.width}" height="{media.height}"'
        f' aspectRatio="{round(media.width / media.height, 2)}"'
        f' audioChannels="{media.audio_channels}" audioCodec="{media.audio_codec}"'
        f' videoCodec="{media.video_codec}" videoResolution="{media.resolution}"'
        f' container="{media.container}" videoFrameRate="24p" videoProfile="{profile}"'
    )
    if not media.parts:
        return head + " />"
    return head + ">" + "".join(_part_xml(part) for part in media.parts) + "</Media>"


def _part_xml(part: Part) -> str:
    text = (f'<Part id="{part.id}" key="/library/parts/{part.id}/{part.size}/file.{part.container}"'
            f' duration="{part.duration}" file="{_e(part.file)}" size="{part.size}"'
            f' container="{part.container}"')
    if not part.accessible:
        text += ' accessible="0" exists="0"'
    return text + " />"


def show_row_xml(show: Show) -> tuple[bytes, bytes, bytes]:
    """Listing row of a show (tested equal to the generic tree rendering)."""
    rk = show.rk
    head = (
        f'<Directory ratingKey="{rk}" key="/library/metadata/{rk}/children"'
        f' guid="{_e(show.guid)}" type="show" title="{_e(show.title)}" summary="" index="1"'
        f' year="{show.year}" thumb="/library/metadata/{rk}/thumb/{show.updated_at}"'
        f' art="/library/metadata/{rk}/art/{show.updated_at}" leafCount="{show.leaf_count}"'
        f' viewedLeafCount="0" childCount="{len(show.seasons)}" addedAt="{show.added_at}"'
        f' updatedAt="{show.updated_at}">'
    )
    genres = "".join(f'<Genre tag="{_e(genre)}" />' for genre in show.genres)
    guids = "".join(f'<Guid id="{_e(guid)}" />' for guid in show.guids)
    return (head + genres).encode(), guids.encode(), b"</Directory>"
