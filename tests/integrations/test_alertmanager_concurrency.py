"""Two Alertmanagers of an HA pair send the same notification at the same moment."""
import json
import threading
import urllib.request

import pytest

from staff.tokens import issue_client
from tests import factories as f
from tickets.models import Alarm, FaultTicket

from .helpers import URL, circuit_alert, webhook


def post(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.django_db(transaction=True)
def test_the_same_notification_from_both_peers_at_once_is_one_alarm_and_one_ticket(live_server):
    """Idempotent under concurrency: the alarm id's unique constraint decides, the loser reads the winner."""
    circuit = f.CircuitFactory(customer__tier="gold")
    _, token = issue_client(name="alertmanager-ha")
    body = webhook(circuit_alert(circuit.circuit_id))
    start = threading.Barrier(4)
    reports, failures = [], []

    def peer():
        start.wait()
        try:
            reports.append(post(live_server.url + URL, token, body))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=peer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    outcomes = sorted(r["results"][0]["outcome"] for r in reports)
    assert outcomes == ["created", "duplicate", "duplicate", "duplicate"]
    assert len({r["results"][0]["ticket"] for r in reports}) == 1
    assert Alarm.objects.count() == 1
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id).count() == 1
