"""Forwarding headers from trusted proxies only, loopback names for loopback clients only,
and a production configuration that Django's deployment checks find nothing wrong with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"
LAN = "192.168.1.20"


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "localhost:8000", "[::1]:8000",
                                  "LOCALHOST", "localhost."])
def test_it_refuses_loopback_host_names_from_lan_clients(host):
    response = Client(REMOTE_ADDR=LAN).get("/health", HTTP_HOST=host)
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(("peer", "host"), [("127.0.0.1", "127.0.0.1:8000"),
                                            ("::1", "[::1]:8000"),
                                            ("::ffff:127.0.0.1", "localhost")])
def test_it_serves_loopback_host_names_to_loopback_clients(peer, host):
    assert Client(REMOTE_ADDR=peer).get("/health", HTTP_HOST=host).status_code == 200


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_it_judges_the_client_behind_a_local_proxy_not_the_proxy():
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get("/health", HTTP_HOST="localhost", HTTP_X_FORWARDED_FOR=LAN
                      ).status_code == 400
    assert client.get("/health", HTTP_HOST="localhost").status_code == 200


@pytest.mark.django_db
@override_settings(LOOPBACK_ONLY_HOSTS=frozenset(), ALLOWED_HOSTS=["localhost"])
def test_it_serves_a_loopback_name_that_allowed_hosts_lists_to_anyone():
    assert Client(REMOTE_ADDR=LAN).get("/health", HTTP_HOST="localhost").status_code == 200


def _login_cookie(peer: str, **headers: str):
    client = Client(REMOTE_ADDR=peer)
    response = client.post("/login/", {"username": "vera", "password": PASSWORD}, **headers)
    assert response.status_code == 302
    return response.cookies["sessionid"]


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO",
                                                                     "https"))
def test_it_marks_cookies_secure_when_a_trusted_proxy_says_tls(viewer):
    assert _login_cookie(PROXY, HTTP_X_FORWARDED_PROTO="https")["secure"] is True
    assert not _login_cookie(PROXY)["secure"]


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO",
                                                                     "https"))
def test_it_ignores_forwarded_proto_from_anyone_else(viewer):
    assert not _login_cookie(LAN, HTTP_X_FORWARDED_PROTO="https")["secure"]


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO",
                                                                     "https"),
                   SECURE_HSTS_SECONDS=3600)
def test_it_sends_hsts_only_over_tls():
    secure = Client(REMOTE_ADDR=PROXY).get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")
    spoofed = Client(REMOTE_ADDR=LAN).get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in spoofed


def _manage(args: list[str], extra: dict[str, str], tmp_path: Path
            ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "ALLOWED_HOSTS", "HTTPS",
                        "TRUSTED_PROXIES", "SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "mediasync.settings", "DATA_DIR": str(tmp_path)})
    env.update(extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "SECRET_KEY": "k8Jq2v9XrT4mLw7ZpB1nC6yHd3FsG0aEuVxWiOeRtYb5NcKjMqPzLhDgSfAr",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "mediasync.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://mediasync.example.com",
    "HTTPS": "true",
    "TRUSTED_PROXIES": "172.16.0.0/12",
}


def test_it_passes_the_deployment_checks_in_production(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_turns_on_secure_cookies_hsts_and_the_proxy_header_with_https(tmp_path):
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
            "s.SECURE_SSL_REDIRECT)")
    result = _manage(["shell", "--no-imports", "-c", code], PRODUCTION, tmp_path)
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "31536000",
                                     "('HTTP_X_FORWARDED_PROTO',", "'https')", "True"]


def test_it_trusts_the_proxy_header_without_forcing_https_when_only_proxies_are_set(tmp_path):
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)")
    result = _manage(["shell", "--no-imports", "-c", code], {"TRUSTED_PROXIES": "10.0.0.1"},
                     tmp_path)
    assert result.stdout.splitlines()[-1].split() == [
        "False", "False", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    plain = _manage(["shell", "--no-imports", "-c", code], {}, tmp_path)
    assert plain.stdout.splitlines()[-1].split() == ["False", "False", "0", "None"]


def test_it_stops_on_a_bad_trusted_proxy_entry(tmp_path):
    result = _manage(["check"], {"TRUSTED_PROXIES": "10.0.0.1, proxy.lan"}, tmp_path)
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr and "proxy.lan" in result.stderr
