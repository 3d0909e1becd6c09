"""Property-based run of the complaints part of the live schema (schemathesis): no 5xx, no answer outside it."""
import pytest
import schemathesis
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from staff.tokens import issue_client
from tests import factories as f
from tests.api.test_schemathesis import CHECKS, EXAMPLES, wsgi_app  # noqa: F401 - the fixture

from .conftest import at, receive

pytestmark = pytest.mark.django_db


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=True)
def test_the_complaints_api_answers_within_its_schema(db, wsgi_app):  # noqa: F811
    circuit = f.CircuitFactory(customer__tier="gold", customer__code="SZ-GOV-001", circuit_id="SZ-DL-0001")
    complaint = receive(circuit.customer, circuit)
    _, token = issue_client(name="fuzz-kf", scopes=["complaints:write", "complaints:read"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Accept": "application/json"})
    headers = {"Authorization": f"Token {token}"}
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/complaints/"):
            continue
        strategies = [operation.as_strategy()]
        if "{id}" in operation.path:
            strategies.append(operation.as_strategy(path_parameters={"id": complaint.pk}))

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(*strategies))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert len(tried) == 4, tried
