"""R-RESTORE-FIRST (docs/rules.md): a temporary restore that fails again — the ``refail`` transition."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in, fresh
from tickets import services
from tickets.choices import DeadlineKind, EventKind, TicketState
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
S = TicketState
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _restored(tier, *, restore_after, joint=False):
    """An alarm ticket raised at T0, accepted, optionally in joint handling, restored ``restore_after`` later."""
    circuit = f.CircuitFactory(customer__tier=tier, service_type="data_line")
    lead = f.room_engineer("transport")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0)).ticket
        services.accept(ticket_id=ticket.pk, by=lead)
        if joint:
            services.start_joint(ticket_id=ticket.pk, by=lead, reason="主导室无法定位")
    with time_machine.travel(T0 + restore_after, tick=False):
        services.restore(ticket_id=ticket.pk, by=lead, note="临时迂回路由，业务恢复")
    return fresh(ticket), circuit, lead


def test_a_person_refails_a_restored_ticket_back_to_lead_handling_and_the_clock_runs_again():
    """R-RESTORE-FIRST: restored → lead_handling by the handling room; the joint clock met by the restore
    is re-opened from the original occurrence, and being past it is due at once (the sweep escalates)."""
    ticket, _, lead = _restored("gold", restore_after=timedelta(minutes=30))
    joint = ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING)
    assert joint.met_at == T0 + timedelta(minutes=30)
    with time_machine.travel(T0 + timedelta(minutes=75), tick=False):
        services.refail(ticket_id=ticket.pk, by=lead, note="迂回路由再次中断")
        ticket = fresh(ticket)
        assert ticket.state == S.LEAD_HANDLING and ticket.restored_at is None
        joint.refresh_from_db()
        assert joint.met_at is None and joint.due_at == T0 + timedelta(hours=1)
        event = ticket.events.get(kind=EventKind.REFAIL)
        assert event.note == "迂回路由再次中断" and event.from_state == S.RESTORED
        assert event.data["due_now"] == ["joint_handling"]
        sweep()
    assert fresh(ticket).state == S.JOINT_HANDLING


def test_refail_returns_to_joint_handling_and_the_hourly_broadcasts_resume():
    """R-RESTORE-FIRST + R-BCAST: joint handling had started, so refail goes back there; a broadcast goes out
    at once and the next hourly slot is scheduled; the arrival clock cancelled by the restore runs again."""
    ticket, _, lead = _restored("diamond", restore_after=timedelta(minutes=90), joint=True)
    arrival = ticket.deadlines.get(kind=DeadlineKind.ARRIVAL)
    assert arrival.cancelled_at == T0 + timedelta(minutes=90) and arrival.met_at is None
    before = ticket.broadcasts.count()
    with time_machine.travel(T0 + timedelta(minutes=100), tick=False):
        services.refail(ticket_id=ticket.pk, by=f.monitoring_operator(), note="客户来电：业务又断")
    ticket = fresh(ticket)
    assert ticket.state == S.JOINT_HANDLING
    assert ticket.broadcasts.count() == before + 1
    assert ticket.deadlines.filter(kind=DeadlineKind.BROADCAST, met_at=None, cancelled_at=None, breached_at=None,
                                   due_at=T0 + timedelta(minutes=160)).exists()
    arrival.refresh_from_db()
    assert arrival.cancelled_at is None and arrival.met_at is None


def test_a_new_alarm_on_a_restored_ticket_refails_it():
    """R-RESTORE-FIRST: a new alarm on the circuit of a restored ticket moves it back by itself and the
    answer says so (CONTRACT.md ``"refailed": true``)."""
    ticket, circuit, _ = _restored("gold", restore_after=timedelta(minutes=20))
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        result = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0 + timedelta(minutes=39)))
    assert result.refailed and not result.created and result.ticket.pk == ticket.pk
    ticket = fresh(ticket)
    assert ticket.state == S.LEAD_HANDLING
    event = ticket.events.get(kind=EventKind.REFAIL)
    assert event.data["alarm_id"] == result.alarm.alarm_id and result.alarm.alarm_id in event.note


def test_refail_is_refused_outside_restored_and_for_other_people():
    """R-RESTORE-FIRST: only from ``restored``; a note is required; another room's engineer may not."""
    ticket, _, lead = _restored("gold", restore_after=timedelta(minutes=20))
    with pytest.raises(ValidationFailed):
        services.refail(ticket_id=ticket.pk, by=lead, note="  ")
    with pytest.raises(NotPermitted):
        services.refail(ticket_id=ticket.pk, by=f.room_engineer("wireless"), note="down")
    services.refail(ticket_id=ticket.pk, by=lead, note="down")
    with pytest.raises(TransitionNotAllowed):
        services.refail(ticket_id=ticket.pk, by=lead, note="down again")


def test_refail_over_http():
    """R-RESTORE-FIRST: ``POST /api/v1/tickets/{id}/transitions/refail/`` answers 200 with the ticket back in
    handling, and 409 when it is not restored."""
    from rest_framework.test import APIClient

    ticket, _, _ = _restored("gold", restore_after=timedelta(minutes=20))
    client = APIClient()
    client.force_authenticate(f.monitoring_operator())
    url = f"/api/v1/tickets/{ticket.pk}/transitions/refail/"
    answer = client.post(url, {"note": "业务再次中断"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == S.LEAD_HANDLING
    assert client.post(url, {"note": "again"}, format="json").status_code == 409


def test_ticket_page_offers_refail_on_a_restored_ticket(client):
    """R-RESTORE-FIRST: the ticket page shows the refail button (from can_proceed) and runs it."""
    ticket, _, lead = _restored("gold", restore_after=timedelta(minutes=20))
    client.force_login(lead)
    page = client.get(f"/tickets/{ticket.pk}/")
    assert f"/tickets/{ticket.pk}/do/refail/".encode() in page.content
    answer = client.post(f"/tickets/{ticket.pk}/do/refail/", {"note": "又断了"})
    assert answer.status_code in (200, 302)
    assert fresh(ticket).state == S.LEAD_HANDLING
