"""Shared helpers for the REST API tests: callers of every kind and tickets made through the services."""
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from staff.tokens import issue_client
from tests import builders
from tests import factories as f

_alarm_ids = count(1)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def token_client(token: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    return client


def person_client(user) -> APIClient:
    """A signed-in person (session authentication, as in the browser)."""
    client = APIClient()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def noc_client(name: str = "nms-east", scopes=(), acting_user=None) -> APIClient:
    _, token = issue_client(name=name, scopes=list(scopes), acting_user=acting_user)
    return token_client(token)


def alarm_body(circuit_id: str, **overrides) -> dict:
    body = {
        "alarm_id": f"NMS-T-{next(_alarm_ids):06d}",
        "category": "transmission",
        "severity": "critical",
        "outage": "total",
        "circuit_id": circuit_id,
        "title": "LOS on STM-1 port 3",
        "raised_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
    }
    body.update(overrides)
    return body


def ingest(circuit_id: str, **kwargs):
    """A real ticket through ``tests.builders.ingest``, as if posted by the ``noc`` fixture's client (a client
    clears only its own alarms)."""
    kwargs.setdefault("source", "nms-east")
    return builders.ingest(circuit_id, **kwargs)


@pytest.fixture
def gold_circuit(db):
    return f.CircuitFactory(customer__tier="gold")


@pytest.fixture
def noc(db):
    return noc_client()


@pytest.fixture
def dispatched_ticket(gold_circuit):
    """A gold customer's transmission fault: lead room transport; datacom and support rooms involved."""
    return ingest(gold_circuit.circuit_id).ticket
