"""The revised rules of docs/rules.md §3.2-§3.3 (docs/rules.md): R-DISPATCH-NORM, R-ESC-1, R-ESC-2, R-ESC-3."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from staff.models import Delivery
from supportdesk.core.errors import NotPermitted, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in, crew, fresh, new_ticket
from tickets import services
from tickets.choices import DeadlineKind, EscalationKind, EventKind, TicketState
from tickets.models import Escalation
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
S = TicketState
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(minutes):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def _alarm(tier, *, category="transmission", outage="total", service_type="data_line"):
    circuit = f.CircuitFactory(customer__tier=tier, service_type=service_type)
    with at(1):
        return services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0, category=category,
                                                    outage=outage)).ticket


def _recipients(ticket, kind):
    return set(Delivery.objects.filter(notification__ticket_number=ticket.number, notification__kind=kind,
                                       channel="inbox").values_list("recipient__username", flat=True))


# --------------------------------------------------------------------------- R-DISPATCH-NORM
def test_normal_dispatch_with_nobody_on_duty_tells_the_support_room_and_its_manager(
        django_capture_on_commit_callbacks):
    """R-DISPATCH-NORM: never silently — with no duty shift the support room's members and its manager are
    notified, and the ticket shows "no duty engineer"."""
    member = f.support_engineer()
    manager = f.support_manager()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _alarm("normal", category="datacom")
    ticket = fresh(ticket)
    assert ticket.no_duty_engineer
    assert {member.username, manager.username} <= _recipients(ticket, "dispatch")
    event = ticket.events.get(kind=EventKind.ROOM_NOTIFIED)
    assert event.note == "R-DISPATCH-NORM" and event.data["no_duty_engineer"] is True


def test_no_duty_engineer_is_shown_to_monitoring(client):
    """R-DISPATCH-NORM: the ticket page tells monitoring that nobody was on duty."""
    ticket = _alarm("normal", category="datacom")
    client.force_login(f.monitoring_operator())
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "无值班工程师" in html


# --------------------------------------------------------------------------- R-ESC-1
def test_vendor_stands_by_from_an_important_customers_dispatch(django_capture_on_commit_callbacks):
    """R-ESC-1: the assigned vendor is put on standby (notified) at the dispatch of an important customer's ticket."""
    c = crew()
    vendor_engineer = f.vendor_engineer()
    ticket = new_ticket(c, tier="gold")
    services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=vendor_engineer.vendor_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch(ticket_id=ticket.pk, by=c.op)
    event = fresh(ticket).events.get(kind=EventKind.VENDOR_STANDBY)
    assert event.data["rule"] == "R-ESC-1"
    assert vendor_engineer.username in _recipients(ticket, "dispatch_important")


def test_an_alarm_ingested_after_its_deadline_escalates_at_once_saying_late_ingestion():
    """R-ESC-1: an alarm ingested 70 min after it was raised escalates at ingestion; the event says "late
    ingestion" and the delay (10 min past the 1 h deadline)."""
    circuit = f.CircuitFactory(customer__tier="gold")
    with at(70):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0)).ticket
    ticket = fresh(ticket)
    assert ticket.state == S.JOINT_HANDLING
    event = ticket.events.get(kind=EventKind.START_JOINT)
    assert "late ingestion" in event.note and event.data["late_ingestion"] is True
    assert event.data["delay_seconds"] == 600
    assert ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING).breached_at == T0 + timedelta(minutes=70)


def test_a_room_added_later_must_arrive_by_the_later_of_two_hours_and_one_hour_after():
    """R-ESC-1 / R-ESC-2: a room added to the joint handling at 1 h 40 gets its own arrival deadline at 2 h 40
    (later than the 2 h mark); missing it is that room's breach."""
    ticket = _alarm("gold")
    with at(61):
        sweep()
    with at(100):
        services.add_joint_room(ticket_id=ticket.pk, by=f.monitoring_operator(), room_code="power",
                                reason="机房掉电告警")
    own = ticket.deadlines.get(kind=DeadlineKind.ARRIVAL, room__code="power")
    assert own.due_at == T0 + timedelta(minutes=160)
    with at(121):
        sweep()
    assert not Escalation.objects.filter(ticket=ticket, room__code="power").exists()
    with at(161):
        sweep()
    own.refresh_from_db()
    assert own.breached_at is not None
    assert Escalation.objects.filter(ticket=ticket, kind=EscalationKind.ARRIVAL_BREACH, room__code="power").exists()


# --------------------------------------------------------------------------- R-ESC-2
def test_a_check_in_at_the_wrong_kind_of_site_does_not_meet_the_arrival():
    """R-ESC-2 (a): transport checks in at the customer site instead of the equipment site: still a breach."""
    ticket = _alarm("gold")
    with at(61):
        sweep()
    with at(90):
        services.record_arrival(ticket_id=ticket.pk, by=f.room_engineer("transport"), site_kind="customer")
    with at(121):
        sweep()
    assert Escalation.objects.filter(ticket=ticket, kind=EscalationKind.ARRIVAL_BREACH,
                                     room__code="transport").exists()


def test_a_stated_arrival_time_may_be_earlier_by_at_most_the_policy_limit():
    """R-ESC-2 (b): the arrival time is the server's; an earlier stated time is accepted up to 15 min (policy)
    before it, and both times are stored; a check-in after the deadline cannot claim to be in time."""
    ticket = _alarm("gold")
    with at(61):
        sweep()
    engineer = f.room_engineer("transport")
    with at(140):
        with pytest.raises(ValidationFailed) as caught:
            services.record_arrival(ticket_id=ticket.pk, by=engineer, site_kind="equipment",
                                    at=T0 + timedelta(minutes=115))
        assert "at" in caught.value.field_errors
        arrival = services.record_arrival(ticket_id=ticket.pk, by=engineer, site_kind="equipment",
                                          at=T0 + timedelta(minutes=130))
    assert arrival.at == T0 + timedelta(minutes=130) and arrival.received_at == T0 + timedelta(minutes=140)
    assert arrival.stated_at == T0 + timedelta(minutes=130)


def test_an_early_restore_cancels_pending_arrivals_not_meets_them():
    """R-ESC-2 (c): restored at 1 h 30, before the 2 h deadline: the arrival row is cancelled, never met."""
    ticket = _alarm("diamond")
    with at(61):
        sweep()
    with at(90):
        services.restore(ticket_id=ticket.pk, by=f.room_engineer("transport"), note="迂回")
    with at(121):
        sweep()
    arrival = ticket.deadlines.get(kind=DeadlineKind.ARRIVAL)
    assert arrival.cancelled_at == T0 + timedelta(minutes=90) and arrival.met_at is None
    assert arrival.breached_at is None


# --------------------------------------------------------------------------- R-ESC-3
def test_a_confirmed_cause_meets_the_normal_customers_clock():
    """R-ESC-3: the lead room records the cause as confirmed at 2 h 50: the 3 h clock is met, no joint handling."""
    ticket = _alarm("normal", category="datacom", service_type="internet_line")
    lead = f.support_engineer()  # a datacom alarm's lead room is the support room (R-LEAD)
    with at(5):
        services.accept(ticket_id=ticket.pk, by=lead)
    with at(170):
        with pytest.raises(NotPermitted):
            services.confirm_cause(ticket_id=ticket.pk, by=f.room_engineer("wireless"), cause_category="datacom",
                                   cause_text="x")
        services.confirm_cause(ticket_id=ticket.pk, by=lead, cause_category="datacom", cause_text="PE 板卡故障")
    with at(181):
        sweep()
    ticket = fresh(ticket)
    assert ticket.state == S.LEAD_HANDLING
    assert ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING).met_at == T0 + timedelta(minutes=170)


def test_a_vendor_assigned_after_dispatch_stands_by_at_once(django_capture_on_commit_callbacks):
    """R-ESC-1: a vendor assigned to an important customer's ticket after its dispatch is put on standby at once
    (event and notification), as it would have been at the dispatch."""
    c = crew()
    vendor_engineer = f.vendor_engineer()
    ticket = new_ticket(c, tier="gold")
    services.dispatch(ticket_id=ticket.pk, by=c.op)
    assert not fresh(ticket).events.filter(kind=EventKind.VENDOR_STANDBY).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=vendor_engineer.vendor_id)
    event = fresh(ticket).events.get(kind=EventKind.VENDOR_STANDBY)
    assert event.data["rule"] == "R-ESC-1" and event.data["after_dispatch"] is True
    assert vendor_engineer.username in _recipients(ticket, "vendor_standby")


def test_a_vendor_assigned_to_a_normal_customers_ticket_is_not_put_on_standby():
    """R-ESC-1 is about important customers: a normal customer's ticket gets the vendor without a standby."""
    c = crew()
    ticket = new_ticket(c, tier="normal")
    services.dispatch(ticket_id=ticket.pk, by=c.op)
    services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=f.vendor_engineer().vendor_id)
    assert not fresh(ticket).events.filter(kind=EventKind.VENDOR_STANDBY).exists()


def test_the_circuits_maintaining_vendor_is_assigned_and_stands_by_at_dispatch(django_capture_on_commit_callbacks):
    """R-ESC-1: a ticket dispatched with no vendor takes its circuit's maintaining vendor, which stands by from
    an important customer's dispatch."""
    c = crew()
    vendor_engineer = f.vendor_engineer()
    ticket = new_ticket(c, tier="gold")
    circuit = ticket.circuit
    circuit.maintenance_vendor_id = vendor_engineer.vendor_id
    circuit.save(update_fields=["maintenance_vendor"])
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch(ticket_id=ticket.pk, by=c.op)
    ticket = fresh(ticket)
    assert ticket.vendor_id == vendor_engineer.vendor_id
    assert ticket.events.get(kind=EventKind.VENDOR_ASSIGNED).data["from"] == "circuit"
    assert ticket.events.get(kind=EventKind.VENDOR_STANDBY).data["rule"] == "R-ESC-1"
    assert vendor_engineer.username in _recipients(ticket, "dispatch_important")
