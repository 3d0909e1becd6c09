
import pytest

from tests import factories as f
from tests.builders import alarm_ticket


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
    return alarm_ticket(circuit.circuit_id)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
