"""Failed-login throttling that cannot be turned against the account's owner."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"
PROXY = "10.0.0.1"


class Clock:
    """Replaces time.time for the throttle and the cache alike."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


def _login(address: str, password: str, *, forwarded: str | None = None,
           username: str = "vera") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address, **({"HTTP_X_FORWARDED_FOR": forwarded}
                                             if forwarded else {}))
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(times: int, address: str, *, forwarded: str | None = None,
          username: str = "vera") -> None:
    for _ in range(times):
        _login(address, "wrong", forwarded=forwarded, username=username)


@pytest.mark.django_db
def test_it_locks_the_pair_and_says_so_on_the_login_form(viewer, clock):
    _fail(5, ATTACKER)
    client, response = _login(ATTACKER, PASSWORD)
    assert not _logged_in(client)
    page = response.content.decode()
    assert "locked" in page and "5 minutes" in page


@pytest.mark.django_db
def test_it_never_blocks_the_right_password_from_another_address(viewer, clock):
    _fail(12, ATTACKER)
    client, response = _login(OWNER, PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_it_lets_the_right_password_in_once_the_fixed_window_ends(viewer, clock):
    _fail(5, ATTACKER)
    for _ in range(4):  # a script retrying every minute must not keep itself locked
        clock.advance(60)
        client, _ = _login(ATTACKER, PASSWORD)
        assert not _logged_in(client)
    clock.advance(61)
    client, response = _login(ATTACKER, PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


@pytest.mark.django_db
def test_it_does_not_count_attempts_made_while_locked(viewer, clock):
    _fail(5, ATTACKER)
    _fail(50, ATTACKER)  # refused unchecked: not counted, window unchanged
    clock.advance(301)
    _fail(4, ATTACKER)  # a new window: four failures are still under the limit
    client, _ = _login(ATTACKER, PASSWORD)
    assert _logged_in(client)


@pytest.mark.django_db
def test_it_forgives_the_pair_after_a_successful_login(viewer, clock):
    _fail(4, ATTACKER)
    assert _logged_in(_login(ATTACKER, PASSWORD)[0])
    _fail(4, ATTACKER)
    assert _logged_in(_login(ATTACKER, PASSWORD)[0])


@pytest.mark.django_db
def test_it_locks_an_address_that_tries_many_user_names(viewer, clock):
    for number in range(20):
        _fail(1, ATTACKER, username=f"guess{number}")
    assert not _logged_in(_login(ATTACKER, PASSWORD)[0])  # that address, any account
    assert _logged_in(_login(OWNER, PASSWORD)[0])  # anyone else is unaffected


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY])
def test_it_counts_clients_behind_a_trusted_proxy_one_by_one(viewer, clock):
    _fail(30, PROXY, forwarded=ATTACKER)
    client, response = _login(PROXY, PASSWORD, forwarded=OWNER)
    assert response.status_code == 302 and _logged_in(client)
    assert not _logged_in(_login(PROXY, PASSWORD, forwarded=ATTACKER)[0])


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY])
def test_it_reads_the_hop_the_proxy_appended_not_what_the_client_made_up(viewer, clock):
    for number in range(5):  # a forged left-hand entry per attempt changes nothing
        _fail(1, PROXY, forwarded=f"192.0.2.{number}, {ATTACKER}")
    assert not _logged_in(_login(PROXY, PASSWORD, forwarded=f"192.0.2.99, {ATTACKER}")[0])


@pytest.mark.django_db
def test_it_ignores_forwarded_for_from_an_untrusted_peer(viewer, clock):
    for number in range(5):  # spoofing a new address per attempt does not escape the count
        _fail(1, ATTACKER, forwarded=f"192.0.2.{number}")
    assert not _logged_in(_login(ATTACKER, PASSWORD, forwarded="192.0.2.200")[0])


@pytest.mark.django_db
def test_it_answers_429_with_retry_after_on_the_token_endpoint(viewer, clock):
    client = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        assert client.post("/api/auth/token/", {"username": "vera", "password": "x"}
                           ).status_code == 400
    clock.advance(100)
    response = client.post("/api/auth/token/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "200"
    assert "token" not in response.json()
    other = APIClient(REMOTE_ADDR=OWNER)
    assert other.post("/api/auth/token/", {"username": "vera", "password": PASSWORD}
                      ).status_code == 200
    clock.advance(200)
    assert client.post("/api/auth/token/", {"username": "vera", "password": PASSWORD}
                       ).status_code == 200


@pytest.mark.django_db
def test_it_throttles_the_admin_login_form_too(admin_user, clock):
    for _ in range(5):
        Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", {"username": "ada", "password": "x"})
    client = Client(REMOTE_ADDR=ATTACKER)
    response = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert "locked" in response.content.decode() and not _logged_in(client)
    owner = Client(REMOTE_ADDR=OWNER)
    assert owner.post("/admin/login/", {"username": "ada", "password": PASSWORD}
                      ).status_code == 302


@pytest.mark.django_db
def test_it_counts_an_ipv6_client_by_its_slash_64(viewer, clock):
    for host in range(5):  # hopping within one /64 does not reset the count
        _fail(1, f"2001:db8:1:2::{host + 1:x}")
    assert not _logged_in(_login("2001:db8:1:2::ffff", PASSWORD)[0])
    assert _logged_in(_login("2001:db8:1:3::1", PASSWORD)[0])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["viewer", "operator"])
def test_it_lets_every_role_sign_in_on_the_admin_login(who, users, clock):
    client = Client(REMOTE_ADDR=OWNER)
    response = client.post("/admin/login/?next=/admin/",
                           {"username": users[who].username, "password": PASSWORD})
    assert response.status_code == 302 and _logged_in(client)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_it_keeps_its_windows_in_the_database_cache_as_well(viewer, clock):
    database_cache = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                  "LOCATION": "mediasync_cache"}}
    with override_settings(CACHES=database_cache):
        call_command("createcachetable", verbosity=0)  # migrate ran with the test cache
        _fail(5, ATTACKER)
        clock.advance(120)
        assert not _logged_in(_login(ATTACKER, PASSWORD)[0])
        assert _logged_in(_login(OWNER, PASSWORD)[0])
        clock.advance(181)
        assert _logged_in(_login(ATTACKER, PASSWORD)[0])


@pytest.mark.django_db
def test_it_answers_429_to_a_user_name_the_token_endpoint_trims(viewer, clock):
    """The serializer strips the name before the password check: the lock it meets there is
    the one to report, not a 400 that reads like a wrong password."""
    client = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        client.post("/api/auth/token/", {"username": "vera", "password": "x"})
    response = client.post("/api/auth/token/", {"username": " vera\n", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    clock.advance(301)
    assert client.post("/api/auth/token/", {"username": " vera\n", "password": PASSWORD}
                       ).status_code == 200
