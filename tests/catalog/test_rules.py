"""Discovery rules as pure functions: every criterion and its reason, the hash, the moves a
decision may make (never a downgrade), approval."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.rules import engine as rules
from catalog.rules import vocab
from catalog.rules.engine import ShowFacts, decision_next, evaluate, filters_from_spec, filters_hash

DRAMA = ShowFacts(tvdb_id=1, language="English", country="US", type="Scripted",
                  status="Running", premiered=date(2015, 5, 1), network="CBS", web_channel="",
                  genres=("Drama", "Crime"), runtime=45, rating=7.9)


def verdict(facts: ShowFacts, *selections: dict, **excludes: list) -> str | None:
    return evaluate(facts, filters_from_spec({"selections": list(selections),
                                              "excludes": excludes}))


def test_it_admits_everything_with_an_empty_rule():
    assert verdict(DRAMA) is None
    assert verdict(ShowFacts()) is None


@pytest.mark.parametrize(("criteria", "reason"), [
    ({"genres_any": ["Comedy", "Anime"]}, "genre:Drama"),
    ({"genres_none": ["Crime"]}, "genre:Crime"),
    ({"types": ["Animation"]}, "type:Scripted"),
    ({"countries": ["JP", "KR"]}, "country:US"),
    ({"languages": ["Japanese"]}, "language:English"),
    ({"statuses": ["Ended"]}, "running"),
    ({"premiered_from": "2016-01-01"}, "premiered<2016-01-01"),
    ({"premiered_before": "2015-05-01"}, "premiered>=2015-05-01"),
    ({"runtime_min": 50}, "runtime<50"),
    ({"runtime_max": 30}, "runtime>30"),
    ({"networks_any": ["hbo", "Netflix"]}, "network:CBS"),
    ({"networks_none": ["cbs"]}, "network:CBS"),
    ({"rating_min": 8}, "rating<8"),
])
def test_it_names_the_first_failing_criterion(criteria, reason):
    assert verdict(DRAMA, criteria) == reason


@pytest.mark.parametrize(("criteria", "reason"), [
    ({"genres_any": ["Drama"]}, "genre:none"),
    ({"types": ["Scripted"]}, "type:none"),
    ({"countries": ["US"]}, "country:none"),
    ({"languages": ["English"]}, "language:none"),
    ({"statuses": ["Running"]}, "status:none"),
    ({"premiered_from": "2000-01-01"}, "premiered:none"),
    ({"runtime_min": 1}, "runtime:none"),
    ({"networks_any": ["CBS"]}, "network:none"),
    ({"rating_min": 1}, "rating:none"),
])
def test_it_fails_a_criterion_on_a_missing_fact_with_its_own_reason(criteria, reason):
    assert verdict(ShowFacts(), criteria) == reason


def test_it_reports_ended_for_an_ended_show_outside_the_statuses():
    ended = ShowFacts(status="Ended")
    assert verdict(ended, {"statuses": ["Running", "To Be Determined"]}) == "ended"


def test_it_passes_each_criterion_at_its_boundary():
    assert verdict(DRAMA, {"premiered_from": "2015-05-01", "premiered_before": "2015-05-02",
                           "runtime_min": 45, "runtime_max": 45, "rating_min": 7.9}) is None


def test_it_matches_a_web_channel_like_a_network_case_insensitively():
    streamer = ShowFacts(web_channel="Netflix")
    assert verdict(streamer, {"networks_any": ["NETFLIX"]}) is None
    assert verdict(streamer, {"networks_none": ["netflix"]}) == "network:Netflix"


def test_it_admits_a_show_matching_any_one_selection():
    anime = ShowFacts(language="Japanese", type="Animation", genres=("Anime",))
    english_drama = {"languages": ["English"], "types": ["Scripted"], "genres_any": ["Drama"]}
    japanese_animation = {"languages": ["Japanese"], "types": ["Animation"]}
    assert verdict(anime, english_drama, japanese_animation) is None
    assert verdict(DRAMA, english_drama, japanese_animation) is None
    # Neither: the first selection's reason is the one reported.
    korean = ShowFacts(language="Korean", type="Scripted", genres=("Drama",))
    assert verdict(korean, english_drama, japanese_animation) == "language:Korean"


def test_it_needs_all_criteria_of_a_selection():
    assert verdict(DRAMA, {"languages": ["English"], "runtime_min": 60}) == "runtime<60"


@pytest.mark.parametrize(("excludes", "reason"), [
    ({"networks": ["cbs"]}, "exclude:network:CBS"),
    ({"genres": ["Crime"]}, "exclude:genre:Crime"),
    ({"types": ["Scripted"]}, "exclude:type:Scripted"),
    ({"countries": ["US"]}, "exclude:country:US"),
    ({"languages": ["English"]}, "exclude:language:English"),
    ({"statuses": ["Running"]}, "exclude:status:Running"),
])
def test_it_keeps_out_a_show_matching_a_global_exclude_before_any_selection(excludes, reason):
    assert verdict(DRAMA, {"languages": ["English"]}, **excludes) == reason
    assert verdict(DRAMA, **excludes) == reason


def test_it_hashes_equal_filters_equally_whatever_the_list_order():
    one = {"selections": [{"genres_any": ["Drama", "Crime"], "premiered_from": "2010-01-01"}],
           "excludes": {"networks": ["CBS", "ABC"]}}
    two = {"selections": [{"genres_any": ["Crime", "Drama"],
                           "premiered_from": date(2010, 1, 1)}],
           "excludes": {"networks": ["abc", "cbs"]}}
    assert filters_hash(one) == filters_hash(two)


@pytest.mark.parametrize("change", [
    {"selections": [{"genres_any": ["Drama"]}]},
    {"selections": [{"genres_any": ["Crime", "Drama"], "runtime_min": 1}]},
    {"selections": [{"genres_any": ["Crime", "Drama"]}, {}]},
    {"selections": [{"genres_any": ["Crime", "Drama"]}], "excludes": {"genres": ["Crime"]}},
])
def test_it_changes_the_hash_whenever_what_passes_may_change(change):
    base = {"selections": [{"genres_any": ["Crime", "Drama"]}]}
    assert filters_hash(base) != filters_hash(change)


def test_it_gives_an_empty_rule_a_stable_hash():
    assert filters_hash({}) == filters_hash({"selections": [], "excludes": {}})


@pytest.mark.parametrize("final", ["added", "exists", "skipped", "declined"])
@pytest.mark.parametrize("verdict_", [None, "genre:Reality"])
def test_it_never_downgrades_a_settled_decision(final, verdict_):
    assert decision_next(current=final, current_reason="", verdict=verdict_, has_tvdb=True,
                         requires_approval=False, approved=False) is None


@pytest.mark.parametrize(("current", "kwargs", "expected"), [
    (None, {}, ("pending", "")),
    (None, {"verdict": "ended"}, ("filtered", "ended")),
    ("filtered", {}, ("pending", "")),
    ("pending", {"verdict": "language:Korean"}, ("filtered", "language:Korean")),
    (None, {"has_tvdb": False}, ("pending_tvdb", "")),
    ("pending_tvdb", {}, ("pending", "")),
    (None, {"requires_approval": True}, ("awaiting_approval", "")),
    ("awaiting_approval", {"verdict": "ended"}, ("filtered", "ended")),
    ("failed", {"verdict": "ended"}, ("filtered", "ended")),
])
def test_it_moves_a_decision_as_the_evaluation_says(current, kwargs, expected):
    args = {"verdict": None, "has_tvdb": True, "requires_approval": False, "approved": False,
            **kwargs}
    assert decision_next(current=current, current_reason="", **args) == expected


def test_it_remembers_an_approval_across_re_evaluations():
    assert decision_next(current="pending", current_reason="", verdict=None, has_tvdb=True,
                         requires_approval=True, approved=True) is None
    assert decision_next(current="filtered", current_reason="ended", verdict=None,
                         has_tvdb=True, requires_approval=True,
                         approved=True) == ("pending", "")


def test_it_leaves_a_failed_add_failed_while_the_show_still_passes():
    assert decision_next(current="failed", current_reason="Sonarr said no", verdict=None,
                         has_tvdb=True, requires_approval=False, approved=False) is None


def test_it_retries_a_decision_given_up_for_want_of_a_tvdb_id_once_the_id_arrives():
    assert decision_next(current="failed", current_reason=rules.NO_TVDB, verdict=None,
                         has_tvdb=True, requires_approval=False,
                         approved=False) == ("pending", "")


def test_it_leaves_an_unchanged_decision_alone():
    assert decision_next(current="filtered", current_reason="ended", verdict="ended",
                         has_tvdb=True, requires_approval=False, approved=False) is None


@pytest.mark.parametrize(("name", "given", "good", "bad"), [
    ("genres_any", ["drama", "SCIENCE-fiction", "Drama"], ["Drama", "Science-Fiction"], []),
    ("languages", ["english", "Klingon"], ["English"], ["Klingon"]),
    ("countries", ["us", "XX"], ["US"], ["XX"]),
    ("statuses", ["ended", ""], ["Ended"], ["(empty)"]),
    ("networks", [" HBO ", "x" * 201], ["HBO"], ["x" * 40]),
])
def test_it_canonicalises_values_and_names_the_unknown_ones(name, given, good, bad):
    assert vocab.canonical_values(name, given) == (good, bad)


def test_it_reports_inverted_ranges_as_field_errors():
    errors = vocab.range_errors({"premiered_from": date(2020, 1, 1),
                                 "premiered_before": date(2010, 1, 1), "runtime_min": 60,
                                 "runtime_max": 30, "rating_min": 11})
    assert set(errors) == {"premiered_before", "runtime_max", "rating_min"}


def test_it_leaves_a_pending_tvdb_sonarr_did_not_know_to_its_retry_clock():
    sonarr_unknown = {"current": "pending_tvdb", "current_reason": "lookup found nothing",
                      "requires_approval": False, "approved": False}
    assert decision_next(**sonarr_unknown, verdict=None, has_tvdb=True) is None
    assert decision_next(**sonarr_unknown, verdict="ended", has_tvdb=True) == (
        "filtered", "ended")


@pytest.mark.parametrize("typed", [
    "T\u00e9l\u00e9-Qu\u00e9bec",  # as TVMaze spells it (composed)
    "Te\u0301le\u0301-Que\u0301bec",  # the same letters decomposed, as some keyboards send
    "T\u00c9L\u00c9-QU\u00c9BEC",
])
def test_it_matches_a_network_whatever_its_unicode_form_or_case(typed):
    quebec = ShowFacts(tvdb_id=1, network="T\u00e9l\u00e9-Qu\u00e9bec")
    assert verdict(quebec, {"networks_any": [typed]}) is None
    assert verdict(quebec, {"networks_none": [typed]}) == "network:T\u00e9l\u00e9-Qu\u00e9bec"
    ex = filters_from_spec({"excludes": {"networks": [typed]}})
    assert evaluate(quebec, ex) == "exclude:network:T\u00e9l\u00e9-Qu\u00e9bec"
    german = ShowFacts(tvdb_id=1, network="Stra\u00dfe TV")
    assert verdict(german, {"networks_any": ["STRASSE TV"]}) is None


def test_it_hashes_network_spellings_that_admit_the_same_shows_alike():
    assert filters_hash({"selections": [{"networks_any": ["Te\u0301le\u0301"]}]}) == \
        filters_hash({"selections": [{"networks_any": ["T\u00c9L\u00c9"]}]})
