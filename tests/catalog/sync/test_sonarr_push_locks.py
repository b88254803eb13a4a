"""PostgreSQL: a rule or server deleted at the instant a push claims a batch.

The claim locks the push's rules, then its decisions ("a move, a disable or a delete waits
for this claim"). Deleting a rule deletes its decisions first, then the rule: the opposite
order. Run with DATABASE_URL=postgres://..."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from catalog.models import Decision, SyncRun
from catalog.sync.sonarr import claim as claim_module
from catalog.sync.sonarr import send
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import push, rule_for, server_for, shows_known_to

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlocks: PostgreSQL only")


@pytest.mark.parametrize("doomed", ["rule", "server"])
def test_a_delete_landing_inside_the_claim_waits_for_it(monkeypatch, admin_user, doomed):
    """The operator deletes the rule (or its server) just as the push has locked the rule
    for its first claim. The delete must wait for the claim and then succeed (204), and the
    push must end without a database error: no deadlock between the two."""
    monkeypatch.setattr(send, "BATCH", 3)
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as fake:
        server = server_for(fake, name="a")
        rule = rule_for(server, name="dramas")
        shows_known_to(fake, 6)
        admin = APIClient()
        admin.force_authenticate(admin_user)
        url = f"/api/rules/{rule.pk}/" if doomed == "rule" else f"/api/sonarr/servers/{server.pk}/"
        answers: list = []
        errors: list = []

        def delete() -> None:
            try:
                answers.append(admin.delete(url))
            except Exception as exc:  # a deadlock victim surfaces here in a test client
                errors.append(exc)
            finally:
                connections.close_all()

        original = claim_module.claimable
        started: list[threading.Thread] = []

        def inside_the_claim(now, active):
            # Called by claim() after it locked the rules, before it locks the decisions.
            if connection.in_atomic_block and not started:
                worker = threading.Thread(target=delete)
                started.append(worker)
                worker.start()
                worker.join(timeout=1.0)  # the delete now waits on the rule's lock
            return original(now, active)

        monkeypatch.setattr(claim_module, "claimable", inside_the_claim)
        run = push(fake, server)
        started[0].join(timeout=30)
        assert errors == [], errors
        assert answers and answers[0].status_code == 204, answers and answers[0].content
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert not Decision.objects.exists()
