"""Hostile ids and values: a clear 404 or message, never a 500."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SyncRun

HUGE = "9" * 30


@pytest.mark.django_db
def test_it_answers_404_for_ids_beyond_any_column(operator, client):
    client.force_login(operator)
    for url in (f"/shows/{HUGE}/", f"/libraries/servers/{HUGE}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/runs/{HUGE}/cancel/").status_code == 404
    assert client.post(f"/shows/{HUGE}/refresh/").status_code == 404


@pytest.mark.django_db
def test_it_ignores_ids_beyond_any_column_in_forms(operator, client):
    client.force_login(operator)
    response = client.post("/sync/plex/", {"library": HUGE}, follow=True)
    assert response.status_code == 200 and not SyncRun.objects.exists()
    response = client.post("/decisions/review/", {"verdict": "skip", "decision": [HUGE]},
                           follow=True)
    assert response.status_code == 200 and not Decision.objects.exists()
    assert client.get(f"/shows/?rule={HUGE}").status_code == 400
    assert client.get(f"/runs/?page={HUGE}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("digits", ["\u00b2", "\uff11", "\u0661\u0662"])  # isdigit() says yes
def test_it_takes_only_ascii_digits_as_numbers(digits, operator, client):
    client.force_login(operator)
    assert client.get(f"/shows/?page={digits}").status_code == 400
    assert client.get(f"/shows/?rule={digits}").status_code == 400
    assert client.get(f"/runs/?page={digits}").status_code == 200
    response = client.post("/sync/plex/", {"library": digits}, follow=True)
    assert response.status_code == 200 and not SyncRun.objects.exists()
    response = client.post("/decisions/review/", {"verdict": "skip", "decision": [digits]},
                           follow=True)
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["q", "status", "network", "country", "language"])
def test_it_names_a_nul_character_in_a_text_filter(name, viewer, client):
    """PostgreSQL refuses NUL in text: the filter must never reach the query with one."""
    client.force_login(viewer)
    response = client.get(f"/shows/?{name}=a%00b")
    assert response.status_code == 400
    assert f"{name}: " in response.content.decode()
