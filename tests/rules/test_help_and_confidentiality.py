"""docs/rules.md §3.7 (docs/rules.md): R-HELP — asking for higher support, tracked until answered."""
import pytest

from staff import help as help_service
from staff.models import HelpRequest, RoomMembership
from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in
from tickets import services

pytestmark = pytest.mark.django_db


def _ticket():
    circuit = f.CircuitFactory(customer__tier="gold")
    return services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket


def test_an_engineer_asks_the_room_leader_from_a_ticket_and_the_leader_sees_it_until_answered(client):
    """R-HELP: from the ticket page an engineer asks their room's leader; the request is tracked, the leader sees
    it unanswered on the dashboard, answers it, and it is no longer open."""
    ticket = _ticket()
    engineer = f.room_engineer("transport")
    leader = f.person("support_manager", "transport")
    RoomMembership.objects.filter(user=leader).update(is_leader=True)
    client.force_login(engineer)
    answer = client.post(f"/tickets/{ticket.pk}/do/ask_help/",
                         {"asked_of": "room_leader", "question": "需要协调电力室夜间进站"})
    assert answer.status_code == 302
    request = HelpRequest.objects.get()
    assert (request.subject_kind, request.subject_id, request.room.code) == ("ticket", ticket.pk, "transport")
    assert list(help_service.unanswered_for(leader)) == [request]
    client.force_login(leader)
    assert "需要协调电力室夜间进站" in client.get("/dashboard/").content.decode()
    with pytest.raises(NotPermitted):
        help_service.answer_help(request_id=request.pk, by=f.support_manager(), answer="x")
    client.post(f"/help/{request.pk}/answer/", {"answer": "已协调，22:00 进站"})
    request.refresh_from_db()
    assert request.answered_by == leader and request.answer == "已协调，22:00 进站"
    assert list(help_service.unanswered_for(leader)) == []
    with pytest.raises(TransitionNotAllowed):
        help_service.answer_help(request_id=request.pk, by=leader, answer="again")


def test_a_visit_asks_the_centre_leader():
    """R-HELP: from a visit, the centre leader is asked; every centre leader sees it until one answers."""
    engineer = f.support_engineer()
    leader = f.centre_leader()
    request = help_service.ask_for_help(by=engineer, asked_of="centre_leader", subject_kind="visit", subject_id=7,
                                        subject_label="拜访 7", question="客户要求签订 SLA 补充条款")
    assert list(help_service.unanswered_for(leader)) == [request]
    help_service.answer_help(request_id=request.pk, by=leader, answer="由市场部牵头")
    assert list(help_service.unanswered_for(leader)) == []


def test_a_request_needs_a_question_and_a_known_addressee():
    """R-HELP: bad input is refused, naming the field, nothing stored."""
    with pytest.raises(ValidationFailed) as caught:
        help_service.ask_for_help(by=f.support_engineer(), asked_of="pope", subject_kind="ticket", subject_id=1,
                                  subject_label="x", question=" ")
    assert {"asked_of", "question"} <= set(caught.value.field_errors)
    assert not HelpRequest.objects.exists()


# --------------------------------------------------------------------------- R-CONF
def test_external_channels_never_carry_the_customers_name_or_circuit(django_capture_on_commit_callbacks):
    """R-CONF (seed 3.4-2): a broadcast reaches an internal webhook with the customer's name and circuit, and an
    external one (and SMS) with only the ticket number, tier, state and progress."""
    from staff.models import Delivery, WebhookEndpoint

    inside = WebhookEndpoint.objects.create(name="noc-wall", url="http://127.0.0.1:9/in", internal=True)
    outside = WebhookEndpoint.objects.create(name="vendor-robot", url="http://127.0.0.1:9/out")
    f.support_engineer(phone="13800000001")
    circuit = f.CircuitFactory(customer__tier="gold", customer__name="深圳市机密客户", circuit_id="SZ-SECRET-0001")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    deliveries = Delivery.objects.filter(notification__ticket_number=ticket.number)
    seen_outside = list(deliveries.filter(endpoint=outside)) + list(deliveries.filter(channel="sms"))
    assert deliveries.filter(endpoint=outside, notification__kind="broadcast").exists()
    assert deliveries.filter(channel="sms").exists()
    for d in seen_outside:
        n = d.notification
        text = " ".join([n.subject, n.body, n.subject_en, n.body_en])
        assert "深圳市机密客户" not in text and "SZ-SECRET-0001" not in text and circuit.customer.code not in text
        assert ticket.number in text
    inside_text = deliveries.get(endpoint=inside, notification__kind="broadcast").notification.body
    assert "深圳市机密客户" in inside_text and "SZ-SECRET-0001" in inside_text


def test_unanswered_requests_are_visible_to_the_leaders_they_concern(client):
    """R-HELP: "unanswered requests are visible to those leaders" — a room's leader sees the requests asked of
    their room's leader (not another room's), the centre leader sees every unanswered request on the dashboard
    and may answer it; an answered request leaves every list."""
    engineer = f.room_engineer("transport")
    transport_leader = f.person("support_manager", "transport")
    RoomMembership.objects.filter(user=transport_leader).update(is_leader=True)
    other_leader = f.person("support_manager", "datacom")
    RoomMembership.objects.filter(user=other_leader).update(is_leader=True)
    centre = f.centre_leader()
    room_request = help_service.ask_for_help(by=engineer, asked_of="room_leader", subject_kind="ticket",
                                             subject_id=1, subject_label="FT-1", question="需要协调电力室夜间进站")
    centre_request = help_service.ask_for_help(by=engineer, asked_of="centre_leader", subject_kind="ticket",
                                               subject_id=1, subject_label="FT-1", question="客户要求赔偿方案")
    assert list(help_service.unanswered_for(transport_leader)) == [room_request]
    assert list(help_service.unanswered_for(other_leader)) == []
    assert list(help_service.unanswered_for(centre)) == [room_request, centre_request]
    client.force_login(centre)
    page = client.get("/dashboard/").content.decode()
    assert "需要协调电力室夜间进站" in page and "客户要求赔偿方案" in page
    client.force_login(other_leader)
    assert "需要协调电力室夜间进站" not in client.get("/dashboard/").content.decode()
    help_service.answer_help(request_id=room_request.pk, by=centre, answer="已协调")
    assert list(help_service.unanswered_for(transport_leader)) == []
    assert list(help_service.unanswered_for(centre)) == [centre_request]
