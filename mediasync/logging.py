"""Log formatting and the filter that keeps secrets out of every log line."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from integrations.errors import LOG_FILTER

# Query parameters and headers that carry credentials upstream.
_SECRET_PATTERN = re.compile(
    r"(?i)(api[_-]?key|apikey|x-plex-token|x-api-key|token|password|authorization)"
    r"(['\"]?\s*[:=]\s*['\"]?)(Bearer\s+|Token\s+)?([^\s&'\",}]+)"
)


def scrub(text: str) -> str:
    """Replace credential values in free text with ``***``: every key this process knows
    (configured upstream keys, tokens of the clients built so far), then anything written
    as ``name=value`` under a credential's name."""
    text = LOG_FILTER.scrubber.text(text)
    return _SECRET_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}***", text)


class ScrubSecretsFilter(logging.Filter):
    """Rewrites each record's message with secrets masked, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class TextFormatter(logging.Formatter):
    """The plain format, with tracebacks scrubbed too (the filter only sees the message)."""

    def formatException(self, ei: Any) -> str:
        return scrub(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
