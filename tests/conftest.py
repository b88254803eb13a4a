"""Shared fixtures: one user per role and API clients logged in as each."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from integrations import metrics
from tests.upstream_guard import (  # noqa: F401 (no test reaches a real upstream)
    _no_real_upstreams,
    pytest_runtest_makereport,
    upstream_guard,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Subprocesses under test (a sync killed at random, a real cluster) run with production
    settings, whose cache without Redis is the database cache; the test database was
    migrated with a local-memory cache, so its table is created here."""
    with django_db_blocker.unblock(), override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "mediasync_cache"}}):
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    metrics.reset()  # upstream counts of one test never reach another's /metrics
    yield
    cache.clear()


def _user(username: str, group: str | None = None, **flags: bool) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **flags)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def viewer(db) -> User:
    return _user("vera", "viewer")


@pytest.fixture
def operator(db) -> User:
    return _user("otto", "operator")


@pytest.fixture
def admin_user(db) -> User:
    return _user("ada", is_staff=True, is_superuser=True)


@pytest.fixture
def roleless(db) -> User:
    return _user("nobody")


@pytest.fixture
def users(viewer, operator, admin_user, roleless) -> dict[str, User | None]:
    return {"anonymous": None, "roleless": roleless, "viewer": viewer, "operator": operator,
            "admin": admin_user}


@pytest.fixture
def api_as():
    """``api_as(user)`` -> an APIClient authenticated as that user (None: anonymous)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
