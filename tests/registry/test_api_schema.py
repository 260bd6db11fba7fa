"""Schemathesis against ``/api/v1/schema/``: every operation, authenticated as each role,
with generated requests: never a 5xx, and every answer (status code,
content type and body) is the one the schema documents.

The number of cases per operation and role is bounded (``CASES``) so that the whole test
command stays within its time budget on two cores (see the README).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.models import ApiToken
from registry.models.officials import hash_token
from registry.services import accounts
from registry.wsgi import application
from tests import factories
from tests.conftest import user

#: Generated requests per operation and role.
CASES = 12
ROLES = {
    "liaison": "rs-liaison",
    "counterpart": "hr-official",
    "monitor": "eu-monitor",
    "secretariat": "secretariat",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


#: Loaded from the application itself (no server, and the schema view reads no database):
#: each case goes through its WSGI handler, inside the test's transaction.
#: Generated cases only (the ``fuzzing`` phase, bounded by ``CASES``): the ``coverage`` phase
#: adds every boundary of every parameter, far too many for the time budget.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=CONFIG)


@pytest.fixture(autouse=True)
def keep_the_connection():
    """The WSGI handler closes old connections at each request's end; the test's transaction
    must stay open between requests, as Django's test client keeps it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def keys(seeded, wb_rta) -> dict[str, str]:
    """A token per role, and something for each to read: a notice, a clarification."""
    notice = factories.file_exercise(user("rs-liaison"), wb_rta).notice
    from notifications import services

    services.ask_clarification(
        user=user("hr-official"), version=notice.current_version, question="Observers?"
    )
    return {role: accounts.issue_token(user=user(name))[1] for role, name in ROLES.items()}


@schema.parametrize()
@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, keys):
    """Each generated request, sent as each role in turn."""
    for role, username in ROLES.items():
        key = keys[role]
        response = case.call(headers={"Authorization": f"Token {key}"})
        case.validate_response(response, checks=CHECKS)
        if not ApiToken.objects.filter(key_hash=hash_token(key), revoked_at=None).exists():
            keys[role] = accounts.issue_token(user=user(username))[1]  # the case revoked it
