"""Liveness and readiness endpoints."""

from __future__ import annotations

import pytest
from django.db import connection


def test_it_answers_health_without_a_database(client):
    # No django_db mark: pytest-django makes any database access here an error.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_it_names_the_database_when_it_is_unreachable(client):
    settings_dict = connection.settings_dict
    saved = {k: settings_dict.get(k) for k in ("NAME", "HOST", "PORT")}
    connection.close()
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-dir/for/ready/check.sqlite3"
    else:
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", "1"
    try:
        response = client.get("/ready")
    finally:
        connection.close()
        settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["failed"] == "database"


@pytest.mark.django_db
def test_it_names_the_cluster_when_no_qcluster_runs(client):
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == "cluster"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "broker": "ok",
                              "cluster": "no qcluster is running"}
