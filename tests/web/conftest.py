from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories as f
from tickets import services


def alarm(circuit_id: str, *, category="transmission", minutes_ago=5, alarm_id=None, outage="total"):
    """A real ticket through the services, as a NOC system would open it (ingested when it was raised)."""
    raised = timezone.now() - timedelta(minutes=minutes_ago)
    with time_machine.travel(raised, tick=False):
        return services.ingest_alarm(alarm=services.AlarmIn(
            alarm_id=alarm_id or f"NMS-{circuit_id}-{minutes_ago}", category=category, severity="critical",
            outage=outage, circuit_id=circuit_id, title="LOS on STM-1 port 3", raised_at=raised)).ticket


@pytest.fixture
def operator():
    return f.monitoring_operator(username="op")


@pytest.fixture
def transport_engineer():
    return f.room_engineer("transport", username="trans")


@pytest.fixture
def support():
    return f.support_engineer(username="supp")


@pytest.fixture
def manager():
    return f.support_manager(username="mgr")


@pytest.fixture
def gold_ticket():
    """A dispatched gold-customer transmission fault (lead: transport room)."""
    circuit = f.CircuitFactory(customer__tier="gold")
    f.ContactFactory(customer=circuit.customer, name="李工", phone="13911112222")
    return alarm(circuit.circuit_id)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
