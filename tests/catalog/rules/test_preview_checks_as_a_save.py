"""The preview refuses what a save refuses, with the same words: a name outside its
vocabulary and an inverted range read the same from the API and from the Rules page."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from catalog.models import DiscoveryRule
from tests import factories

BAD = {
    "genre typo": {"selections": [{"genres_any": ["Dramma"]}]},
    "language typo": {"selections": [{"languages": ["Klingon"]}]},
    "country typo in the excludes": {"excludes": {"countries": ["XX"]}},
    "inverted runtime": {"selections": [{"runtime_min": 70, "runtime_max": 20}]},
    "inverted premiere": {"selections": [{"premiered_from": "2020-01-01",
                                          "premiered_before": "2019-01-01"}]},
    "rating past its bound": {"selections": [{"rating_min": 11}]},
}
WORDS = {"rating past its bound": "between 0 and 10"}  # DRF words the API's own bound


def _messages(detail: object) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


@pytest.mark.django_db
@pytest.mark.parametrize("filters", list(BAD.values()), ids=list(BAD))
def test_it_refuses_in_the_preview_what_a_save_refuses_in_the_same_words(
        filters, admin_user, api_as, client):
    server = factories.SonarrServerFactory()
    body = {"name": "typo", "server": server.pk, "root_folder": "/tv",
            "quality_profile": "HD", **filters}
    saved = api_as(admin_user).post("/api/rules/", body, format="json")
    assert saved.status_code == 400, saved.content
    assert not DiscoveryRule.objects.exists()
    rule = factories.DiscoveryRuleFactory(server=server)
    client.force_login(admin_user)
    previewed = client.get(f"/rules/{rule.pk}/preview/?"
                           f"{urlencode({'filters': json.dumps(filters)})}")
    assert previewed.status_code == 400
    said = previewed.context["preview_error"]
    words = WORDS.get(next(k for k, v in BAD.items() if v is filters))
    if words is None:
        assert any(message in said for message in _messages(saved.json())), (
            said, saved.json())
    else:
        assert words in said


@pytest.mark.django_db
def test_it_previews_names_as_a_save_spells_them(admin_user, client):
    factories.ShowFactory(genres=["Drama"])
    rule = factories.DiscoveryRuleFactory()
    client.force_login(admin_user)
    text = json.dumps({"selections": [{"genres_any": ["drama"]}]})
    previewed = client.get(f"/rules/{rule.pk}/preview/?{urlencode({'filters': text})}")
    assert previewed.status_code == 200
    assert previewed.context["preview"].admitted == 1  # saved as "Drama", previewed so too
