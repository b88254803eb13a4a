"""Notifications through Apprise (Discord, ntfy, Gotify, e-mail...): one message per run.

A push that added series, failed, or left series failed sends one message with the counts
and the first titles; never one per show. A notifier that fails is logged, never fatal.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings

from integrations.errors import LOG_FILTER, Scrubber, install_log_scrubber

log = logging.getLogger(__name__)


def notify_urls() -> list[str]:
    return [u for u in settings.NOTIFY_URLS.replace(",", " ").split() if u]


def _scrub_logs(urls: list[str]) -> None:
    """Apprise URLs carry tokens (webhook paths, passwords): mask them in Apprise's logs."""
    values: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        values.add(url)
        values.update(p for p in (parts.username, parts.password) if p)
        values.update(seg for seg in parts.path.split("/") if len(seg) >= 6)
        values.update(v for _, v in parse_qsl(parts.query) if len(v) >= 6)
    install_log_scrubber(Scrubber(frozenset(), tuple(sorted(values, key=len, reverse=True))))
    logger = logging.getLogger("apprise")
    if LOG_FILTER not in logger.filters:
        logger.addFilter(LOG_FILTER)


def push_message(summary: dict[str, Any]) -> tuple[str, str] | None:
    """(title, body) for a push summary, or None when there is nothing to say."""
    counts = summary.get("counts", {})
    added, failed = counts.get("added", 0), counts.get("failed", 0)
    left = summary.get("failed_total", 0)
    if not (added or failed or left):
        return None
    title = f"mediasync: Sonarr {summary.get('server', '')}: {added} added, {failed} failed"
    lines = [f"added {added}, already there {counts.get('exists', 0)}, failed {failed}, "
             f"waiting for a TVDB id {counts.get('pending_tvdb', 0)}, "
             f"to retry {counts.get('retry', 0)}, failed in total {left}"]
    for key in ("added", "failed"):
        titles = summary.get("titles", {}).get(key) or []
        if titles:
            lines.append(f"{key}: " + ", ".join(titles))
    return title, "\n".join(lines)


def notify_push(summary: dict[str, Any]) -> bool:
    """Send the push summary to every NOTIFY_URLS target; True when one was sent."""
    urls = notify_urls()
    message = push_message(summary) if urls else None
    if message is None:
        return False
    import apprise

    _scrub_logs(urls)
    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            log.warning("notification: one of NOTIFY_URLS is not a valid Apprise URL")
    try:
        sent = bool(notifier.notify(title=message[0], body=message[1]))
    except Exception as exc:  # a notifier must never fail the run
        log.warning("notification failed (%s)", type(exc).__name__)
        return False
    if not sent:
        log.warning("notification: no target accepted the message")
    return sent
