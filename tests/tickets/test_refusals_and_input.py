"""Bad input and refusals: a 400 naming the field (never a 500), and nothing stored."""
from datetime import timedelta

import pytest
from django.utils import timezone

from supportdesk.core.errors import ValidationFailed
from tests import factories as f
from tests.api.conftest import alarm_body, ingest, noc_client, person_client
from tests.builders import crew, snapshot, ticket_in
from tickets import services
from tickets.choices import TicketState as S
from tickets.models import Alarm, FaultTicket

pytestmark = pytest.mark.django_db


def _url(ticket, rest=""):
    return f"/api/v1/tickets/{ticket.pk}/{rest}"


def test_start_joint_with_a_long_note_as_reason_is_a_400_and_changes_nothing():
    """R-ESC-MANUAL: the reason (from `reason` or, failing that, `note`) is stored in 300-character columns;
    a longer one is refused by name, not a database error."""
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    api = person_client(f.room_engineer("transport"))
    api.raise_request_exception = False
    before = snapshot(ticket)
    response = api.post(_url(ticket, "transitions/start_joint/"), {"note": "x" * 400}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "reason"
    assert snapshot(ticket) == before


def test_re_routing_with_a_long_reason_is_refused_by_name():
    """R-LEAD override: the logged reason fits its column or is refused as bad input."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    before = snapshot(ticket)
    with pytest.raises(ValidationFailed) as caught:
        services.override_lead_room(ticket_id=ticket.pk, by=c.op, room_code="datacom", reason="原因" * 200)
    assert "reason" in caught.value.field_errors
    assert snapshot(ticket) == before


def test_a_deeply_nested_json_body_is_a_400_not_a_500():
    """CONTRACT: an invalid body is a 400; a parser's recursion limit is not a server error."""
    api = noc_client(scopes=["alarms:write"])
    api.raise_request_exception = False
    nested = '{"alarm_id": "N-1", "extra": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    response = api.post("/api/v1/alarms/", nested, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Alarm.objects.filter(alarm_id="N-1").exists()


def test_a_body_over_the_size_limit_is_refused_as_a_client_error_not_a_500(settings):
    """CONTRACT: a body too big to read is the client's error (413), never a server error, and nothing is stored."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = noc_client(scopes=["alarms:write"])
    api.raise_request_exception = False
    body = alarm_body("SZ-BIG-1", alarm_id="BIG-1", padding="x" * 20_000)
    response = api.post("/api/v1/alarms/", body, format="json")
    assert response.status_code == 413, response.content
    assert response.json()["type"] == "client_error"
    assert not Alarm.objects.filter(alarm_id="BIG-1").exists()


def test_an_arrival_before_the_fault_occurred_is_refused_and_stores_nothing():
    """R-ESC-2: a check-in time before the fault cannot count against the arrival deadline."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c, tier="gold")
    api = person_client(c.lead)
    before = snapshot(ticket)
    response = api.post(_url(ticket, "arrivals/"), {"at": "2001-01-01T08:00:00+08:00"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "at"
    assert snapshot(ticket) == before
    ok = api.post(_url(ticket, "arrivals/"), {"at": (timezone.now() - timedelta(minutes=1)).isoformat()},
                  format="json")
    assert ok.status_code == 201, ok.content


def test_a_manual_ticket_on_a_circuit_an_alarm_just_opened_is_a_400_not_a_500(monkeypatch):
    """docs/rules.md §3.1: one open ticket per circuit; losing the race to an alarm is a named refusal, not a crash."""
    c = crew()
    circuit = f.CircuitFactory(customer__tier="normal")
    # The alarm's ticket appears after the operator's form was checked (the check reads no lock).
    real_filter = FaultTicket.objects.filter

    def racing_filter(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        if kwargs.get("circuit_ref") == circuit.circuit_id and "state__in" in kwargs:
            return qs.none()
        return qs

    ingest(circuit.circuit_id)
    monkeypatch.setattr(FaultTicket.objects, "filter", racing_filter)
    with pytest.raises(ValidationFailed) as caught:
        services.create_ticket(by=c.op, title="客户来电", occurred_at=timezone.now() - timedelta(minutes=3),
                               circuit_id=circuit.circuit_id, dispatch_now=False)
    monkeypatch.undo()
    assert "circuit_id" in caught.value.field_errors
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id).count() == 1
