"""Property-based run of the live schema against the app (schemathesis): no 5xx, no answer outside the schema.

Bounded and deterministic: a few derandomized examples per operation; ticket operations get a real
ticket's id half of the time so the code behind the path runs, not only the 404.
"""
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import ingest

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12


@pytest.fixture
def wsgi_app():
    """The real WSGI app, kept from closing the test's database connection at each request's end
    (what Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def live(db, wsgi_app, settings):
    # A prober that does not answer: dial tests run their code up to the network and answer 409, not the 503 of
    # an installation with no prober at all (a deliberate 5xx, tested in tests/quality/test_api.py).
    settings.BLACKBOX_EXPORTER_URL = "http://127.0.0.1:9"
    settings.BLACKBOX_TIMEOUT_SECONDS = 1
    circuit = f.CircuitFactory(customer__tier="gold")
    result = ingest(circuit.circuit_id, minutes_ago=20)
    _, token = issue_client(name="fuzz", scopes=["tickets:transition", "phone:write", "quality:write"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Accept": "application/json"})
    return schema, token, result


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(("/api/v1/alarms/", "/api/v1/tickets/", "/api/v1/quality/", "/api/v1/circuits/")):
            yield operation


def test_the_api_answers_within_its_schema(live):
    schema, token, result = live
    headers = {"Authorization": f"Token {token}"}
    tried = []
    for operation in _operations(schema):
        fixed = {}
        if "{id}" in operation.path:
            fixed["id"] = result.ticket.pk
        if "{alarm_id}" in operation.path:
            fixed["alarm_id"] = result.alarm.alarm_id
        if "{circuit_id}" in operation.path:
            fixed["circuit_id"] = result.alarm.circuit_ref
        strategies = [operation.as_strategy()]
        if fixed:
            strategies.append(operation.as_strategy(path_parameters=fixed))

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(*strategies))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert len(tried) >= 17, tried
