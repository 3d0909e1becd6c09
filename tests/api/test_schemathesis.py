"""Property-based run of the live schema against the app (schemathesis): no 5xx, no answer outside the schema.

Every operation of the schema is run (a new endpoint is covered the day it is added), as a client whose token
holds every scope and acts as an administrator, so the code behind each path runs, not only the 403.
Bounded and deterministic: a few derandomized examples per operation; operations on one object get a real
object's id half of the time (a ticket, an alarm, a visit, its problem and document), not only the 404.
"""
from datetime import timedelta

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

from staff.models import ApiScope
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
    result = ingest(circuit.circuit_id, minutes_ago=20, source="fuzz")
    admin = f.UserFactory(username="fuzz-admin", is_staff=True, is_superuser=True)
    _, token = issue_client(name="fuzz", scopes=list(ApiScope.values), acting_user=admin)
    objects = {"ticket": result.ticket.pk, "alarm_id": result.alarm.alarm_id, "circuit_id": result.alarm.circuit_ref}
    objects.update(_visit_objects(admin, circuit.customer))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Accept": "application/json"})
    return schema, token, objects


def _visit_objects(admin, customer) -> dict:
    from django.utils import timezone

    from visits import services as visits

    visit = visits.create_visit(by=admin, customer_id=customer.pk, kind="technical_exchange",
                                planned_at=timezone.now() + timedelta(days=2), owner_id=admin.pk)
    problem = visits.add_problem(visit_id=visit.pk, by=admin, description="光猫告警", solved_on_site=True,
                                 solution="重启")
    return {"visit": visit.pk, "problem_id": problem.pk}


def _path_values(path: str, objects: dict) -> dict:
    """Real ids for the path's parameters, by the collection the path names."""
    values = {}
    if "{id}" in path or "{pk}" in path:
        key = "visit" if path.startswith("/api/v1/visits/") else "ticket"
        if key in objects:
            values["id" if "{id}" in path else "pk"] = objects[key]
    for name in ("alarm_id", "problem_id", "document_id", "circuit_id"):
        if "{" + name + "}" in path and name in objects:
            values[name] = objects[name]
    return values


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/v1/"):
            yield operation


def test_the_api_answers_within_its_schema(live):
    schema, token, objects = live
    headers = {"Authorization": f"Token {token}"}
    tried = []
    for operation in _operations(schema):
        fixed = _path_values(operation.path, objects)
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
    assert len(tried) >= 30, tried
    assert any("/visits/" in t for t in tried), tried
    assert any("/quality/" in t for t in tried), tried
