from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.choices import TicketState

pytestmark = pytest.mark.django_db


def test_alarm_to_closed_ticket_for_an_important_customer():
    """R-DISPATCH-IMP, R-RESTORE-FIRST, R-EXPLAIN: the whole life of a gold customer's ticket."""
    circuit = f.CircuitFactory(customer__tier="gold")
    result = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="A1", category="transmission", severity="critical", outage="total",
        circuit_id=circuit.circuit_id, title="LOS", raised_at=timezone.now() - timedelta(minutes=5)))
    ticket = result.ticket
    assert result.created and ticket.state == TicketState.DISPATCHED
    assert ticket.lead_room.code == "transport"
    eng = f.room_engineer("transport")
    services.accept(ticket_id=ticket.pk, by=eng)
    support = f.support_engineer()
    services.designate_site_lead(ticket_id=ticket.pk, by=f.monitoring_operator(), user_id=support.pk)
    services.record_arrival(ticket_id=ticket.pk, by=support, site_kind="customer")  # R-SITE-1
    services.restore(ticket_id=ticket.pk, by=eng, note="切换备用路由")
    services.resolve(ticket_id=ticket.pk, by=eng, cause_category="fibre_cut", cause_text="光缆挖断")
    exp = services.draft_explanation(ticket_id=ticket.pk, by=support, text="光缆被挖断")
    services.approve_explanation(explanation_id=exp.pk, by=f.support_manager())
    services.release_explanation(explanation_id=exp.pk, by=support)
    ticket = services.close(ticket_id=ticket.pk, by=f.monitoring_operator(), customer_reply="已确认恢复")
    assert ticket.state == TicketState.CLOSED
