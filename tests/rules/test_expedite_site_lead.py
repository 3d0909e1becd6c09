"""R-SITE-2 (docs/rules.md §3.5): a normal customer's ticket a centre leader flagged "expedite" gets the on-site lead
obligation of R-SITE-1, including the breach of a lead not named by the arrival deadline."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from staff.models import Notification
from tests import factories as f
from tests.builders import alarm_in, crew, fresh
from tickets import services
from tickets.choices import DeadlineKind, EscalationKind
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(minutes):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def _normal_flagged(c, *, flag_at: int):
    circuit = f.CircuitFactory(customer__tier="normal", service_type="data_line")
    with at(1):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0, outage="partial")).ticket
        services.accept(ticket_id=ticket.pk, by=c.lead)
    assert not ticket.deadlines.filter(kind=DeadlineKind.ARRIVAL).exists()
    with at(flag_at):
        services.flag_expedite(ticket_id=ticket.pk, by=f.centre_leader(), note="领导要求尽快处理")
    return fresh(ticket)


def test_an_expedited_normal_ticket_without_a_named_lead_is_breached_at_the_arrival_deadline():
    """R-SITE-2: flagged at 0 h 30, the lead is due at the important customers' 2 h mark; none named → one
    on-site lead breach by the sweep (before, the ticket was only held at resolve, never breached)."""
    c = crew()
    ticket = _normal_flagged(c, flag_at=30)
    assert ticket.site_lead_required
    row = ticket.deadlines.get(kind=DeadlineKind.ARRIVAL)
    assert row.due_at == T0 + timedelta(hours=2)
    with at(119):
        sweep()
    assert not ticket.escalations.filter(kind=EscalationKind.SITE_LEAD_BREACH).exists()
    with at(121):
        sweep()
        sweep()
    breaches = ticket.escalations.filter(kind=EscalationKind.SITE_LEAD_BREACH)
    assert breaches.count() == 1 and breaches.get().rule == "R-SITE-2"
    bodies = list(Notification.objects.filter(ticket_number=ticket.number, kind="arrival_breach")
                  .values_list("body", flat=True))
    assert bodies and all("未指定现场负责人" in b and "0 小时" not in b for b in bodies)
    row.refresh_from_db()
    assert row.breached_at is not None
    # Only the lead is judged for a normal customer: no room is breached for its arrival (R-ESC-2 is important only).
    assert not ticket.escalations.filter(kind=EscalationKind.ARRIVAL_BREACH).exists()


def test_flagged_late_the_lead_is_due_one_hour_after_the_flag():
    """R-SITE-2: flagged at 1 h 30, the lead is due one hour after the flag (3 h 30), not at the past 2 h mark."""
    c = crew()
    ticket = _normal_flagged(c, flag_at=150)
    assert ticket.deadlines.get(kind=DeadlineKind.ARRIVAL).due_at == T0 + timedelta(minutes=210)


def test_a_lead_named_in_time_meets_the_deadline():
    """R-SITE-2: a support engineer named lead by the manager before the deadline: no breach, the row is met."""
    c = crew()
    ticket = _normal_flagged(c, flag_at=30)
    with at(60):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.support.pk)
    with at(121):
        sweep()
    assert not ticket.escalations.exists() or not ticket.escalations.filter(
        kind=EscalationKind.SITE_LEAD_BREACH).exists()
    assert ticket.deadlines.get(kind=DeadlineKind.ARRIVAL).met_at is not None
