"""Every role × every write endpoint → the expected status (docs/rules.md §1 roles, §3.6 "who", R-EXPLAIN).

The ticket: a gold customer's transmission fault on a data line, dispatched at once (R-DISPATCH-IMP):
the transport room leads, the datacom and service support rooms are involved; wireless is not.
The vendor engineer's vendor is not assigned to it: for them the ticket does not exist (404, as on GET).
"""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from tests.api.conftest import alarm_body, ingest, noc_client, person_client
from tickets import services

pytestmark = pytest.mark.django_db

ROLES = {
    "monitoring": lambda: person_client(f.monitoring_operator()),
    "lead_room_engineer": lambda: person_client(f.room_engineer("transport")),
    "other_room_engineer": lambda: person_client(f.room_engineer("wireless")),
    "support_engineer": lambda: person_client(f.support_engineer()),
    "vendor_engineer": lambda: person_client(f.vendor_engineer()),
    "support_manager": lambda: person_client(f.support_manager()),
    "centre_leader": lambda: person_client(f.centre_leader()),
    "noc_token": lambda: noc_client("nms-plain"),
    "noc_token_transition": lambda: noc_client("nms-transition", scopes=["tickets:transition", "alarms:clear_any"]),
    "anonymous": APIClient,
}


def _post_alarm(api, ticket):
    return api.post("/api/v1/alarms/", alarm_body(f.CircuitFactory().circuit_id), format="json")


def _clear_alarm(api, ticket):
    alarm = ticket.alarms.get()
    return api.post(f"/api/v1/alarms/{alarm.alarm_id}/clear/", {"cleared_at": timezone.now().isoformat()},
                    format="json")


def _accept(api, ticket):
    return api.post(f"/api/v1/tickets/{ticket.pk}/transitions/accept/", {}, format="json")


def _progress(api, ticket):
    return api.post(f"/api/v1/tickets/{ticket.pk}/progress/", {"text": "排查中"}, format="json")


def _arrival(api, ticket):
    return api.post(f"/api/v1/tickets/{ticket.pk}/arrivals/", {}, format="json")


def _draft(api, ticket):
    return api.post(f"/api/v1/tickets/{ticket.pk}/explanations/", {"text": "原因说明"}, format="json")


def _approve(api, ticket):
    drafted = services.draft_explanation(ticket_id=ticket.pk, by=f.support_engineer(), text="原因说明")
    return api.post(f"/api/v1/tickets/{ticket.pk}/explanations/{drafted.pk}/approve/", {}, format="json")


def _phone(api, ticket):
    return api.post(f"/api/v1/tickets/{ticket.pk}/phone-notifications/",
                    {"room": "datacom", "answered": False}, format="json")


ENDPOINTS = {
    "post_alarm": _post_alarm,
    "clear_alarm": _clear_alarm,
    "transition_accept": _accept,
    "progress": _progress,
    "arrival": _arrival,
    "draft_explanation": _draft,
    "approve_explanation": _approve,
    "phone_notification": _phone,
}

# role: post_alarm, clear_alarm, accept, progress, arrival, draft, approve, phone
EXPECTED = {
    "monitoring":           (201, 200, 403, 403, 403, 403, 403, 201),
    "lead_room_engineer":   (403, 403, 200, 201, 201, 201, 403, 403),
    "other_room_engineer":  (403, 403, 403, 403, 403, 403, 403, 403),
    "support_engineer":     (403, 403, 403, 201, 201, 201, 403, 201),
    "vendor_engineer":      (403, 403, 404, 404, 404, 404, 404, 404),  # not their vendor's ticket: hidden
    "support_manager":      (403, 403, 403, 201, 201, 201, 200, 403),
    "centre_leader":        (403, 403, 403, 403, 403, 403, 403, 403),
    "noc_token":            (201, 200, 403, 403, 403, 403, 403, 403),
    "noc_token_transition": (201, 200, 200, 201, 403, 403, 403, 403),
    "anonymous":            (401, 401, 401, 401, 401, 401, 401, 401),
}

CASES = [
    pytest.param(role, endpoint, EXPECTED[role][i], id=f"{role}-{endpoint}")
    for role in EXPECTED
    for i, endpoint in enumerate(ENDPOINTS)
]


@pytest.mark.parametrize("role, endpoint, expected", CASES)
def test_permission_matrix(role, endpoint, expected):
    circuit = f.CircuitFactory(customer__tier="gold")
    ticket = ingest(circuit.circuit_id, minutes_ago=10, source="nms-plain").ticket  # raised by noc_token
    assert ticket.state == "dispatched"
    api = ROLES[role]()
    response = ENDPOINTS[endpoint](api, ticket)
    assert response.status_code == expected, response.json()
    body = response.json()
    if expected >= 400:
        assert body["type"] == "client_error" and body["errors"][0]["code"] in (
            "permission_denied", "not_authenticated", "not_found")


def test_a_refused_write_changes_nothing():
    circuit = f.CircuitFactory(customer__tier="gold")
    ticket = ingest(circuit.circuit_id, minutes_ago=10).ticket
    before = (ticket.events.count(), type(ticket).objects.get(pk=ticket.pk).version)
    api = person_client(f.room_engineer("wireless"))
    for call in ENDPOINTS.values():
        if call not in (_post_alarm, _approve):
            call(api, ticket)
    assert (ticket.events.count(), type(ticket).objects.get(pk=ticket.pk).version) == before
    assert ticket.alarms.get().cleared_at is None
