"""Writes on a ticket: transitions (docs/rules.md §3.6), progress, arrivals, explanations, phone notifications."""
import pytest

from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import ingest, noc_client, person_client, token_client
from tickets import services
from tickets.models import FaultTicket, PhoneNotification, TicketEvent

pytestmark = pytest.mark.django_db


def url(ticket, rest=""):
    return f"/api/v1/tickets/{ticket.pk}/{rest}"


@pytest.fixture
def transport():
    return f.room_engineer("transport")


@pytest.fixture
def lead(transport):
    return person_client(transport)


def test_the_lead_room_accepts_and_gets_the_ticket_back(lead, dispatched_ticket, transport):
    response = lead.post(url(dispatched_ticket, "transitions/accept/"), {"note": "收到"}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["state"] == "lead_handling"
    accept = data["events"][-1]
    assert (accept["transition"], accept["from_state"], accept["to_state"], accept["note"]) == (
        "accept", "dispatched", "lead_handling", "收到")
    assert accept["actor"] == transport.username


def test_a_transition_not_allowed_from_the_state_is_409_naming_it_and_changes_nothing(lead, dispatched_ticket):
    """docs/rules.md §3.6: refused with a clear message; the ticket is unchanged."""
    version = FaultTicket.objects.get(pk=dispatched_ticket.pk).version
    events = TicketEvent.objects.count()
    response = lead.post(url(dispatched_ticket, "transitions/restore/"), {"note": "已恢复"}, format="json")
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "transition_not_allowed"
    assert "dispatched" in error["detail"]
    assert FaultTicket.objects.get(pk=dispatched_ticket.pk).version == version
    assert TicketEvent.objects.count() == events


def test_a_stale_version_is_409_changed_under_you(lead, dispatched_ticket):
    current = lead.get(url(dispatched_ticket)).json()["version"]
    response = lead.post(url(dispatched_ticket, "transitions/accept/"), {"version": current - 1}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert FaultTicket.objects.get(pk=dispatched_ticket.pk).state == "dispatched"
    ok = lead.post(url(dispatched_ticket, "transitions/accept/"), {"version": current}, format="json")
    assert ok.status_code == 200


def test_missing_fields_are_400_and_change_nothing(lead, dispatched_ticket):
    lead.post(url(dispatched_ticket, "transitions/accept/"), {}, format="json")
    restore = lead.post(url(dispatched_ticket, "transitions/restore/"), {}, format="json")
    assert restore.status_code == 400
    assert restore.json()["errors"][0]["attr"] == "note"
    resolve = lead.post(url(dispatched_ticket, "transitions/resolve/"), {"cause_category": "fibre_cut"},
                        format="json")
    assert resolve.status_code == 400
    assert resolve.json()["errors"][0]["attr"] == "cause_text"
    bad_choice = lead.post(url(dispatched_ticket, "transitions/resolve/"), {"cause_category": "gremlins"},
                           format="json")
    assert bad_choice.status_code == 400 and bad_choice.json()["errors"][0]["attr"] == "cause_category"
    assert FaultTicket.objects.get(pk=dispatched_ticket.pk).state == "lead_handling"


def test_an_unknown_transition_is_404(lead, dispatched_ticket):
    response = lead.post(url(dispatched_ticket, "transitions/teleport/"), {}, format="json")
    assert response.status_code == 404
    assert "teleport" in response.json()["errors"][0]["detail"]


def test_a_transition_on_an_unknown_ticket_is_404(lead):
    response = lead.post("/api/v1/tickets/987654/transitions/accept/", {}, format="json")
    assert response.status_code == 404


def test_the_whole_life_of_an_important_ticket_through_the_api(dispatched_ticket, transport):
    """R-RESTORE-FIRST, R-EXPLAIN: restore, resolve, explanation approved and released, then close."""
    lead = person_client(transport)
    support = f.support_engineer()
    support_api = person_client(support)
    operator_api = person_client(f.monitoring_operator())
    manager_api = person_client(f.support_manager())
    assert lead.post(url(dispatched_ticket, "transitions/accept/"), {}, format="json").status_code == 200
    assert lead.post(url(dispatched_ticket, "transitions/restore/"), {"note": "倒换到备用路由"},
                     format="json").json()["state"] == "restored"
    services.designate_site_lead(ticket_id=dispatched_ticket.pk, by=f.support_manager(), user_id=support.pk)
    services.record_arrival(ticket_id=dispatched_ticket.pk, by=support, site_kind="customer")  # R-SITE-1
    resolved = lead.post(url(dispatched_ticket, "transitions/resolve/"),
                         {"cause_category": "fibre_cut", "cause_text": "施工挖断光缆"}, format="json")
    assert resolved.json()["state"] == "resolved"
    early_close = operator_api.post(url(dispatched_ticket, "transitions/close/"), {"customer_reply": "确认"},
                                    format="json")
    assert early_close.status_code == 400
    assert early_close.json()["errors"][0]["attr"] == "explanation"
    draft = support_api.post(url(dispatched_ticket, "explanations/"), {"text": "光缆被挖断，已熔接。"}, format="json")
    assert draft.status_code == 201, draft.json()
    eid = draft.json()["id"]
    approved = manager_api.post(url(dispatched_ticket, f"explanations/{eid}/approve/"), {}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    released = support_api.post(url(dispatched_ticket, f"explanations/{eid}/release/"), format="json")
    assert released.status_code == 200 and released.json()["state"] == "released"
    closed = operator_api.post(url(dispatched_ticket, "transitions/close/"), {"customer_reply": "客户确认恢复"},
                               format="json")
    assert closed.status_code == 200, closed.json()
    data = closed.json()
    assert data["state"] == "closed" and data["closed_at"] and data["restored_at"] and data["resolved_at"]
    listed = support_api.get(url(dispatched_ticket, "explanations/")).json()
    assert [e["state"] for e in listed] == ["released"]


def test_start_joint_cancel_and_reopen_take_their_fields(gold_circuit, transport):
    operator = person_client(f.monitoring_operator())
    lead = person_client(transport)
    ticket = ingest(gold_circuit.circuit_id).ticket
    joint = lead.post(url(ticket, "transitions/start_joint/"), {"reason": "无法定位，请求联合处理"}, format="json")
    assert joint.status_code == 200 and joint.json()["state"] == "joint_handling"
    # R-BCAST: #1 at the important customer's dispatch (a), #2 at once when joint handling starts
    assert [b["seq"] for b in joint.json()["broadcasts"]][:2] == [1, 2]
    other = ingest(f.CircuitFactory(customer__tier="normal").circuit_id).ticket
    bad = operator.post(url(other, "transitions/cancel/"), {"reason": "bored"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "reason"
    cancelled = operator.post(url(other, "transitions/cancel/"), {"reason": "false_alarm", "note": "误报"},
                              format="json")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    services.record_site_lead_exception(ticket_id=ticket.pk, by=f.support_manager(), reason="远程处理")  # R-SITE-1
    lead.post(url(ticket, "transitions/resolve/"), {"cause_category": "other", "cause_text": "板卡故障"},
              format="json")
    reopened = operator.post(url(ticket, "transitions/reopen/"), {"note": "故障复现"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["state"] == "lead_handling"


def test_monitoring_dispatches_a_triaged_ticket_only_once_a_customer_is_matched(db):
    operator = person_client(f.monitoring_operator())
    ticket = ingest("SZ-UNKNOWN-5").ticket
    response = operator.post(url(ticket, "transitions/dispatch/"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "customer"


# --------------------------------------------------------------------------- API clients and transitions
def test_a_client_runs_transitions_only_with_the_transition_scope(dispatched_ticket):
    plain = noc_client("nms-plain")
    refused = plain.post(url(dispatched_ticket, "transitions/start_joint/"), {"reason": "x"}, format="json")
    assert refused.status_code == 403
    assert "tickets:transition" in refused.json()["errors"][0]["detail"]
    able = noc_client("nms-able", scopes=["tickets:transition"])
    done = able.post(url(dispatched_ticket, "transitions/start_joint/"), {"reason": "NMS: 多站点告警"}, format="json")
    assert done.status_code == 200
    assert any(e["actor"] == "api:nms-able" and e["transition"] == "start_joint" for e in done.json()["events"])


def test_a_client_with_an_acting_user_is_held_to_that_users_permissions(dispatched_ticket):
    operator = f.monitoring_operator()
    _, token = issue_client(name="nms-acting", scopes=["tickets:transition"], acting_user=operator)
    api = token_client(token)
    refused = api.post(url(dispatched_ticket, "transitions/accept/"), {}, format="json")
    assert refused.status_code == 403  # monitoring does not accept for the lead room
    joint = api.post(url(dispatched_ticket, "transitions/start_joint/"), {"reason": "监控判断"}, format="json")
    assert joint.status_code == 200
    assert any(e["actor"] == operator.username and e["transition"] == "start_joint" for e in joint.json()["events"])


# --------------------------------------------------------------------------- progress, arrivals, phone
def test_progress_notes_follow_own_network_first(lead, dispatched_ticket):
    """R-OWN-FIRST: checks run in parallel — a customer-side check is recorded at any time."""
    early = lead.post(url(dispatched_ticket, "progress/"), {"text": "客户侧设备正常", "kind": "customer_side"},
                      format="json")
    assert early.status_code == 201
    own = lead.post(url(dispatched_ticket, "progress/"), {"text": "本网传输正常", "kind": "own_network"},
                    format="json")
    assert own.status_code == 201
    assert own.json()["room"] == "transport" and own.json()["kind"] == "own_network"
    later = lead.post(url(dispatched_ticket, "progress/"), {"text": "客户侧设备正常", "kind": "customer_side"},
                      format="json")
    assert later.status_code == 201
    assert [p["kind"] for p in lead.get(url(dispatched_ticket)).json()["progress"]] == [
        "customer_side", "own_network", "customer_side"]


def test_progress_needs_text(lead, dispatched_ticket):
    response = lead.post(url(dispatched_ticket, "progress/"), {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "text"


def test_an_arrival_is_recorded_once(lead, dispatched_ticket, transport):
    """R-ESC-2: the check-in, with the phone's position."""
    first = lead.post(url(dispatched_ticket, "arrivals/"), {"latitude": "22.54", "longitude": "114.05"},
                      format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["by"] == transport.username and first.json()["site_kind"] == "equipment"
    again = lead.post(url(dispatched_ticket, "arrivals/"), {}, format="json")
    assert again.status_code == 409
    half = lead.post(url(dispatched_ticket, "arrivals/"), {"latitude": "22.5"}, format="json")
    assert half.status_code == 400
    arrivals = lead.get(url(dispatched_ticket)).json()["arrivals"]
    assert [(a["room"], a["by"]) for a in arrivals] == [("transport", transport.username)]


def test_the_phone_checklist_lists_every_room_to_call_and_records_calls(dispatched_ticket):
    """R-DISPATCH-IMP: each room to phone is a line; a call records who, whom, when, answered."""
    operator = f.monitoring_operator()
    api = person_client(operator)
    lines = api.get(url(dispatched_ticket, "phone-notifications/")).json()
    assert {line["room"] for line in lines} >= {"transport", "service_support"}
    assert all(line["called_at"] is None for line in lines)
    unanswered = api.post(url(dispatched_ticket, "phone-notifications/"), {"room": "transport", "answered": True},
                          format="json")
    assert unanswered.status_code == 400 and unanswered.json()["errors"][0]["attr"] == "callee"
    call = api.post(url(dispatched_ticket, "phone-notifications/"),
                    {"room": "transport", "answered": True, "callee": "李工", "callee_phone": "13800001111"},
                    format="json")
    assert call.status_code == 201, call.json()
    assert call.json()["called_by"] == operator.username and call.json()["attempts"] == 1
    row = PhoneNotification.objects.get(ticket=dispatched_ticket, room__code="transport")
    assert row.answered is True and row.callee == "李工"


def test_a_voice_gateway_records_calls_with_the_phone_scope(dispatched_ticket):
    gateway = noc_client("voice-gw", scopes=["phone:write"])
    response = gateway.post(url(dispatched_ticket, "phone-notifications/"),
                            {"room": "service_support", "answered": False, "channel": "voice_gateway"}, format="json")
    assert response.status_code == 201
    assert response.json()["channel"] == "voice_gateway"


def test_sub_resources_of_an_unknown_ticket_are_404(noc):
    assert noc.get("/api/v1/tickets/424242/phone-notifications/").status_code == 404
    assert noc.get("/api/v1/tickets/424242/explanations/").status_code == 404


def test_approving_an_explanation_of_another_ticket_is_404(dispatched_ticket, gold_circuit):
    other = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    support = f.support_engineer()
    eid = person_client(support).post(url(other, "explanations/"), {"text": "原因"}, format="json").json()["id"]
    response = person_client(f.support_manager()).post(url(dispatched_ticket, f"explanations/{eid}/approve/"), {},
                                                       format="json")
    assert response.status_code == 404
