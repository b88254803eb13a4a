"""The stream under hostile conditions: garbage messages, a dropped connection, a restarting
Plex, redirects, a wrong token; the token never in a log line or an error's text."""

from __future__ import annotations

import json
import logging

import pytest

from catalog.models import MediaItem, PlexListenerState, SyncRun
from integrations.errors import AuthError, InvalidError
from integrations.fakes._wire import Handler
from integrations.fakes.base import FakeRequest
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.plex.notify import PATH, activity, timeline, timeline_entry
from integrations.plex.events import MessageError, parse_message
from integrations.plex.notifications import NotificationSocket
from tests.catalog.live.helpers import handled, listener_for, settle, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
SECRET = "sekrit-Plex-token-4711"

GARBAGE = [
    "not json at all",
    "[]",
    '{"NotificationContainer": 5}',
    '{"NotificationContainer": {"type": 7}}',
    '{"NotificationContainer": {"type": "timeline", "TimelineEntry": "nope"}}',
    json.dumps(timeline([{"identifier": "com.plexapp.plugins.library", "itemID": 10**30,
                          "sectionID": 1, "type": 4, "state": 5}])),
    json.dumps(timeline([{"identifier": "com.plexapp.plugins.library", "itemID": "12ab",
                          "sectionID": 1, "type": 4, "state": 5}])),
    json.dumps(timeline([{"identifier": "com.plexapp.plugins.library", "itemID": 5,
                          "sectionID": 1, "type": True, "state": 5}])),
    json.dumps(timeline([{"identifier": "com.plexapp.plugins.library", "itemID": 5,
                          "sectionID": 1, "type": 4, "state": 10**20}])),
    json.dumps(timeline([17, None, "x"])),
    '{"NotificationContainer": {"type": "timeline", "TimelineEntry": [{"itemID": '
    + "9" * 5000 + "}]}}",
    "[" * 100_000 + "]" * 100_000,
    json.dumps({"NotificationContainer": {"type": "activity", "ActivityNotification": [
        {"event": "ended", "Activity": {"type": ["library.update.section"]}}]}}),
    json.dumps({"NotificationContainer": {"type": "playing", "PlaySessionStateNotification":
                                          [{"sessionKey": "1"}]}}),
    json.dumps({"NotificationContainer": {"type": "mystery"}}),
]


def test_parse_refuses_what_is_not_a_container():
    for raw in [*GARBAGE[:4], GARBAGE[10], GARBAGE[11]]:  # and a 5,000-digit int, deep nesting
        with pytest.raises(MessageError):
            parse_message(raw)
    assert parse_message(GARBAGE[4]).problems  # entries that are not a list
    assert parse_message(GARBAGE[-1]).events == ()  # a type it does not know: nothing


def test_parse_skips_bad_entries_and_keeps_good_ones():
    good = timeline_entry("1", 42, "episode", 5)
    parsed = parse_message(json.dumps(timeline([good, {"identifier": "x"}, 5,
                                                {**good, "itemID": -3}])))
    assert [(e.rating_key, e.kind, e.state) for e in parsed.events] == [("42", "episode", 5)]
    assert len(parsed.problems) == 2  # the number, the negative id; another plugin is silent


def test_garbage_is_skipped_with_a_log_line_and_the_listener_goes_on(
        fake, library, listening, caplog):
    listener, clock = listening
    caplog.set_level(logging.WARNING, logger="catalog.sync.plex.live")
    for raw in GARBAGE:
        fake.notifications.publish_raw(raw)
    leaf = fake.episodes_of("1")[2]
    fake.replace_file(leaf.rk)
    settle(listener, clock, library.server_id, 1)
    assert MediaItem.objects.get(library=library, rating_key=str(leaf.rk)).file_size == \
        leaf.media[0].parts[0].size
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == len(GARBAGE) - 2  # "playing" and an unknown type are not errors
    assert listener.streams[library.server_id].is_alive()


def test_a_dropped_stream_reconnects_and_its_catch_up_scan_heals_the_gap(fake, library,
                                                                            listening):
    listener, _clock = listening
    hub = fake.notifications
    hub.refusing = True  # Plex is away: the listener cannot be back before the change
    hub.drop()
    assert wait_for(lambda: hub.clients == 0)
    missed = fake.add_episode(fake.shows_of("1")[4].rk)  # announced to nobody
    hub.refusing = False
    assert hub.wait_for_clients(1, accepted=2, timeout=10)
    assert wait_for(lambda: listener.streams[library.server_id].state.snapshot().connected)
    listener.step()  # the catch-up scan is due at once
    assert MediaItem.objects.filter(library=library, rating_key=missed).exists()
    [run] = SyncRun.objects.filter(triggered_by="plex listener")
    assert run.scope == f"library:{library.pk}" and run.summary["complete"]
    state = PlexListenerState.objects.get(server_id=library.server_id)
    assert state.connected and state.reconnects == 1


def test_plex_restarting_mid_scan_is_healed_by_one_scan(fake, library, listening):
    listener, clock = listening
    hub = fake.notifications
    hub.publish(activity("started", "s1", "1"))
    leaves = fake.episodes_of("1")
    hub.publish(timeline(timeline_entry("1", leaf.rk, "episode", 5) for leaf in leaves[:30]))
    assert wait_for(lambda: handled(listener, library.server_id) == 31)
    fake.stop()  # Plex goes down mid-scan: the activity's end is never sent
    gone = leaves[40].rk
    fake.remove_item(gone)
    fake.start()
    assert hub.wait_for_clients(1, accepted=2, timeout=10)
    clock.now += 1
    listener.step()
    [run] = SyncRun.objects.filter(triggered_by="plex listener")
    assert run.scope == f"library:{library.pk}" and run.summary["complete"]
    assert MediaItem.objects.get(library=library, rating_key=str(gone)).state == "missing"


def test_a_new_server_is_picked_up_and_a_disabled_one_let_go(fake, library):
    from tests.catalog.sync.plex_fixtures import server_for

    listener, clock = listener_for()
    listener.step()
    try:
        with PlexFake([LibrarySpec("1", "show", "TV", shows=1, episodes=2)]) as other:
            second = server_for(other, "second")
            clock.now += listener.reload
            listener.step()
            assert other.notifications.wait_for_clients(1)
            library.server.enabled = False
            library.server.save()
            clock.now += listener.reload
            listener.step()
            assert wait_for(lambda: fake.notifications.clients == 0)
            assert set(listener.streams) == {second.pk}
            assert not PlexListenerState.objects.get(server_id=library.server_id).connected
    finally:
        listener.shutdown()


class RedirectingPlex(PlexFake):
    """Answers the notification handshake with a redirect to ``location``."""

    location = ""

    def upgrade(self, request: FakeRequest, handler: Handler) -> None:
        if request.path == "/old":
            handler.send_whole(301, {"Location": self.location}, b"")
            return
        super().upgrade(request, handler)


@pytest.fixture
def secret_fake():
    with RedirectingPlex([LibrarySpec("1", "show", "TV", shows=1, episodes=2)],
                         token=SECRET) as fake:
        yield fake


def test_a_redirect_to_another_host_is_refused_before_anything_is_sent(secret_fake):
    with PlexFake([LibrarySpec("1", "show", "TV", shows=1, episodes=2)],
                  token=SECRET) as elsewhere:
        secret_fake.location = f"http://localhost:{elsewhere.port}{PATH}"
        sock = NotificationSocket(secret_fake.url, SECRET)
        sock.url = sock.url.replace(PATH, "/old")
        with pytest.raises(InvalidError) as refused:
            sock.connect()
        assert "refused a redirect" in str(refused.value)
        assert SECRET not in str(refused.value)
        assert elsewhere.total_requests() == 0


def test_a_redirect_on_the_same_origin_is_followed(secret_fake):
    secret_fake.location = PATH
    sock = NotificationSocket(secret_fake.url, SECRET)
    sock.url = sock.url.replace(PATH, "/old")
    sock.connect()
    assert secret_fake.notifications.wait_for_clients(1)
    sock.close()


def test_the_token_is_never_logged_nor_in_an_error(secret_fake, caplog):
    from tests.catalog.sync.plex_fixtures import library_for, server_for

    caplog.set_level(logging.DEBUG)
    server = server_for(secret_fake, "secret")
    library_for(server, "1")
    wrong = NotificationSocket(secret_fake.url, SECRET + "-wrong")
    with pytest.raises(AuthError) as refused:
        wrong.connect()
    listener, _clock = listener_for()
    listener.step()
    try:
        assert secret_fake.notifications.wait_for_clients(1)
        secret_fake.notifications.publish_raw("garbage " + SECRET)
        secret_fake.notifications.drop()
        assert secret_fake.notifications.wait_for_clients(1, accepted=2, timeout=10)
        listener.step()
        stream = listener.streams[server.pk]
        text = " ".join([caplog.text, str(refused.value), repr(refused.value), repr(stream),
                         repr(wrong), str(PlexListenerState.objects.get(server=server)
                                          .last_error)])
        assert SECRET not in text
        assert "plex listener" in caplog.text
    finally:
        listener.shutdown()


def test_a_deleted_server_is_let_go_at_once_without_a_database_warning(fake, library, caplog):
    """Its state row would break the one upsert of every stream's state (its foreign key) on
    each tick until the next reload; instead it is left out and its stream dropped."""
    listener, _clock = listener_for()
    listener.step()
    try:
        assert fake.notifications.wait_for_clients(1)
        library.server.delete()
        with caplog.at_level(logging.WARNING):
            listener.save(force=True)
            listener.step()
        assert listener.streams == {}
        assert "database unavailable" not in caplog.text
        assert wait_for(lambda: fake.notifications.clients == 0)
    finally:
        listener.shutdown()
