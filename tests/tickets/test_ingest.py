"""docs/rules.md §3.1-§3.3: alarms in, tickets out: lead room, dispatch, correlation, triage, clocks, clears."""
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import EscalationPolicy
from staff.models import Channel, Delivery
from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in, crew, event_count, fresh, ingest, snapshot, ticket_in
from tickets import services
from tickets.choices import TicketState
from tickets.models import Alarm, Deadline, FaultTicket, PhoneNotification, TicketEvent

pytestmark = pytest.mark.django_db

S = TicketState


def _rooms(ticket):
    return {i.room.code: i.role for i in ticket.involvements.select_related("room")}


# --------------------------------------------------------------------------- R-LEAD
@pytest.mark.parametrize(("category", "lead"), [
    ("transmission", "transport"),
    ("datacom", "service_support"),
    ("core", "service_support"),
    ("wireless", "service_support"),
    ("power", "service_support"),
    ("other", "service_support"),
])
def test_lead_room_follows_the_alarm_category(category, lead):
    """R-LEAD: a transmission alarm → transport room; any other alarm → service support room."""
    circuit = f.CircuitFactory(customer__tier="normal")
    result = ingest(circuit.circuit_id, category=category)
    assert result.created
    assert result.ticket.lead_room.code == lead
    event = TicketEvent.objects.get(ticket=result.ticket, kind="lead_room_set")
    assert event.data["room"] == lead and event.note == "R-LEAD"


def test_monitoring_overrides_the_lead_room_with_a_logged_reason():
    """R-LEAD: monitoring may override the lead room, with a reason that is logged."""
    c = crew()
    ticket = ingest(f.CircuitFactory(customer__tier="normal").circuit_id).ticket
    with pytest.raises(ValidationFailed):
        services.override_lead_room(ticket_id=ticket.pk, by=c.op, room_code="datacom", reason=" ")
    with pytest.raises(NotPermitted):
        services.override_lead_room(ticket_id=ticket.pk, by=c.lead, room_code="datacom", reason="路由器故障")
    services.override_lead_room(ticket_id=ticket.pk, by=c.op, room_code="datacom", reason="路由器故障")
    ticket = fresh(ticket)
    assert ticket.lead_room.code == "datacom" and ticket.lead_room_override_reason == "路由器故障"
    assert _rooms(ticket) == {"datacom": "lead", "transport": "professional"}
    event = TicketEvent.objects.get(ticket=ticket, kind="lead_room_overridden")
    assert event.actor == c.op and event.data == {"from": "transport", "to": "datacom"}


# --------------------------------------------------------------------------- dispatch at ingestion
@pytest.mark.parametrize("tier", ["gold", "diamond"])
def test_important_customer_is_dispatched_to_every_related_room_by_ticket_and_phone(tier):
    """R-DISPATCH-IMP: lead room + related professional rooms + support room involved at once,
    each with a line on the phone checklist."""
    circuit = f.CircuitFactory(customer__tier=tier, service_type="data_line")
    result = ingest(circuit.circuit_id, category="transmission")
    ticket = fresh(result.ticket)
    assert result.created and ticket.state == S.DISPATCHED and ticket.dispatched_at is not None
    assert ticket.important
    # transmission alarm on a data line: transport leads, datacom checks its NMS, support calls the customer
    assert _rooms(ticket) == {"transport": "lead", "datacom": "professional", "service_support": "support"}
    phoned = set(PhoneNotification.objects.filter(ticket=ticket).values_list("room__code", flat=True))
    assert phoned == {"transport", "datacom", "service_support"}
    event = TicketEvent.objects.get(ticket=ticket, kind="room_notified")
    assert event.note == "R-DISPATCH-IMP" and event.data["phone"] is True


def test_important_dispatch_notifies_the_people_of_every_room(django_capture_on_commit_callbacks):
    """R-DISPATCH-IMP: the people of the lead, professional and support rooms get the ticket in their inbox."""
    lead, datacom, support = f.room_engineer("transport"), f.room_engineer("datacom"), f.support_engineer()
    bystander = f.room_engineer("wireless")
    circuit = f.CircuitFactory(customer__tier="gold", service_type="data_line")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ingest(circuit.circuit_id).ticket
    inboxes = set(Delivery.objects.filter(channel=Channel.INBOX, notification__ticket_number=ticket.number,
                                          notification__kind="dispatch_important")
                  .values_list("recipient_id", flat=True))
    assert {lead.pk, datacom.pk, support.pk} <= inboxes
    assert bystander.pk not in inboxes


def test_normal_customer_goes_to_the_lead_room_and_the_support_duty_engineer(django_capture_on_commit_callbacks):
    """R-DISPATCH-NORM: the lead room only, and the support room's duty engineer is notified."""
    duty = f.support_engineer()
    off_duty = f.support_engineer()
    f.DutyShiftFactory(user=duty)
    f.DutyShiftFactory(user=off_duty, starts_at=timezone.now() - timedelta(hours=12),
                       ends_at=timezone.now() - timedelta(hours=4))
    circuit = f.CircuitFactory(customer__tier="normal")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ingest(circuit.circuit_id, category="transmission").ticket
    ticket = fresh(ticket)
    assert ticket.state == S.DISPATCHED
    assert _rooms(ticket) == {"transport": "lead"}
    assert not PhoneNotification.objects.filter(ticket=ticket).exists()
    inbox = Delivery.objects.filter(channel=Channel.INBOX, notification__ticket_number=ticket.number)
    assert inbox.filter(recipient=duty).exists()
    assert not inbox.filter(recipient=off_duty).exists()
    event = TicketEvent.objects.get(ticket=ticket, kind="room_notified")
    assert event.note == "R-DISPATCH-NORM" and event.data["duty_engineer"] == duty.username


# --------------------------------------------------------------------------- idempotence and correlation
def test_a_repeated_alarm_id_returns_the_same_ticket():
    """CONTRACT POST /alarms/: the same alarm_id again → the same ticket, created False, one alarm row."""
    circuit = f.CircuitFactory(customer__tier="gold")
    first = ingest(circuit.circuit_id, alarm_id="NMS-DUP-1")
    before = snapshot(first.ticket)
    again = ingest(circuit.circuit_id, alarm_id="NMS-DUP-1", severity="minor")
    assert first.created and not again.created and again.duplicate
    assert again.ticket.pk == first.ticket.pk and again.alarm.pk == first.alarm.pk
    assert Alarm.objects.filter(alarm_id="NMS-DUP-1").count() == 1
    assert snapshot(first.ticket) == before


def test_a_second_alarm_on_the_circuit_joins_the_open_ticket_and_raises_its_outage():
    """docs/rules.md §3.1 correlation: an open ticket on the circuit absorbs the alarm; a worse outage raises the ticket's."""
    circuit = f.CircuitFactory(customer__tier="gold")
    first = ingest(circuit.circuit_id, severity="minor", outage="partial")
    assert fresh(first.ticket).site_lead_required is False
    second = ingest(circuit.circuit_id, severity="critical", outage="total")
    assert not second.created and second.correlated
    assert second.ticket.pk == first.ticket.pk
    ticket = fresh(first.ticket)
    assert (ticket.outage, ticket.severity) == ("total", "critical")
    assert ticket.site_lead_required is True  # R-SITE-1: gold with a total outage now
    assert set(ticket.alarms.values_list("correlated", flat=True)) == {False, True}
    assert TicketEvent.objects.filter(ticket=ticket, kind="alarm_absorbed").count() == 1
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id).count() == 1


def test_a_milder_alarm_does_not_lower_the_ticket():
    """docs/rules.md §3.1 correlation: a milder alarm never lowers the ticket's outage or severity."""
    circuit = f.CircuitFactory(customer__tier="normal")
    first = ingest(circuit.circuit_id, severity="critical", outage="total")
    ingest(circuit.circuit_id, severity="warning", outage="none")
    ticket = fresh(first.ticket)
    assert (ticket.outage, ticket.severity) == ("total", "critical")
    assert ticket.alarms.count() == 2


def test_an_unknown_circuit_still_becomes_a_ticket_for_triage():
    """docs/rules.md §3.1: an alarm is never dropped: unknown circuit → state new, needs_triage, tier normal."""
    result = ingest("SZ-UNKNOWN-42")
    ticket = fresh(result.ticket)
    assert result.created
    assert ticket.state == S.NEW and ticket.needs_triage and ticket.customer is None
    assert ticket.tier == "normal" and not ticket.important
    assert ticket.circuit_ref == "SZ-UNKNOWN-42"
    assert Alarm.objects.get(alarm_id=result.alarm.alarm_id).ticket_id == ticket.pk
    joint = ticket.deadlines.get(kind="joint_handling")
    assert joint.due_at == result.alarm.raised_at + timedelta(hours=3)


@pytest.mark.parametrize("state", [S.RESOLVED, S.CLOSED])
def test_an_alarm_after_the_fault_was_fixed_opens_a_recurrence(state):
    """docs/rules.md §3.1: an alarm on a circuit whose last ticket is resolved/closed opens a new ticket
    linked as its recurrence; the old ticket is left as it was."""
    c = crew()
    old = ticket_in(state, c)
    before = snapshot(old)
    result = ingest(old.circuit_ref)
    assert result.created and result.ticket.pk != old.pk
    assert fresh(result.ticket).recurrence_of_id == old.pk
    assert snapshot(old) == before


def test_a_restored_ticket_still_owns_its_circuit():
    """docs/rules.md §3.1: restored is still open (not yet repaired): a new alarm joins it."""
    c = crew()
    old = ticket_in(S.RESTORED, c)
    result = ingest(old.circuit_ref)
    assert not result.created and result.ticket.pk == old.pk


# --------------------------------------------------------------------------- clocks
def test_editing_the_policy_after_opening_does_not_move_the_ticket_clock():
    """docs/rules.md §3.3 (policy snapshot): a ticket keeps the policy it was opened under."""
    circuit = f.CircuitFactory(customer__tier="gold")
    raised = timezone.now() - timedelta(minutes=10)
    ticket = ingest(circuit.circuit_id, raised_at=raised).ticket
    policy = EscalationPolicy.objects.get(tier="gold")
    policy.joint_after = timedelta(hours=4)
    policy.save()
    ticket = fresh(ticket)
    assert ticket.policy["joint_after"] == 3600
    assert ticket.deadlines.get(kind="joint_handling").due_at == raised + timedelta(hours=1)
    # a later ticket takes the edited policy
    later = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, raised_at=raised).ticket
    assert later.deadlines.get(kind="joint_handling").due_at == raised + timedelta(hours=4)
    assert fresh(later).policy["version"] == policy.version


def test_important_ticket_gets_joint_and_arrival_deadlines():
    """R-ESC-1 (joint handling at +1 h) and R-ESC-2 (arrival at +2 h) from the fault's occurrence."""
    raised = timezone.now() - timedelta(minutes=20)
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, raised_at=raised).ticket
    rows = {d.kind: d for d in Deadline.objects.filter(ticket=ticket, kind__in=["joint_handling", "arrival"])}
    assert set(rows) == {"joint_handling", "arrival"}
    assert rows["joint_handling"].due_at == raised + timedelta(hours=1)
    assert rows["arrival"].due_at == raised + timedelta(hours=2)
    assert all(r.is_pending for r in rows.values())


def test_normal_ticket_gets_a_three_hour_joint_deadline_and_no_arrival():
    """R-ESC-3: normal customer, joint handling at +3 h; R-ESC-2 does not apply."""
    raised = timezone.now() - timedelta(minutes=20)
    ticket = ingest(f.CircuitFactory(customer__tier="normal").circuit_id, raised_at=raised).ticket
    rows = list(Deadline.objects.filter(ticket=ticket))
    assert [(r.kind, r.due_at) for r in rows] == [("joint_handling", raised + timedelta(hours=3))]


# --------------------------------------------------------------------------- validation
def test_a_bad_alarm_names_every_bad_field_and_stores_nothing():
    """CONTRACT POST /alarms/: invalid body → every wrong field named; nothing stored."""
    bad = services.AlarmIn(alarm_id="", category="fibre", severity="huge", outage="some", circuit_id="",
                           title=" ", raised_at=timezone.now() + timedelta(hours=1),
                           dial_test={"result": "maybe"})
    counts = (Alarm.objects.count(), FaultTicket.objects.count(), TicketEvent.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.ingest_alarm(alarm=bad)
    assert set(caught.value.field_errors) == {
        "alarm_id", "category", "severity", "outage", "circuit_id", "title", "raised_at", "dial_test.result"
    }
    assert caught.value.status_code == 400
    assert (Alarm.objects.count(), FaultTicket.objects.count(), TicketEvent.objects.count()) == counts


def test_a_naive_raise_time_is_refused():
    """CONTRACT POST /alarms/: raised_at must carry an offset."""
    with pytest.raises(ValidationFailed) as caught:
        services.ingest_alarm(alarm=alarm_in("SZ-X-1", raised_at=timezone.now().replace(tzinfo=None)))
    assert set(caught.value.field_errors) == {"raised_at"}
    assert not FaultTicket.objects.filter(circuit_ref="SZ-X-1").exists()


def test_a_small_clock_skew_is_tolerated():
    """CONTRACT POST /alarms/: raised_at a little in the future (clock skew, < 5 min) is accepted."""
    result = ingest("SZ-SKEW-1", raised_at=timezone.now() + timedelta(minutes=2))
    assert result.created


def test_the_alarm_dial_test_is_recorded():
    """docs/rules.md §3.2: a dial test posted with the alarm is recorded on the ticket."""
    result = ingest("SZ-DIAL-1", dial_test={"result": "fail", "detail": "ping 100% loss"})
    test = result.ticket.dial_tests.get()
    assert (test.result, test.detail) == ("fail", "ping 100% loss")


# --------------------------------------------------------------------------- clears
def test_clearing_the_alarm_proposes_restore_and_does_not_close():
    """CONTRACT /alarms/{id}/clear/: the clear is recorded with an event, restore is proposed; no state change."""
    circuit = f.CircuitFactory(customer__tier="gold")
    result = ingest(circuit.circuit_id)
    cleared = timezone.now() - timedelta(minutes=1)
    alarm = services.clear_alarm(alarm_id=result.alarm.alarm_id, cleared_at=cleared)
    assert alarm.cleared_at == cleared
    ticket = fresh(result.ticket)
    assert ticket.state == S.DISPATCHED
    assert ticket.alarm_cleared_at == cleared and ticket.restore_proposed_at is not None
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert "alarm_cleared" in kinds and "restore_proposed" in kinds


def test_clearing_one_of_two_alarms_proposes_nothing():
    """docs/rules.md §3.1: the restore is proposed only when the ticket's last alarm clears."""
    circuit = f.CircuitFactory(customer__tier="normal")
    first = ingest(circuit.circuit_id)
    second = ingest(circuit.circuit_id)
    services.clear_alarm(alarm_id=first.alarm.alarm_id, cleared_at=timezone.now())
    assert fresh(first.ticket).restore_proposed_at is None
    services.clear_alarm(alarm_id=second.alarm.alarm_id, cleared_at=timezone.now())
    assert fresh(first.ticket).restore_proposed_at is not None


def test_clearing_under_an_auto_restore_policy_restores():
    """docs/rules.md §3.1 clear + policy auto_restore_on_clear: the handling ticket is restored at the clear time."""
    EscalationPolicy.objects.filter(tier="normal").update(auto_restore_on_clear=True)
    c = crew()
    circuit = f.CircuitFactory(customer__tier="normal")
    result = ingest(circuit.circuit_id)
    services.accept(ticket_id=result.ticket.pk, by=c.lead)
    cleared = timezone.now() - timedelta(seconds=30)
    services.clear_alarm(alarm_id=result.alarm.alarm_id, cleared_at=cleared)
    ticket = fresh(result.ticket)
    assert ticket.state == S.RESTORED and ticket.restored_at == cleared
    assert ticket.progress_notes.filter(text__contains=result.alarm.alarm_id).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind="restore", to_state=S.RESTORED).count() == 1


def test_repeating_a_clear_changes_nothing():
    """CONTRACT /alarms/{id}/clear/: idempotent: a second clear neither writes nor moves anything."""
    result = ingest(f.CircuitFactory(customer__tier="gold").circuit_id)
    cleared = timezone.now() - timedelta(minutes=1)
    services.clear_alarm(alarm_id=result.alarm.alarm_id, cleared_at=cleared)
    before = snapshot(result.ticket)
    alarm = services.clear_alarm(alarm_id=result.alarm.alarm_id, cleared_at=timezone.now())
    assert alarm.cleared_at == cleared
    assert snapshot(result.ticket) == before


def test_a_clear_before_the_raise_is_refused():
    """CONTRACT /alarms/{id}/clear/: cleared_at before raised_at is invalid and stores nothing."""
    result = ingest("SZ-CLR-1", raised_at=timezone.now() - timedelta(minutes=5))
    count = event_count(result.ticket)
    with pytest.raises(ValidationFailed) as caught:
        services.clear_alarm(alarm_id=result.alarm.alarm_id, cleared_at=timezone.now() - timedelta(hours=1))
    assert "cleared_at" in caught.value.field_errors
    assert Alarm.objects.get(pk=result.alarm.pk).cleared_at is None and event_count(result.ticket) == count


# --------------------------------------------------------------------------- triage
def test_matching_a_triage_ticket_applies_the_customer_tier_from_the_occurrence():
    """docs/rules.md §3.1 triage, R-ESC-1/2: matched to a gold customer, the clocks become +1 h / +2 h from occurred_at."""
    c = crew()
    raised = timezone.now() - timedelta(minutes=30)
    result = ingest("SZ-TRIAGE-1", raised_at=raised)
    circuit = f.CircuitFactory(customer__tier="gold")
    services.match_customer(ticket_id=result.ticket.pk, by=c.op, customer_id=circuit.customer_id,
                            circuit_id=circuit.circuit_id)
    ticket = fresh(result.ticket)
    assert not ticket.needs_triage and ticket.customer_id == circuit.customer_id
    assert (ticket.tier, ticket.important, ticket.policy["tier"]) == ("gold", True, "gold")
    rows = {d.kind: d.due_at for d in ticket.deadlines.all()}
    assert rows == {"joint_handling": raised + timedelta(hours=1), "arrival": raised + timedelta(hours=2)}
    assert ticket.state == S.NEW
    services.dispatch(ticket_id=ticket.pk, by=c.op)
    assert fresh(ticket).state == S.DISPATCHED


def test_matching_after_the_normal_clock_ran_out_keeps_the_breach():
    """docs/rules.md §3.1 triage, R-ESC-3: a clock already breached while in triage stays as it was; matching works."""
    c = crew()
    raised = timezone.now() - timedelta(hours=4)
    result = ingest("SZ-TRIAGE-2", raised_at=raised)
    joint = result.ticket.deadlines.get(kind="joint_handling")
    Deadline.objects.filter(pk=joint.pk).update(breached_at=joint.due_at)  # what the sweep records at +3 h
    circuit = f.CircuitFactory(customer__tier="gold")
    services.match_customer(ticket_id=result.ticket.pk, by=c.op, customer_id=circuit.customer_id)
    ticket = fresh(result.ticket)
    assert ticket.deadlines.filter(kind="joint_handling").count() == 1
    assert ticket.deadlines.get(kind="joint_handling").breached_at == joint.due_at
    assert ticket.deadlines.get(kind="arrival").due_at == raised + timedelta(hours=2)


def test_only_a_new_ticket_is_triaged():
    """docs/rules.md §3.1 triage: a dispatched ticket cannot be re-matched."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    with pytest.raises(TransitionNotAllowed):
        services.match_customer(ticket_id=ticket.pk, by=c.op, customer_id=f.CustomerFactory().pk)


def test_only_monitoring_triages():
    """docs/rules.md §3.1 triage is monitoring's work (dispatch permission)."""
    c = crew()
    result = ingest("SZ-TRIAGE-3")
    with pytest.raises(NotPermitted):
        services.match_customer(ticket_id=result.ticket.pk, by=c.lead, customer_id=f.CustomerFactory().pk)
    assert fresh(result.ticket).needs_triage


def test_a_flapping_alarm_withdraws_and_renews_the_restore_proposal():
    """docs/rules.md §3.1 clear + correlation: an alarm coming back withdraws the restore proposal; its next clear
    proposes restore again (the lead room is told each time)."""
    circuit = f.CircuitFactory(customer__tier="gold")
    first = ingest(circuit.circuit_id)
    services.clear_alarm(alarm_id=first.alarm.alarm_id, cleared_at=timezone.now())
    assert fresh(first.ticket).restore_proposed_at is not None
    second = ingest(circuit.circuit_id)
    assert second.ticket.pk == first.ticket.pk
    ticket = fresh(first.ticket)
    assert ticket.alarm_cleared_at is None and ticket.restore_proposed_at is None
    services.clear_alarm(alarm_id=second.alarm.alarm_id, cleared_at=timezone.now())
    ticket = fresh(first.ticket)
    assert ticket.restore_proposed_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind="restore_proposed").count() == 2
