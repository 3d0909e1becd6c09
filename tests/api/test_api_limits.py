"""API limits: permission before version, text limits, small alarm answers, alarm clears by their own client,
progress "for" a room without an acting user."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tests.api.conftest import alarm_body, ingest, noc_client, person_client
from tickets.models import Alarm, ProgressNote

pytestmark = pytest.mark.django_db

ALARMS = "/api/v1/alarms/"


def url(ticket, rest=""):
    return f"/api/v1/tickets/{ticket.pk}/{rest}"


def test_permission_is_checked_before_the_stale_version():
    """A caller who may not act learns nothing from a 409 (the message names the number and the version)."""
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    outsider = person_client(f.room_engineer("wireless"))
    response = outsider.post(url(ticket, "transitions/accept/"), {"version": 1}, format="json")
    assert response.status_code in (403, 404), response.json()
    assert "version" not in response.content.decode()


def test_web_text_fields_have_the_apis_size_limit(client):
    engineer = f.room_engineer("transport")
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    client.force_login(engineer)
    response = client.post(f"/tickets/{ticket.pk}/do/progress/", {"kind": "general", "text": "x" * 5001})
    assert response.status_code == 400
    assert not ProgressNote.objects.exists()
    ok = client.post(f"/tickets/{ticket.pk}/do/progress/", {"kind": "general", "text": "x" * 5000})
    assert ok.status_code in (200, 302)
    assert ProgressNote.objects.count() == 1


SUMMARY = {"id", "number", "state", "version", "customer", "circuit_id", "needs_triage", "lead_room", "occurred_at",
           "dispatched_at", "deadlines", "url"}


def test_the_alarm_answer_carries_the_ticket_summary_and_stays_small():
    circuit = f.CircuitFactory(customer__tier="gold")
    noc = noc_client()
    first = noc.post(ALARMS, alarm_body(circuit.circuit_id), format="json").json()
    assert set(first["ticket"]) == SUMMARY
    for _ in range(30):
        last = noc.post(ALARMS, alarm_body(circuit.circuit_id), format="json")
    assert last.status_code == 200 and last.json()["correlated"] is True
    assert len(last.content) < len(json.dumps(first)) * 1.5  # does not grow with the ticket's alarms and events
    whole = noc.get(last.json()["ticket"]["url"])
    assert whole.status_code == 200 and len(whole.json()["alarms"]) == 31 and whole.json()["events"]


def test_the_alarm_clear_answer_carries_the_summary_too():
    result = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=30, source="nms-east")
    response = noc_client().post(f"{ALARMS}{result.alarm.alarm_id}/clear/",
                                 {"cleared_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    assert set(response.json()["ticket"]) == SUMMARY


def test_a_client_clears_only_the_alarms_it_raised():
    circuit = f.CircuitFactory(customer__tier="gold")
    east, west = noc_client("nms-east"), noc_client("nms-west")
    body = alarm_body(circuit.circuit_id)
    assert east.post(ALARMS, body, format="json").status_code == 201
    clear = {"cleared_at": timezone.now().isoformat()}
    assert west.post(f"{ALARMS}{body['alarm_id']}/clear/", clear, format="json").status_code == 404
    assert Alarm.objects.get(alarm_id=body["alarm_id"]).cleared_at is None
    anyone = noc_client("nms-central", scopes=["alarms:write", "alarms:clear_any"])
    assert anyone.post(f"{ALARMS}{body['alarm_id']}/clear/", clear, format="json").status_code == 200
    assert east.post(f"{ALARMS}{body['alarm_id']}/clear/", clear, format="json").status_code == 200


def test_a_client_without_an_acting_user_may_not_write_progress_for_a_room():
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    system = noc_client("nms-writer", scopes=["tickets:transition"])
    response = system.post(url(ticket, "progress/"), {"text": "断纤已定位", "room": "transport"}, format="json")
    assert response.status_code == 403, response.json()
    assert not ProgressNote.objects.exists()
