"""Simultaneous posts of one alarm meet at the database's unique constraints (STYLE: a lock alone is no promise)."""
import threading

import pytest
from django.db import connection

from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import alarm_body, token_client
from tickets.models import Alarm, FaultTicket

ALARMS = "/api/v1/alarms/"


def _post_together(bodies, token):
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)

    def post(i, body):
        try:
            client = token_client(token)
            barrier.wait(timeout=10)
            answers[i] = client.post(ALARMS, body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_posts_of_one_alarm_make_one_ticket():
    """Idempotency under concurrency: one alarm row, one ticket, every answer names it, exactly one 201."""
    circuit = f.CircuitFactory(customer__tier="gold")
    _, token = issue_client(name="nms-race")
    body = alarm_body(circuit.circuit_id)
    answers = _post_together([body] * 10, token)
    assert all(a is not None for a in answers)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 9 + [201], [a.json() for a in answers]
    assert len({a.json()["ticket"]["id"] for a in answers}) == 1
    assert Alarm.objects.filter(alarm_id=body["alarm_id"]).count() == 1
    assert FaultTicket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_alarms_on_one_circuit_share_its_ticket():
    """Correlation under concurrency: ten different alarms on one circuit, one open ticket."""
    circuit = f.CircuitFactory(customer__tier="normal")
    _, token = issue_client(name="nms-race-2")
    bodies = [alarm_body(circuit.circuit_id) for _ in range(10)]
    answers = _post_together(bodies, token)
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    assert len({a.json()["ticket"]["id"] for a in answers}) == 1
    assert FaultTicket.objects.count() == 1
    assert Alarm.objects.count() == 10
