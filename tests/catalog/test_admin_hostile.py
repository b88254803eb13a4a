"""Hostile input in the admin: a clear answer, never a 500, nothing half-written."""

from __future__ import annotations

import pytest

from tests import factories

LISTS = ["plexserver", "plexlibrary", "mediaitem", "sonarrserver", "discoveryrule", "decision",
         "syncrun", "show"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["name=a%00b", "status__exact=%00", "state__exact=%00",
                                   "q=a%00b", "a%00b=1"])
@pytest.mark.parametrize("model", LISTS)
def test_it_answers_400_to_a_nul_in_a_changelist_parameter(model, query, admin_user, client):
    """PostgreSQL refuses NUL in text: a filter carrying one would be a 500 there."""
    factories.PlexServerFactory()
    client.force_login(admin_user)
    response = client.get(f"/admin/catalog/{model}/?{query}")
    assert response.status_code == 400
    assert b"NUL" in response.content
