"""Schemathesis over /api/schema/: every operation, as a viewer and as an admin.

The operations come from the schema itself, so an endpoint added tomorrow is fuzzed too.
Every default check runs (no 5xx, documented status codes, content types, headers and
bodies, valid data accepted, invalid data rejected) in schemathesis' own phases (schema
examples, coverage, fuzzing with positive and negative data). Writes land on throw-away
rows seeded here, inside the test's transaction.

CI runs a fixed, derandomized sample. For a deeper hunt, ``FUZZ_EXAMPLES=200 FUZZ_RANDOM=1``
draws fresh random cases on every run.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from tests.api import fuzz

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
DERANDOMIZE = not os.environ.get("FUZZ_RANDOM")


@pytest.mark.timeout(900)  # a bounded number of examples; on a machine busy several times over
@pytest.mark.django_db     # one role's pass took over the suite's 300 s
@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_it_answers_every_operation_as_documented(role, request, monkeypatch, settings_fixture):
    user = request.getfixturevalue("viewer" if role == "viewer" else "admin_user")
    fuzz.seed_rows()
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    with fuzz.upstreams_on_loopback(monkeypatch, settings_fixture):
        run = fuzz.run_schemathesis(headers, settings(
            max_examples=MAX_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
            suppress_health_check=list(HealthCheck)))
    print(f"schemathesis as {role}: {len(run.operations)} operations, {run.examples} requests")
    assert len(run.operations) >= 40, sorted(run.operations)
    assert not run.failures, "\n\n".join(run.failures)


@pytest.fixture
def settings_fixture(settings):
    return settings
