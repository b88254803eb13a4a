"""``demo_seed`` with malformed DEMO_* settings: one clear line, a non-zero exit, nothing
written; a well-formed one still seeds every row."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import PathMapping, PlexLibrary, PlexServer, SonarrServer

GOOD = {"name": "Plex", "url": "http://127.0.0.1:32400", "token": "t0ken",
        "libraries": [{"key": "1", "title": "TV", "type": "show"}],
        "mappings": [["/data/tv", "/mnt/tv"]]}


@pytest.mark.django_db
@pytest.mark.parametrize(("plex", "message"), [
    ({"a": 1}, "expected a JSON array of objects"),
    ("str", "expected a JSON array of objects"),
    ([1], "expected a JSON array of objects"),
    ([{"name": "x"}], "'url' must be a non-empty string"),
    ([{**GOOD, "name": None}], "'name' must be a non-empty string"),
    ([{**GOOD, "name": "a\x00b"}], "'name' must be a non-empty string"),
    ([{**GOOD, "url": "ftp://x"}], "DEMO_PLEX_SERVERS[0]: "),
    ([{**GOOD, "libraries": {"key": "1"}}], "expected a JSON array of objects"),
    ([{**GOOD, "libraries": [{"key": "1", "title": "TV", "type": "music"}]}],
     "DEMO_PLEX_SERVERS[0]: "),
    ([{**GOOD, "mappings": [["/only-one"]]}], "'mappings' must be a list of [plex, local]"),
], ids=["object", "string", "number", "no url", "null name", "NUL name", "ftp url",
        "libraries object", "library type", "mapping pair"])
def test_a_malformed_setting_is_one_line_and_writes_nothing(monkeypatch, plex, message):
    monkeypatch.setenv("DEMO_PLEX_SERVERS", json.dumps(plex))
    with pytest.raises(CommandError) as caught:
        call_command("demo_seed")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not User.objects.exists() and not PlexServer.objects.exists()


@pytest.mark.django_db
def test_a_malformed_sonarr_setting_is_one_line(monkeypatch):
    monkeypatch.setenv("DEMO_SONARR", json.dumps(["Sonarr"]))
    with pytest.raises(CommandError, match="DEMO_SONARR: expected a JSON array of objects"):
        call_command("demo_seed")
    assert not SonarrServer.objects.exists()


@pytest.mark.django_db
def test_a_well_formed_setting_seeds_every_row_twice_safely(monkeypatch):
    monkeypatch.setenv("DEMO_PLEX_SERVERS", json.dumps([GOOD]))
    monkeypatch.setenv("DEMO_SONARR", json.dumps({"name": "Sonarr", "api_key": "k",
                                                  "url": "http://127.0.0.1:8989"}))
    call_command("demo_seed")
    call_command("demo_seed")
    assert PlexServer.objects.get().url == "http://127.0.0.1:32400"
    assert list(PlexLibrary.objects.values_list("key", "type")) == [("1", "show")]
    assert list(PathMapping.objects.values_list("plex_prefix", "local_prefix")) == [
        ("/data/tv", "/mnt/tv")]
    assert SonarrServer.objects.get().rules.count() == 2
