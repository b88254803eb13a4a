"""Hostile input gets a 400 (or 404/409/413), never a 500, and a refused write writes nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.api.errors import exception_handler
from catalog.api.filter_base import BooleanFilter, IntegerFilter, TextFilter
from catalog.models import (
    DiscoveryRule,
    PathMapping,
    PlexServer,
    RuleSelection,
    SonarrServer,
    SyncRun,
)
from catalog.models.validators import validate_credential, validate_server_url
from tests import factories

HUGE = "9223372036854775808"  # 2**63: past every integer column
DEEP = "[" * 100_000 + "]" * 100_000


def _api_viewsets():
    """Every registered viewset with a filterset, found from the URLconf (not a list)."""
    seen = {}
    for pattern in get_resolver().url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            for leaf in getattr(sub, "url_patterns", [sub]):
                view = getattr(getattr(leaf, "callback", None), "cls", None)
                if view is not None and getattr(view, "filterset_class", None) \
                        and str(getattr(leaf, "name", "")).endswith("-list"):
                    route = "/api/" + str(leaf.pattern).lstrip("^").split("(?P", 1)[0]
                    if "{" not in route and "<" not in route and route.endswith("/$"):
                        seen[view] = route.removesuffix("$")
    return seen


def _write_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [path for path, item in schema["paths"].items()
            if "post" in item and "{" not in path]


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    f"/api/items/?show={HUGE}", f"/api/items/?server={HUGE}", f"/api/items/?library={HUGE}",
    f"/api/shows/?tvmaze_id={HUGE}", f"/api/episodes/?season=-{HUGE}", "/api/items/?show=1.5",
    "/api/items/?show=NaN", "/api/items/?show=", "/api/shows/?in_plex=maybe",
    "/api/shows/?ordering=nope", "/api/shows/?ordering=title,-password", "/api/shows/?ordering=",
    "/api/shows/?ordering=title,,id",
    "/api/shows/?page=abc", f"/api/shows/?page={HUGE}", "/api/shows/?page=0",
    "/api/shows/?page_size=0", "/api/shows/?page_size=501", "/api/shows/?search=" + "a" * 101,
    "/api/shows/?search=%00", "/api/shows/?genre=" + "g" * 101, "/api/items/?state=bogus",
    "/api/shows/?premiered_after=99999-01-01", "/api/sync-runs/?scope=%00",
    "/api/sync-runs/?scope=" + "s" * 101, "/api/items/?rating_key=%00",
    "/api/live/?since=", "/api/live/?since=2026-11-29", "/api/live/?since=2026-11-29%2010:00:00Z",
    "/api/live/?since=2026-11-29T10:00:00", "/api/live/?since=2026-02-30T10:00:00Z",
    "/api/live/?since=%00", "/api/live/?after=x&since=2026-11-29T10:00:00Z",
    f"/api/live/?after={HUGE}&since=2026-11-29T10:00:00Z", "/api/decisions/?rule=" + HUGE,
    "/api/rules/?validation=bogus",
])
def test_it_answers_400_naming_the_parameter(query, viewer, api_as):
    factories.MediaItemFactory()
    response = api_as(viewer).get(query)
    assert response.status_code == 400, response.content
    name = query.split("?", 1)[1].split("=", 1)[0]
    assert list(response.json()) == [name]


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["2026-11-29T10:00:00Z", "2026-11-29t10:00:00.123456789+02:00"])
def test_it_takes_an_rfc3339_since(since, viewer, api_as):
    response = api_as(viewer).get("/api/live/", {"since": since})
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_it_bounds_every_integer_filter_of_every_endpoint(viewer, api_as):
    client = api_as(viewer)
    viewsets = _api_viewsets()
    assert len(viewsets) >= 8
    checked = 0
    for view, route in viewsets.items():
        for name, filter_ in view.filterset_class.base_filters.items():
            assert isinstance(filter_, (IntegerFilter, TextFilter, BooleanFilter)) or \
                type(filter_).__name__ in {"ChoiceFilter", "DateFilter"}, (view, name)
            if isinstance(filter_, IntegerFilter):
                response = client.get(route, {name: HUGE})
                assert response.status_code == 400, (route, name, response.content)
                checked += 1
    assert checked >= 15


@pytest.mark.django_db
def test_it_answers_404_past_the_last_page_and_json_404_off_the_map(viewer, api_as):
    client = api_as(viewer)
    assert client.get("/api/shows/?page=2").status_code == 404
    lost = client.get("/api/no-such-thing/1.5/")
    assert (lost.status_code, lost["Content-Type"]) == (404, "application/json")
    assert client.get(f"/api/shows/{HUGE}/").status_code == 404


@pytest.mark.django_db
def test_it_refuses_a_100000_deep_body_on_every_post_endpoint(admin_user, api_as):
    library = factories.PlexLibraryFactory()
    client = api_as(admin_user)
    paths = [*_write_paths(), f"/api/plex/libraries/{library.pk}/sync/"]
    assert "/api/rules/" in paths and "/api/auth/token/" in paths
    for path in paths:
        response = client.post(path, DEEP, content_type="application/json")
        assert response.status_code == 400, (path, response.content)
        assert "nested" in response.json()["detail"]
        shallow = '{"name": ' + "[" * 33 + '"x"' + "]" * 33 + "}"
        assert client.post(path, shallow, content_type="application/json").status_code == 400
    assert (PlexServer.objects.count(), DiscoveryRule.objects.count()) == (1, 0)


@pytest.mark.django_db
def test_it_answers_413_to_a_body_past_the_limit(admin_user, api_as, settings):
    settings.API_MAX_BODY_BYTES = 4096
    body = json.dumps({"name": "n", "url": "http://plex:32400", "token": "t" * 5000})
    response = api_as(admin_user).post("/api/plex/servers/", body,
                                       content_type="application/json")
    assert response.status_code == 413
    assert not PlexServer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/sync/tvmaze/", {"full": 0}, "full"),
    ("/api/sync/tvmaze/", {"full": "true"}, "full"),
    ("/api/plex/servers/", {"name": 5, "url": "http://plex:32400", "token": "t"}, "name"),
    ("/api/plex/servers/", {"name": "p", "url": "http://plex:32400", "token": 7}, "token"),
    ("/api/plex/servers/", {"name": "p", "url": "http://plex:32400", "token": "t",
                            "enabled": "yes"}, "enabled"),
    ("/api/plex/servers/", {"name": "p", "url": "http://plex:99999", "token": "t"}, "url"),
    ("/api/path-mappings/", {"server": "1", "plex_prefix": "/a", "local_prefix": "/b"},
     "server"),
])
def test_it_takes_json_types_at_their_word(path, body, field, admin_user, api_as):
    factories.PlexServerFactory(pk=1)
    response = api_as(admin_user).post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert PlexServer.objects.count() == 1 and not PathMapping.objects.exists()


def _rule_body(rule_server: SonarrServer, **changes) -> dict:
    return {"name": "dramas", "server": rule_server.pk, "root_folder": "/tv",
            "quality_profile": "HD-1080p", "tags": ["hd"],
            "selections": [{"name": "english dramas", "genres_any": ["Drama"],
                            "languages": ["English"], "runtime_min": 20, "runtime_max": 70}],
            "excludes": {"types": ["Reality"]}, **changes}


def _selection(**criteria) -> dict:
    return {"selections": [{"genres_any": ["Drama"], **criteria}]}


BAD_RULES = {
    # the shape of the filters
    "selections null": {"selections": None},
    "selections an object": {"selections": {"genres_any": ["Drama"]}},
    "selection a list": {"selections": [["Drama"]]},
    "criterion a string": _selection(genres_any="Drama"),
    "criterion nested": _selection(languages=[["English"]]),
    "criterion a number": _selection(networks_any=[7]),
    "too many selections": {"selections": [{"genres_any": ["Drama"]}] * 21},
    "too many values": _selection(genres_none=["Drama"] * 201),
    "excludes a list": {"excludes": ["Reality"]},
    "excludes values a string": {"excludes": {"types": "Reality"}},
    # unknown vocabulary values
    "unknown genre": _selection(genres_any=["Dramaa"]),
    "unknown language": _selection(languages=["Klingon"]),
    "unknown country": {"excludes": {"countries": ["XX"]}},
    "unknown status": _selection(statuses=["Cancelled forever"]),
    "blank network": _selection(networks_none=["  "]),
    # ranges and dates
    "inverted runtime": _selection(runtime_min=70, runtime_max=20),
    "inverted premiere": _selection(premiered_from="2020-01-01", premiered_before="2019-01-01"),
    "impossible date": _selection(premiered_from="2020-02-30"),
    "date a number": _selection(premiered_from=20200101),
    "rating past 10": _selection(rating_min=10.5),
    "negative runtime": _selection(runtime_min=-1),
    # huge integers and wrong JSON types
    "huge runtime": _selection(runtime_max=2**63),
    "huge free space": {"min_free_space_gb": 2**63},
    "huge server id": {"server": 2**63},
    "runtime a string": _selection(runtime_min="20"),
    "rating a string": _selection(rating_min="7"),
    "rating a boolean": _selection(rating_min=True),
    "server a string": {"server": "1"},
    "enabled a string": {"enabled": "yes"},
    "quality profile a number": {"quality_profile": 5},
    "tags a string": {"tags": "hd"},
    "tag a number": {"tags": [3]},
    # add options
    "blank quality profile": {"quality_profile": "  "},
    "relative root folder": {"root_folder": "tv"},
    "unknown monitor": {"monitor": "sometimes"},
    "tag with spaces": {"tags": ["two words"]},
    # NUL
    "NUL in the name": {"name": "dra\x00mas"},
    "NUL in the root folder": {"root_folder": "/tv\x00"},
    "NUL in a network": _selection(networks_any=["HBO\x00"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("changes", list(BAD_RULES.values()), ids=list(BAD_RULES))
def test_it_refuses_a_bad_rule_and_writes_nothing(changes, admin_user, api_as):
    server = factories.SonarrServerFactory()
    client = api_as(admin_user)
    created = client.post("/api/rules/", _rule_body(server, **changes), format="json")
    assert created.status_code == 400, created.content
    assert not DiscoveryRule.objects.exists() and not RuleSelection.objects.exists()
    rule = factories.DiscoveryRuleFactory(server=server, name="kept", exclude_genres=["News"])
    RuleSelection.objects.create(rule=rule, name="kept", languages=["French"])
    for method in (client.put, client.patch):
        body = _rule_body(server, **{"name": "renamed", **changes})
        update = method(f"/api/rules/{rule.pk}/", body, format="json")
        assert update.status_code == 400, (method, update.content)
        rule.refresh_from_db()
        assert (rule.name, rule.exclude_genres, rule.root_folder) == ("kept", ["News"], "/tv")
        assert list(rule.selections.values_list("name", "languages")) == [("kept", ["French"])]
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.RULES).exists()


@pytest.mark.django_db
def test_it_takes_the_good_rule_the_bad_cases_start_from(admin_user, api_as):
    """The bodies above fail for the one change each makes, not for the body they share."""
    server = factories.SonarrServerFactory()
    response = api_as(admin_user).post("/api/rules/", _rule_body(server), format="json")
    assert response.status_code == 201, response.content
    rule = DiscoveryRule.objects.get()
    assert rule.selections.get().languages == ["English"]
    assert rule.exclude_types == ["Reality"]


@pytest.mark.django_db
def test_it_answers_409_to_a_duplicate_and_keeps_the_original(admin_user, api_as):
    server = factories.SonarrServerFactory()
    client = api_as(admin_user)
    assert client.post("/api/rules/", _rule_body(server), format="json").status_code == 201
    again = client.post("/api/rules/", _rule_body(server, root_folder="/other"), format="json")
    assert again.status_code == 409
    assert list(DiscoveryRule.objects.values_list("root_folder", flat=True)) == ["/tv"]


def test_it_turns_values_the_database_cannot_store_into_400():
    assert exception_handler(OverflowError("Python int too large"), {}).status_code == 400


@pytest.mark.django_db
def test_the_schema_documents_errors_and_rules():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [(path, method, op) for path, item in schema["paths"].items()
                  for method, op in item.items()]
    assert len(operations) >= 40
    for path, method, op in operations:
        codes = set(op["responses"])
        if path != "/api/auth/token/":
            assert {"401", "403"} <= codes, (path, method)
        if "{id}" in path:
            assert "404" in codes, (path, method)
        if method in ("post", "put", "patch"):
            assert {"400", "409", "413", "415"} <= codes, (path, method)
    assert "429" in schema["paths"]["/api/auth/token/"]["post"]["responses"]
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/items/"]["get"]["parameters"]}
    assert params["page_size"]["maximum"] == 500
    assert params["show"]["maximum"] == 2**63 - 1
    assert "-title" in params["ordering"]["items"]["enum"]
    url = schema["components"]["schemas"]["PlexServerRequest"]["properties"]["url"]
    assert "https?://" in url["pattern"]


@pytest.mark.django_db
def test_it_refuses_a_nul_in_a_token_without_a_500(viewer, client):
    for path in ("/api/shows/", "/metrics"):
        response = client.get(path, HTTP_AUTHORIZATION="Token abc\x00def")
        assert response.status_code in (400, 401), (path, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    {"url": "ftp://plex:21"}, {"url": "http://user:pw@plex:32400"}, {"enabled": "no"},
    {"token": ""}, {"name": "x" * 101},
])
def test_it_leaves_a_server_untouched_by_a_refused_patch(change, admin_user, api_as):
    server = factories.PlexServerFactory(name="living room")
    response = api_as(admin_user).patch(f"/api/plex/servers/{server.pk}/",
                                        {"name": "renamed", **change}, format="json")
    assert response.status_code == 400
    server.refresh_from_db()
    assert (server.name, server.url, server.enabled, server.token) == (
        "living room", factories.CLOSED_URL, True, "plex-token-SECRET-value")
    assert "plex-token-SECRET-value" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "field"), [("/api/plex/servers/", "token"),
                                             ("/api/sonarr/servers/", "api_key")])
@pytest.mark.parametrize("secret", ["key\U000e5293", "two words", "caf\u00e9", "tab\there"])
def test_it_refuses_a_key_no_http_header_can_carry(path, field, secret, admin_user, api_as):
    """The check sends the key as a header: one it cannot encode was a 500 before."""
    body = {"name": "n", "url": "http://127.0.0.1:9", field: secret}  # verify: the default
    response = api_as(admin_user).post(path, body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert secret not in response.content.decode()
    assert not PlexServer.objects.exists() and not SonarrServer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["plexserver", "sonarrserver"])
def test_the_admin_refuses_such_a_key_too(model, admin_user, client):
    client.force_login(admin_user)
    field = "token" if model == "plexserver" else "api_key"
    response = client.post(f"/admin/catalog/{model}/add/", {
        "name": "n", "url": "http://127.0.0.1:9", field: "caf\u00e9", "enabled": "on",
        "verify": "on"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not PlexServer.objects.exists() and not SonarrServer.objects.exists()


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
                    max_size=12))
def test_the_schema_patterns_say_what_the_validators_accept(text):
    """The schema's patterns (ECMAScript: its \\s is not Python's) and the validators
    behind them agree on every string, white space of every kind included."""
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    plex = schema["PlexServerRequest"]["properties"]
    cases = [(plex["token"]["pattern"], validate_credential, text),
             (plex["url"]["pattern"], validate_server_url, "http://plex:32400/" + text)]
    for pattern, validator, value in cases:
        try:
            validator(value.strip())
            accepted = bool(value.strip())
        except ValidationError:
            accepted = False
        assert bool(re.search(pattern, value)) == accepted, (pattern, value)


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("name", "n" * 95 + " " * 10),
                                              ("api_key", "\u3000" + "k" * 32 + " " * 200)])
def test_it_measures_a_text_as_sent_as_the_schemas_max_length_does(field, value, admin_user,
                                                                   api_as):
    """White space around a value is trimmed, but only after the length is checked: the
    schema's maxLength judges the value as sent."""
    body = {"name": "n", "url": "http://127.0.0.1:9", "api_key": "k" * 32, "verify": False,
            field: value}
    response = api_as(admin_user).post("/api/sonarr/servers/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not SonarrServer.objects.exists()


@pytest.mark.django_db
def test_a_body_past_djangos_own_cap_is_a_json_413(api_as, operator):
    """Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE before any parser reads it: the
    API still answers its own 413 in JSON, never Django's HTML 400."""
    body = '{"tvdb_id": 1, "pad": "' + "a" * 3_000_000 + '"}'
    response = api_as(operator).post("/api/shows/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "larger than" in response.json()["detail"]
