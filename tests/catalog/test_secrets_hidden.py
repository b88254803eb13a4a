"""Secrets never appear in API responses, admin pages, str or repr."""

from __future__ import annotations

import pytest

from tests import factories

PLEX_SECRET = "plex-token-SECRET-value"
SONARR_SECRET = "sonarr-apikey-SECRET-value"


@pytest.fixture
def servers(db):
    plex = factories.PlexServerFactory(token=PLEX_SECRET)
    sonarr = factories.SonarrServerFactory(api_key=SONARR_SECRET)
    factories.PathMappingFactory(server=plex)
    factories.DiscoveryRuleFactory(server=sonarr)
    return plex, sonarr


API_URLS = ["/api/plex/servers/", "/api/sonarr/servers/", "/api/path-mappings/", "/api/rules/",
            "/api/schema/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_URLS)
def test_it_keeps_secrets_out_of_api_responses(url, servers, admin_user, api_as):
    response = api_as(admin_user).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert PLEX_SECRET not in body and SONARR_SECRET not in body


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_detail_and_create_responses(servers, admin_user, api_as):
    plex, _ = servers
    client = api_as(admin_user)
    assert PLEX_SECRET not in client.get(f"/api/plex/servers/{plex.pk}/").content.decode()
    created = client.post("/api/sonarr/servers/", {
        "name": "new", "url": "http://sonarr:8989", "api_key": "brand-new-secret"}, format="json")
    assert created.status_code == 201
    assert "brand-new-secret" not in created.content.decode()


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_admin_pages(servers, admin_user, client):
    plex, sonarr = servers
    client.force_login(admin_user)
    pages = [
        "/admin/catalog/plexserver/", f"/admin/catalog/plexserver/{plex.pk}/change/",
        "/admin/catalog/sonarrserver/", f"/admin/catalog/sonarrserver/{sonarr.pk}/change/",
        "/admin/catalog/pathmapping/", "/admin/catalog/discoveryrule/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert PLEX_SECRET not in body and SONARR_SECRET not in body, page


@pytest.mark.django_db
def test_it_keeps_secrets_out_of_str_and_repr(servers):
    plex, sonarr = servers
    for text in (str(plex), repr(plex), str(sonarr), repr(sonarr)):
        assert PLEX_SECRET not in text and SONARR_SECRET not in text
