"""POST /api/v1/alarms/ and /alarms/{alarm_id}/clear/ (CONTRACT.md)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tests.api.conftest import alarm_body, ingest
from tickets.models import Alarm, DialTest, FaultTicket, TicketEvent

pytestmark = pytest.mark.django_db

ALARMS = "/api/v1/alarms/"
SUMMARY_KEYS = {"id", "number", "state", "version", "customer", "circuit_id", "needs_triage", "lead_room",
                "occurred_at", "dispatched_at", "deadlines", "url"}
TICKET_KEYS = {
    "id", "number", "state", "customer", "circuit_id", "needs_triage", "lead_room", "occurred_at", "dispatched_at",
    "joint_started_at", "restored_at", "resolved_at", "closed_at", "deadlines", "escalations", "broadcasts",
    "arrivals", "events",
}


def test_a_new_alarm_opens_a_dispatched_ticket(noc, gold_circuit):
    """R-LEAD, R-DISPATCH-IMP: 201, the new ticket led by the transport room, dispatched at once."""
    body = alarm_body(gold_circuit.circuit_id, vendor_field="kept as posted")
    response = noc.post(ALARMS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["created"] is True and data["duplicate"] is False and data["correlated"] is False
    ticket = data["ticket"]
    # CONTRACT.md (changed 2026-11-30): the alarm answer carries the ticket summary; the whole ticket is at its url
    assert set(ticket) == SUMMARY_KEYS
    assert TICKET_KEYS <= set(noc.get(ticket["url"]).json())
    assert ticket["state"] == "dispatched"
    assert ticket["lead_room"] == "transport"
    assert ticket["circuit_id"] == gold_circuit.circuit_id
    assert ticket["needs_triage"] is False
    customer = gold_circuit.customer
    assert ticket["customer"] == {"code": customer.code, "name": customer.name, "tier": "gold"}
    assert {d["kind"] for d in ticket["deadlines"]} == {"joint_handling", "arrival"}
    assert data["alarm"]["alarm_id"] == body["alarm_id"]
    assert data["alarm"]["ticket"] == ticket["id"]
    alarm = Alarm.objects.get(alarm_id=body["alarm_id"])
    assert alarm.payload == body
    assert alarm.source == "nms-east"


def test_a_datacom_alarm_is_led_by_the_service_support_room(noc, gold_circuit):
    """R-LEAD: any alarm that is not a transmission alarm goes to the service support room."""
    response = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id, category="datacom"), format="json")
    assert response.status_code == 201
    assert response.json()["ticket"]["lead_room"] == "service_support"


def test_the_same_alarm_twice_answers_200_with_the_same_ticket(noc, gold_circuit):
    body = alarm_body(gold_circuit.circuit_id)
    first = noc.post(ALARMS, body, format="json")
    second = noc.post(ALARMS, body, format="json")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["created"] is False and second.json()["duplicate"] is True
    assert second.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert Alarm.objects.filter(alarm_id=body["alarm_id"]).count() == 1
    assert FaultTicket.objects.count() == 1


def test_an_alarm_on_a_circuit_with_an_open_ticket_is_absorbed(noc, gold_circuit):
    """Correlation: the open ticket of the circuit takes the new alarm (200, created false)."""
    first = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id), format="json")
    second = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id, outage="partial"), format="json")
    assert second.status_code == 200
    data = second.json()
    assert data["created"] is False and data["correlated"] is True
    assert data["ticket"]["id"] == first.json()["ticket"]["id"]
    assert data["alarm"]["correlated"] is True
    assert FaultTicket.objects.count() == 1 and Alarm.objects.count() == 2
    whole = noc.get(data["ticket"]["url"]).json()
    assert "alarm_absorbed" in [e["transition"] for e in whole["events"]]


def test_an_unknown_circuit_still_opens_a_ticket_for_triage(noc):
    """docs/rules.md §3.1: an alarm is never dropped; unknown circuit → new ticket marked for triage."""
    response = noc.post(ALARMS, alarm_body("SZ-NOWHERE-1"), format="json")
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["state"] == "new"
    assert ticket["needs_triage"] is True
    assert ticket["customer"] is None
    assert noc.get(ticket["url"]).json()["tier"] == "normal"


def test_a_dial_test_in_the_alarm_is_recorded(noc, gold_circuit):
    body = alarm_body(gold_circuit.circuit_id, dial_test={"result": "fail", "detail": "ping 100% loss"})
    response = noc.post(ALARMS, body, format="json")
    assert response.status_code == 201
    test = DialTest.objects.get(ticket_id=response.json()["ticket"]["id"])
    assert (test.result, test.detail) == ("fail", "ping 100% loss")


def test_an_invalid_alarm_names_every_bad_field_and_stores_nothing(noc):
    body = {
        "alarm_id": "", "category": "plumbing", "severity": "apocalyptic", "outage": "most",
        "title": "", "raised_at": "yesterday", "dial_test": {"result": "maybe"},
    }
    response = noc.post(ALARMS, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["type"] == "validation_error"
    named = {e["attr"] for e in data["errors"]}
    assert named == {"alarm_id", "category", "severity", "outage", "circuit_id", "title", "raised_at",
                     "dial_test.result"}
    assert all(e["detail"] for e in data["errors"])
    assert not Alarm.objects.exists() and not FaultTicket.objects.exists()


@pytest.mark.parametrize("raised_at, code", [
    ("2026-11-24T08:00:00", "naive"),  # no offset
    ((timezone.now() + timedelta(hours=1)).isoformat(), "future"),
])
def test_raised_at_needs_an_offset_and_may_not_be_in_the_future(noc, gold_circuit, raised_at, code):
    response = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id, raised_at=raised_at), format="json")
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("raised_at", code)]
    assert not Alarm.objects.exists()


def test_a_small_clock_skew_is_tolerated(noc, gold_circuit):
    raised_at = (timezone.now() + timedelta(minutes=3)).isoformat()
    response = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id, raised_at=raised_at), format="json")
    assert response.status_code == 201


def test_a_body_that_is_not_an_object_is_refused(noc):
    response = noc.post(ALARMS, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_malformed_json_is_a_400_parse_error(noc):
    response = noc.post(ALARMS, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_nul_character_anywhere_in_the_body_is_refused(noc, gold_circuit):
    response = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id, extra="a\u0000b"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "payload"
    assert not Alarm.objects.exists()


# --------------------------------------------------------------------------- clear
def test_clearing_an_alarm_records_it_and_leaves_the_ticket_open(noc, gold_circuit):
    result = ingest(gold_circuit.circuit_id, minutes_ago=30)
    cleared_at = timezone.now() - timedelta(minutes=1)
    response = noc.post(f"{ALARMS}{result.alarm.alarm_id}/clear/", {"cleared_at": cleared_at.isoformat()},
                        format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["alarm"]["cleared_at"] is not None
    assert data["ticket"]["state"] == "dispatched"
    whole = noc.get(data["ticket"]["url"]).json()
    assert whole["closed_at"] is None
    assert "alarm_cleared" in [e["transition"] for e in whole["events"]]
    result.alarm.refresh_from_db()
    assert result.alarm.cleared_at == cleared_at


def test_clearing_twice_changes_nothing(noc, gold_circuit):
    result = ingest(gold_circuit.circuit_id, minutes_ago=30)
    url = f"{ALARMS}{result.alarm.alarm_id}/clear/"
    noc.post(url, {"cleared_at": timezone.now().isoformat()}, format="json")
    events = TicketEvent.objects.count()
    again = noc.post(url, {"cleared_at": timezone.now().isoformat()}, format="json")
    assert again.status_code == 200
    assert TicketEvent.objects.count() == events


def test_clearing_an_unknown_alarm_is_404(noc):
    response = noc.post(f"{ALARMS}NMS-NEVER/clear/", {"cleared_at": timezone.now().isoformat()}, format="json")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_clearing_needs_a_valid_time(noc, gold_circuit):
    result = ingest(gold_circuit.circuit_id, minutes_ago=30)
    url = f"{ALARMS}{result.alarm.alarm_id}/clear/"
    assert noc.post(url, {}, format="json").json()["errors"][0]["attr"] == "cleared_at"
    before = (result.alarm.raised_at - timedelta(hours=1)).isoformat()
    response = noc.post(url, {"cleared_at": before}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "cleared_at"
    result.alarm.refresh_from_db()
    assert result.alarm.cleared_at is None


def test_people_post_alarms_only_with_the_monitoring_role(gold_circuit):
    from tests.api.conftest import person_client

    operator = person_client(f.monitoring_operator())
    engineer = person_client(f.room_engineer("transport"))
    assert operator.post(ALARMS, alarm_body(gold_circuit.circuit_id), format="json").status_code == 201
    assert engineer.post(ALARMS, alarm_body("SZ-OTHER-1"), format="json").status_code == 403
    assert Alarm.objects.get().source == operator_username(operator)


def operator_username(client) -> str:
    from staff.models import User

    return User.objects.get(pk=client.session["_auth_user_id"]).username


@pytest.mark.parametrize("field, value, code", [
    ("alarm_id", "", "blank"),
    ("alarm_id", "x" * 129, "max_length"),
    ("circuit_id", "   ", "blank"),
    ("title", "t" * 301, "max_length"),
    ("category", "plumbing", "invalid_choice"),
    ("raised_at", "1999-12-31T23:00:00+08:00", "too_old"),
    ("raised_at", "yesterday", "invalid"),
    ("alarm_id", None, "null"),
])
def test_each_refusal_keeps_its_code_and_names_its_field(noc, gold_circuit, field, value, code):
    """CONTRACT POST /alarms/: one error per wrong field, with the code clients already know."""
    body = alarm_body(gold_circuit.circuit_id) | {field: value}
    response = noc.post(ALARMS, body, format="json")
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert not Alarm.objects.exists()


def test_the_api_asks_the_ingest_service_for_the_alarm_rules(noc, gold_circuit, monkeypatch):
    """The alarm's rules live once (``alarm_errors``); the serializer checks only the JSON shape."""
    from tickets.services import ingest as ingest_service

    rules = ingest_service.alarm_errors

    def stricter(data, **kwargs):
        errors = rules(data, **kwargs)
        if data.title.startswith("TEST"):
            errors["title"] = [ingest_service.Refusal("no test titles", "test_title")]
        return errors

    monkeypatch.setattr(ingest_service, "alarm_errors", stricter)
    response = noc.post(ALARMS, alarm_body(gold_circuit.circuit_id) | {"title": "TEST 1"}, format="json")
    assert response.status_code == 400
    assert [(e["attr"], e["code"], e["detail"]) for e in response.json()["errors"]] == [
        ("title", "test_title", "no test titles")]
