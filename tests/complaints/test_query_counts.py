"""Query counts of the complaint list API, the queue page and the dashboard panel do not grow with the rows."""
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.services import transitions as t
from tests import factories as f
from tests.api.conftest import noc_client

from .conftest import at, receive

pytestmark = pytest.mark.django_db


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _complaints(n):
    for i in range(n):
        circuit = f.CircuitFactory(customer__tier="gold" if i % 2 else "normal")
        c = receive(circuit.customer, circuit, received_at=at(2026, 11, 24, 9, i))
        t.sort(complaint_id=c.pk, by=None, route_to="transport")


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_list_queue_and_panel_queries_do_not_grow_with_the_complaints():
    """R-CMP-LIMITS pages at scale: a fixed number of queries for 3 and for 12 complaints."""
    api = noc_client("kf-count", scopes=["complaints:read"])
    people = Client()
    people.force_login(f.support_manager(), backend="django.contrib.auth.backends.ModelBackend")
    _complaints(3)
    api.get("/api/v1/complaints/")  # the first call of a token records its use
    few = [_queries(lambda: api.get("/api/v1/complaints/")), _queries(lambda: people.get("/complaints/")),
           _queries(lambda: people.get("/complaints/dashboard/"))]
    _complaints(9)
    many = [_queries(lambda: api.get("/api/v1/complaints/")), _queries(lambda: people.get("/complaints/")),
            _queries(lambda: people.get("/complaints/dashboard/"))]
    assert many == few
