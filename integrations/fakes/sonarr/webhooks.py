"""The fake Sonarr's webhook (Settings -> Connect -> Webhook): the payloads Sonarr's
``NzbDrone.Core.Notifications.Webhook`` sends (see API_NOTES "Push channels"), POSTed with
HTTP basic auth from a thread of its own, after the change, as Sonarr does.

``Webhook.wait()`` blocks until everything emitted so far was delivered; ``deliveries``
holds (eventType, HTTP status, or the error's name) for each, ``answers`` the bodies
answered (parsed JSON when it is). The connection is made by a test control
(``SonarrFake.webhook``) or, as in Sonarr, through ``POST /api/v3/notification``.
"""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.sonarr import rules

if TYPE_CHECKING:
    from integrations.fakes.sonarr.server import SonarrFake

INSTANCE = "Sonarr"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def series_part(series: dict[str, Any]) -> dict[str, Any]:
    """The series as a webhook payload carries it."""
    return {"id": series["id"], "title": series.get("title", ""),
            "titleSlug": series.get("titleSlug", ""), "path": series.get("path", ""),
            "tvdbId": series["tvdbId"], "tvMazeId": series.get("tvMazeId", 0),
            "imdbId": series.get("imdbId", ""), "type": series.get("seriesType", "standard"),
            "year": series.get("year", 0)}


def payload(event_type: str, series: dict[str, Any] | None = None,
            **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"eventType": event_type, "instanceName": INSTANCE,
                            "applicationUrl": ""}
    if series is not None:
        body["series"] = series_part(series)
    return {**body, **extra}


def test_payload() -> dict[str, Any]:
    """What Sonarr's "Test" button sends: a made-up series and episode."""
    series = {"id": 1, "title": "Test Title", "path": "C:\\testpath", "tvdbId": 1234}
    return payload("Test", series, episodes=[{"id": 123, "episodeNumber": 1,
                                              "seasonNumber": 1, "title": "Test title"}])


def download_payload(series: dict[str, Any], season: int, episode: int, *, file_id: int,
                     upgrade: bool) -> dict[str, Any]:
    """An episode file imported (``isUpgrade`` when it replaced one)."""
    relative = f"Season {season:02d}/{series.get('title', '')} - S{season:02d}E{episode:02d}.mkv"
    return payload(
        "Download", series,
        episodes=[{"id": series["id"] * 10_000 + season * 100 + episode,
                   "episodeNumber": episode, "seasonNumber": season,
                   "title": f"Episode {episode}", "airDate": "2020-01-01",
                   "airDateUtc": "2020-01-01T00:00:00Z"}],
        episodeFile={"id": file_id, "relativePath": relative,
                     "path": f"{series.get('path', '')}/{relative}",
                     "quality": "WEBDL-1080p", "qualityVersion": 1, "releaseGroup": "FAKE",
                     "sceneName": "", "size": 1_500_000_000, "dateAdded": _now()},
        isUpgrade=upgrade, downloadClient="fake", downloadId=f"fake-{file_id}")


class Webhook:
    """Where and how to POST, and the thread that does it, in order."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.auth: tuple[str, str] | None = None
        self.method = "POST"
        self.deliveries: list[tuple[str, int | str]] = []
        self.answers: list[Any] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def configure(self, url: str | None, *, username: str = "", password: str = "",
                  method: str = "POST") -> None:
        self.url, self.method = url, method
        self.auth = (username, password) if username or password else None
        if url and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sonarr-webhook",
                                            daemon=True)
            self._thread.start()

    def emit(self, body: dict[str, Any]) -> None:
        """Queue a call (nothing happens without a URL)."""
        if self.url:
            self._queue.put(body)

    def wait(self, timeout: float = 10.0) -> None:
        """Block until every call emitted so far was answered (or failed)."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put({"_done": done})
        if not done.wait(timeout):
            raise TimeoutError("the fake Sonarr's webhook calls did not finish")

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        session = requests.Session()
        while True:
            body = self._queue.get()
            if body is None:
                return
            if "_done" in body:
                body["_done"].set()
                continue
            try:
                answer = session.request(self.method, self.url or "", json=body,
                                         auth=self.auth, timeout=10)
            except requests.RequestException as exc:
                self.deliveries.append((body["eventType"], type(exc).__name__))
                self.answers.append(None)
                continue
            try:
                self.answers.append(answer.json())
            except ValueError:
                self.answers.append(answer.text)
            self.deliveries.append((body["eventType"], answer.status_code))


# ---- Settings -> Connect through the API: ``POST /api/v3/notification`` ------------------

METHODS = {1: "POST", 2: "PUT"}  # Sonarr's WebhookMethod
MASK = "********"  # what Sonarr answers for a privacy field once saved


def notification_post(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    """Save a Webhook connection (the fake keeps one: the last saved) and, as Sonarr does on
    save, send it the "Test" event. Every event fires whatever its ``on*`` flags say."""
    body = rules.body_of(request)
    if not isinstance(body, dict) or body.get("implementation") != "Webhook":
        return fake._json([rules.failure("Implementation", "This fake only connects a Webhook",
                                         None, None)], 400)
    fields = {f.get("name"): f.get("value") for f in body.get("fields") or []
              if isinstance(f, dict)}
    url, method = fields.get("url"), METHODS.get(rules.as_int(fields.get("method", 1)))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return fake._json([rules.failure("Url", "Invalid Url", url, None)], 400)
    if method is None:
        return fake._json([rules.failure("Method", "Invalid method", fields.get("method"),
                                         None)], 400)
    saved = {**body, "id": len(fake._notifications) + 1,
             "fields": [{**f, "value": MASK} if f.get("name") == "password" else f
                        for f in body.get("fields") or [] if isinstance(f, dict)]}
    fake._notifications.append(saved)
    fake.webhook(url, username=str(fields.get("username") or ""),
                 password=str(fields.get("password") or ""), method=method)
    fake.webhook_test()
    return fake._json(saved, 201)


def notification_list(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    """The saved connections, passwords masked."""
    return fake._json(fake._notifications)
