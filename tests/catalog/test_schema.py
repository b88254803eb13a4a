"""The OpenAPI schema builds cleanly and the docs page is served offline."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_it_builds_the_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/shows/" in out.read_text()


@pytest.mark.django_db
def test_it_serves_the_docs_page_from_the_sidecar(admin_user, client):
    client.force_login(admin_user)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


@pytest.mark.django_db
def test_it_states_the_bounds_of_nested_lists(tmp_path):
    """A rule refuses more than MAX_SELECTIONS selections; the schema must say so, or a
    client that follows it gets a 400 for a body the schema calls valid."""
    from catalog.api.rule_serializers import MAX_SELECTIONS

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    schemas = yaml.safe_load(out.read_text())["components"]["schemas"]
    for name in ("DiscoveryRuleRequest", "PatchedDiscoveryRuleRequest"):
        assert schemas[name]["properties"]["selections"]["maxItems"] == MAX_SELECTIONS
    assert "maxItems" not in schemas["DiscoveryRule"]["properties"]["selections"]
