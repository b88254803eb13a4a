"""The fast path of Plex listings (``items_page``) builds exactly what the careful reader
builds, or hands the page back to it: for Plex's own pages, the recorded payload, and rows
with any attribute made odd (text for numbers, floats, booleans, huge integers, lone
objects, empty strings, loose Parts, rows of other tags)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.plex import PlexClient
from integrations.plex import client as client_module
from integrations.plex.items_page import decode_items_page
from integrations.plex.parse import item_from, map_rows, parse_container

ROW = {
    "ratingKey": "1003", "key": "/library/metadata/1003", "grandparentRatingKey": "1001",
    "guid": "plex://episode/5d9c1359e264b7001fcb529c", "type": "episode", "title": "Pilot",
    "index": 1, "parentIndex": 1, "year": 1995, "duration": 2486410, "addedAt": 1532470400,
    "updatedAt": 1532988800, "Guid": [{"id": "tvdb://299051"}, {"id": "imdb://tt0000001"}],
    "Media": [{"id": 100001, "duration": 2486410, "bitrate": 3953, "width": 720,
               "height": 576, "audioChannels": 8, "audioCodec": "truehd",
               "videoCodec": "mpeg2video", "videoResolution": "sd", "container": "mkv",
               "Part": [{"id": 200001, "file": "/tv/Show/S01E01.mkv", "size": 123456789,
                         "duration": 2486410, "container": "mkv", "accessible": True,
                         "exists": True}]}],
}
ROW_KEYS = [k for k in ROW if k not in ("Media", "key")] + ["Part", "librarySectionID"]
MEDIA_KEYS = ["id", "duration", "bitrate", "width", "height", "audioChannels", "audioCodec",
              "videoCodec", "videoResolution", "container", "Part"]
PART_KEYS = ["id", "file", "size", "duration", "container", "accessible", "exists"]


def _careful(body: bytes) -> Any:
    """What the careful reader makes of a page: its items, rejects and paging, or its error."""
    try:
        container = parse_container(body, "application/json")
    except ValueError as exc:  # orjson's errors are ValueErrors too
        return type(exc)
    items, rejects = map_rows(container.rows, item_from)
    return items, rejects, (container.size, container.total_size, container.offset)


def _assert_same_or_handed_back(body: bytes) -> bool:
    """True when the fast path took the page (and built what the careful reader builds)."""
    fast = decode_items_page(body)
    if fast is None:
        return False
    careful = _careful(body)
    assert isinstance(careful, tuple), f"the careful reader refuses this page: {careful}"
    items, rejects, paging = careful
    assert rejects == ()
    assert fast.mapped == items
    assert (fast.size, fast.total_size, fast.offset) == paging
    assert fast.count == len(items)
    return True


def _page(*rows: Any, **attrs: Any) -> bytes:
    container = {"size": len(rows), "totalSize": 1000, "offset": 0, **attrs, "Metadata": list(rows)}
    return json.dumps({"MediaContainer": container}).encode()


def test_it_takes_a_plain_page_and_builds_the_careful_readers_values():
    second = {**copy.deepcopy(ROW), "ratingKey": "1004", "index": 2, "guid":
              "com.plexapp.agents.thetvdb://299051/1/2?lang=en", "Guid": [], "Media": []}
    movie = {**copy.deepcopy(ROW), "ratingKey": "7", "type": "movie",
             "guid": "com.plexapp.agents.imdb://tt0111161?lang=en"}
    assert _assert_same_or_handed_back(_page(ROW, second, movie))
    assert _assert_same_or_handed_back(_page())  # an empty page past the end


def test_it_takes_the_recorded_payload(recorded: Path):
    body = (recorded / "plex" / "section_allLeaves_example.json").read_bytes()
    assert _assert_same_or_handed_back(body)


def test_it_takes_every_page_of_the_fakes_libraries_as_the_careful_reader_reads_them():
    specs = [LibrarySpec("1", "show", "TV", shows=30, episodes=900),
             LibrarySpec("2", "movie", "Films", movies=300)]
    with PlexFake(libraries=specs, token="t", seed=5) as fake:
        taken = 0
        for key, kind in (("1", 4), ("2", 1)):
            for start in range(0, 1000, 200):
                response = requests.get(
                    f"{fake.url}/library/sections/{key}/all", timeout=10,
                    params={"type": kind, "includeGuids": 1}, headers={
                        "Accept": "application/json", "X-Plex-Token": "t",
                        "X-Plex-Container-Start": str(start), "X-Plex-Container-Size": "200"})
                taken += _assert_same_or_handed_back(response.content)
    assert taken == 10


ODD = st.one_of(
    st.none(), st.booleans(), st.just(""), st.text(max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 253402300800, -62135596801]),
    st.floats(allow_nan=False, allow_infinity=False), st.just(1.0),
    st.just([]), st.just({}), st.just([1]), st.just({"id": 5}), st.just(["x"]),
    st.just([{"id": 7, "file": "/x"}]), st.just({"id": "tvdb://1"}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["row", "media", "part", "container"]),
                          st.integers(min_value=0, max_value=20), ODD), max_size=4))
def test_an_odd_attribute_is_built_alike_or_handed_back(changes):
    row = copy.deepcopy(ROW)
    attrs: dict[str, Any] = {}
    for where, at, value in changes:
        if where == "row":
            row[ROW_KEYS[at % len(ROW_KEYS)]] = value
        elif where == "media" and isinstance(row.get("Media"), list) and row["Media"] \
                and isinstance(row["Media"][0], dict):
            row["Media"][0][MEDIA_KEYS[at % len(MEDIA_KEYS)]] = value
        elif where == "part":
            parts = (row.get("Media") or [{}])[0]
            if isinstance(parts, dict) and isinstance(parts.get("Part"), list) \
                    and parts["Part"] and isinstance(parts["Part"][0], dict):
                parts["Part"][0][PART_KEYS[at % len(PART_KEYS)]] = value
        else:
            attrs[["size", "totalSize", "offset", "Directory", "Video"][at % 5]] = value
    _assert_same_or_handed_back(_page(row, **attrs))


@pytest.mark.parametrize("odd", [
    {"ratingKey": ""}, {"ratingKey": 1003}, {"type": "show"}, {"index": "1"},
    {"addedAt": 2**62}, {"Part": [{"id": 9}]}, {"Media": {"id": 1}}, {"Guid": [{"id": 5}]},
    {"year": 2**63}, {"duration": 1.0}, {"title": 7},
])
def test_what_the_careful_reader_treats_specially_goes_back_to_it(odd):
    assert decode_items_page(_page({**copy.deepcopy(ROW), **odd})) is None
    assert decode_items_page(_page(ROW, Directory=[{"key": "1"}])) is None
    assert decode_items_page(b'{"MediaContainer": []}') is None
    assert decode_items_page(b"<MediaContainer/>") is None


@responses.activate
def test_the_client_pages_alike_with_and_without_the_fast_path(monkeypatch):
    """A page with a row the careful reader rejects keeps its other rows, as before."""
    url = "http://plex.test:32400/library/sections/2/all"
    good = _page(ROW, {**copy.deepcopy(ROW), "ratingKey": "1004"})
    bad = _page(ROW, {**copy.deepcopy(ROW), "ratingKey": "1005", "addedAt": 2**62})
    client = PlexClient.build(base_url="http://plex.test:32400", token="t", rate_limit=None)
    pages = {}
    for label, fast in (("fast", decode_items_page), ("careful", lambda body: None)):
        monkeypatch.setattr(client_module, "decode_items_page", fast)
        for name, body in (("good", good), ("bad", bad)):
            responses.get(url, body=body, content_type="application/json")
            pages[label, name] = client.items("2", kind="episode")
    for name in ("good", "bad"):
        assert pages["fast", name] == pages["careful", name]
    assert len(pages["fast", "bad"].items) == 1 and len(pages["fast", "bad"].rejects) == 1


def _with(extra: bytes) -> bytes:
    """A good page with ``extra`` spliced into its row as an attribute the fast path skips."""
    return _page(ROW).replace(b'"ratingKey": "1003",', b'"ratingKey": "1003", ' + extra + b",", 1)


@pytest.mark.parametrize("depth", [900, 1015, 5000])
def test_nesting_deeper_than_the_stack_allows_goes_back_to_the_careful_reader(depth):
    """msgspec counts nesting against Python's recursion limit: past it, the careful reader
    (orjson reads 1,024 levels, and refuses the page beyond) decides."""
    body = _with(b'"x": ' + b"[" * depth + b"]" * depth)

    def nested(frames: int) -> Any:  # a caller already deep in its stack
        return nested(frames - 1) if frames else decode_items_page(body)

    decoded = nested(900)
    assert decoded is None or _assert_same_or_handed_back(body)


@responses.activate
@pytest.mark.parametrize("extra", [b'"summary": "caf\xe9"', b'"k\xffey": 1',
                                   b'"rating": 1e400', b'"rating": ' + b"9" * 400])
def test_a_flaw_only_in_attributes_it_skips_does_not_fail_the_page(extra):
    """Deliberately more lenient than the careful reader, whose parser refuses the page: one
    Latin-1 summary must not stop a library's scan."""
    body = _with(extra)
    with pytest.raises(ValueError):
        parse_container(body, "application/json")
    responses.get("http://plex.test:32400/library/sections/2/all", body=body,
                  content_type="application/json")
    client = PlexClient.build(base_url="http://plex.test:32400", token="t", rate_limit=None)
    page = client.items("2", kind="episode")
    assert page.items == map_rows(parse_container(_page(ROW), "application/json").rows,
                                  item_from)[0]


@pytest.mark.parametrize(("kept", "flawed"), [
    (b'"title": "Pilot"', b'"title": "caf\xe9"'),
    (b'"file": "/tv/Show/S01E01.mkv"', b'"file": "/tv/\xff.mkv"'),
    (b'"index": 1,', b'"index": 1e400,'),
])
def test_a_flaw_in_an_attribute_it_keeps_goes_back_to_the_careful_reader(kept, flawed):
    body = _page(ROW)
    assert kept in body
    assert decode_items_page(body.replace(kept, flawed, 1)) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(["flip", "drop", "insert"]),
                          st.binary(min_size=1, max_size=3)), min_size=1, max_size=3))
def test_a_damaged_page_is_built_alike_or_handed_back(damage):
    """Bytes changed anywhere: where the careful reader reads the page, the fast path builds
    what it builds or hands it back; it never raises."""
    body = bytearray(_page(ROW, {**copy.deepcopy(ROW), "ratingKey": "1004"}))
    for at, how, data in damage:
        at %= len(body)
        if how == "flip":
            body[at:at + len(data)] = data
        elif how == "drop":
            del body[at:at + len(data)]
        else:
            body[at:at] = data
    fast = decode_items_page(bytes(body))
    careful = _careful(bytes(body))
    if fast is not None and isinstance(careful, tuple):
        _assert_same_or_handed_back(bytes(body))
