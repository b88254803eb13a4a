"""A frame too big for the stream is refused where frames are read: a header announcing
gigabytes (or fragments adding up past the cap) ends the connection as soon as its length is
known, before the payload is buffered; a message under the cap still arrives whole. The
listener logs it (never the token), and reconnects with backoff."""

from __future__ import annotations

import logging

import pytest

from catalog.models import PlexListenerState
from integrations.errors import TransientError
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.plex.notify import text_frame_header
from integrations.plex.events import MAX_MESSAGE
from integrations.plex.notifications import NotificationSocket
from tests.catalog.live.helpers import listener_for, wait_for
from tests.catalog.sync.plex_fixtures import library_for, server_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
SECRET = "sekrit-Plex-token-4711"
POLLS = 20  # reads that may come back empty (poll timeouts) before the refusal must come


@pytest.fixture
def fake():
    with PlexFake([LibrarySpec("1", "show", "TV", shows=1, episodes=2)], token=SECRET) as fake:
        yield fake


@pytest.fixture
def sock(fake):
    sock = NotificationSocket(fake.url, SECRET, poll=0.05)
    sock.connect()
    assert fake.notifications.wait_for_clients(1)
    yield sock
    sock.close()


def _read_until_refused(sock: NotificationSocket) -> TransientError:
    for _ in range(POLLS):
        try:
            sock.receive()
        except TransientError as error:
            return error
    raise AssertionError("the oversized frame was not refused: the reader is still waiting")


def test_a_header_announcing_gigabytes_is_refused_before_its_payload(fake, sock):
    eight_gib = 8 * 2**30
    fake.notifications.publish_frame(text_frame_header(eight_gib) + b'{"Notif')
    error = _read_until_refused(sock)
    assert f"{eight_gib} bytes is over the {MAX_MESSAGE}-byte limit" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert wait_for(lambda: fake.notifications.clients == 0)  # we hung up


def test_a_real_frame_just_over_the_cap_is_refused_and_one_under_it_arrives(fake, sock):
    under = "x" * (MAX_MESSAGE - 10)
    fake.notifications.publish_raw(under)
    got = None
    for _ in range(POLLS):
        got = sock.receive()
        if got is not None:
            break
    assert got == under
    fake.notifications.publish_frame(text_frame_header(MAX_MESSAGE + 1)
                                     + b"y" * (MAX_MESSAGE + 1))
    assert "over the" in str(_read_until_refused(sock))


def test_fragments_adding_up_past_the_cap_are_refused(fake, sock):
    part = MAX_MESSAGE // 2 + 1
    fake.notifications.publish_frame(text_frame_header(part, fin=False) + b"a" * part
                                     + text_frame_header(part, continuation=True) + b"b" * part)
    assert f"{2 * part} bytes is over" in str(_read_until_refused(sock))


def test_the_listener_drops_it_logs_without_the_token_and_reconnects(fake, caplog):
    caplog.set_level(logging.DEBUG)
    server = server_for(fake, "hostile")
    library_for(server, "1")
    listener, _clock = listener_for()
    listener.step()
    hub = fake.notifications
    try:
        assert hub.wait_for_clients(1)
        hub.publish_frame(text_frame_header(2**40))
        assert hub.wait_for_clients(1, accepted=2, timeout=10)  # back, after its backoff
        assert wait_for(lambda: listener.streams[server.pk].state.snapshot().connected)
        listener.step()
        state = PlexListenerState.objects.get(server=server)
        assert state.connected and state.reconnects == 1
        lost = [r.getMessage() for r in caplog.records if "stream lost" in r.getMessage()]
        assert len(lost) == 1 and "over the 4194304-byte limit" in lost[0]
        assert "reconnecting in" in lost[0]
        assert SECRET not in caplog.text
    finally:
        listener.shutdown()
