"""Item and show digests: exactly the fields the issue names, stable across processes."""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import blake2b

import pytest
from msgspec.structs import replace

from catalog.sync.plex.digests import item_digest, show_digest
from integrations.values import Authority, ExternalId
from integrations.values.plex import PlexItem, PlexMedia, PlexPart, PlexShow

STAMP = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def _part(**kw) -> PlexPart:
    base = {"id": 1, "file": "/data/tv/a.mkv", "size": 1000, "duration": 60_000,
            "container": "mkv", "accessible": None, "exists": None}
    return PlexPart(**{**base, **kw})


def _media(*parts: PlexPart, **kw) -> PlexMedia:
    base = {"id": 9, "duration": 60_000, "bitrate": 4000, "width": 1920, "height": 1080,
            "video_codec": "h264", "audio_codec": "aac", "audio_channels": 6,
            "video_resolution": "1080", "container": "mkv", "parts": parts or (_part(),)}
    return PlexMedia(**{**base, **kw})


ITEM = PlexItem(rating_key="42", type="episode", guid="plex://episode/abc", title="Pilot",
                external_ids=(), show_rating_key="7", season_number=1, episode_number=1,
                year=2001, duration=60_000, added_at=STAMP, updated_at=STAMP,
                media=(_media(),))
SHOW = PlexShow(rating_key="7", guid="plex://show/x", title="Show", year=2001, added_at=STAMP,
                updated_at=STAMP, child_count=2, leaf_count=20, external_ids=())


def test_it_hashes_the_named_fields_of_an_item():
    text = "42|1700000000|60000|1000|1|h264/aac/6|plex://episode/abc"
    assert item_digest(ITEM) == blake2b(text.encode(), digest_size=20).hexdigest()
    assert len(item_digest(ITEM)) == 40


@pytest.mark.parametrize("changed", [
    replace(ITEM, rating_key="43"),
    replace(ITEM, updated_at=datetime(2024, 1, 1, tzinfo=UTC)),
    replace(ITEM, duration=61_000),
    replace(ITEM, media=(_media(_part(size=2000)),)),
    replace(ITEM, media=(_media(_part(), _part(id=2, size=5)),)),
    replace(ITEM, media=(_media(video_codec="hevc"),)),
    replace(ITEM, media=(_media(audio_channels=2),)),
    replace(ITEM, guid="plex://episode/other"),
])
def test_it_changes_with_every_named_item_field(changed):
    assert item_digest(changed) != item_digest(ITEM)


def test_it_ignores_what_the_digest_does_not_name():
    same = replace(ITEM, title="Renamed", added_at=datetime(2001, 1, 1, tzinfo=UTC),
                   media=(_media(_part(file="/elsewhere/a.mkv"), bitrate=1),))
    assert item_digest(same) == item_digest(ITEM)


def test_it_uses_the_first_external_id_when_an_item_has_no_guid():
    bare = replace(ITEM, guid=None, external_ids=(ExternalId(Authority.TMDB, "5"),))
    text = "42|1700000000|60000|1000|1|h264/aac/6|tmdb:5"
    assert item_digest(bare) == blake2b(text.encode(), digest_size=20).hexdigest()


def test_it_digests_an_item_without_media():
    assert item_digest(replace(ITEM, media=())) != item_digest(ITEM)


def test_it_hashes_the_named_fields_of_a_show():
    newest = datetime(2023, 11, 15, tzinfo=UTC)
    text = f"2|20|1700000000|{int(newest.timestamp())}"
    assert show_digest(SHOW, newest) == blake2b(text.encode(), digest_size=20).hexdigest()


@pytest.mark.parametrize("changed", [
    (replace(SHOW, child_count=3), STAMP), (replace(SHOW, leaf_count=21), STAMP),
    (replace(SHOW, updated_at=datetime(2024, 1, 1, tzinfo=UTC)), STAMP),
    (SHOW, datetime(2024, 1, 1, tzinfo=UTC)), (SHOW, None),
])
def test_it_changes_with_every_named_show_field(changed):
    assert show_digest(*changed) != show_digest(SHOW, STAMP)


def test_it_ignores_a_show_rename():
    assert show_digest(replace(SHOW, title="Other"), STAMP) == show_digest(SHOW, STAMP)
