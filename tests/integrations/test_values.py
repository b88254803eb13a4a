"""Common value objects: external ids, pages, rejects."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from integrations.values import Authority, ExternalId, Page, Reject


def test_it_parses_an_external_id_descriptor() -> None:
    assert ExternalId.parse("tvdb:81189") == ExternalId(Authority.TVDB, "81189")


@pytest.mark.parametrize("text", ["tvmaze:1", "tvdb:81189", "imdb:tt0903747", "tmdb:1396",
                                  "plex:5d9c086c46115600200aa2fe"])
def test_it_round_trips_every_authority_through_its_descriptor(text: str) -> None:
    assert ExternalId.parse(text).descriptor == text


def test_it_normalises_case_and_whitespace_of_the_authority() -> None:
    assert ExternalId.parse(" TVDB:81189 ") == ExternalId(Authority.TVDB, "81189")


@pytest.mark.parametrize("text", ["", "81189", "tvdb:", "tvdb: ", "tvrage:123", ":5"])
def test_it_rejects_malformed_descriptors(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        ExternalId.parse(text)


def test_it_keeps_the_rest_of_the_value_after_the_first_colon() -> None:
    assert ExternalId.parse("plex:show:abc").value == "show:abc"


def test_it_accepts_a_plain_string_authority_and_stores_the_enum() -> None:
    external = ExternalId("imdb", "tt0944947")  # type: ignore[arg-type]
    assert external.authority is Authority.IMDB


def test_it_rejects_an_empty_value() -> None:
    with pytest.raises(ValueError, match="empty"):
        ExternalId(Authority.TMDB, " ")


def test_it_makes_external_ids_immutable_and_hashable() -> None:
    external = ExternalId(Authority.TVMAZE, "82")
    with pytest.raises(dataclasses.FrozenInstanceError):
        external.value = "83"  # type: ignore[misc]
    assert {external, ExternalId.parse("tvmaze:82")} == {external}


def test_it_uses_slots_so_values_stay_small() -> None:
    assert not hasattr(ExternalId(Authority.TVDB, "1"), "__dict__")


def test_it_freezes_page_items_passed_as_a_list() -> None:
    page = Page(items=[1, 2, 3], cursor="4", total=10, rejects=[Reject("#3", "bad date")])
    assert (page.items, page.rejects) == ((1, 2, 3), (Reject("#3", "bad date"),))


def test_it_marks_a_page_without_cursor_as_the_last() -> None:
    assert (Page((1,), cursor=None).is_last, Page((1,), cursor="2").is_last) == (True, False)


def test_it_defaults_total_and_rejects() -> None:
    page: Page[int] = Page(items=(), cursor=None)
    assert (page.total, page.rejects) == (None, ())


def test_it_pickles_values_for_worker_processes() -> None:
    page = Page((ExternalId.parse("tvdb:1"),), cursor="c", rejects=(Reject("7", "no name"),))
    assert pickle.loads(pickle.dumps(page)) == page  # noqa: S301 - our own bytes


def test_it_builds_a_page_through_its_generic_alias() -> None:
    page = Page[int](items=[1, 2], cursor=None)
    assert page.items == (1, 2)


def test_it_refuses_to_change_a_page() -> None:
    page = Page((1,), cursor=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.cursor = "2"  # type: ignore[misc]
