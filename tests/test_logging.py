"""Logs are JSON when asked, and never carry secrets."""

from __future__ import annotations

import json
import logging

from mediasync.logging import JsonFormatter, ScrubSecretsFilter, scrub


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("catalog", logging.INFO, __file__, 1, message, args, None)


def test_it_masks_credentials_in_free_text():
    text = ("GET http://plex:32400/library?X-Plex-Token=abc123&x=1 apikey=zzz "
            "Authorization: Bearer eyJhbGc")
    cleaned = scrub(text)
    for secret in ("abc123", "zzz", "eyJhbGc"):
        assert secret not in cleaned
    assert "x=1" in cleaned


def test_it_scrubs_formatted_arguments_before_any_handler():
    record = _record("calling %s", "https://api.themoviedb.org/3/tv/1?api_key=SECRETKEY")
    ScrubSecretsFilter().filter(record)
    assert "SECRETKEY" not in record.getMessage()


def test_it_formats_one_json_object_per_line():
    line = JsonFormatter().format(_record("hello %s", "world"))
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "info" and entry["logger"] == "catalog"


def test_it_scrubs_tracebacks_in_text_logs():
    from mediasync.logging import TextFormatter

    try:
        raise RuntimeError("GET /tv/1?api_key=SUPERSECRET failed")
    except RuntimeError:
        import sys

        record = logging.LogRecord("catalog", logging.ERROR, __file__, 1, "boom", (),
                                   sys.exc_info())
    line = TextFormatter("%(message)s").format(record)
    assert "SUPERSECRET" not in line and "RuntimeError" in line
