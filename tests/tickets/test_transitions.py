"""docs/rules.md §3.6: every transition from every state, the guards, and the immutable event log."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from supportdesk.core.errors import Conflict, TransitionNotAllowed, ValidationFailed
from tests.builders import crew, event_count, fresh, new_ticket, release_explanation, snapshot, ticket_in
from tickets import services
from tickets.choices import TicketState
from tickets.models import FaultTicket, TicketEvent

pytestmark = pytest.mark.django_db

S = TicketState

# docs/rules.md §3.6: transition -> (sources, target)
ALLOWED = {
    "dispatch": ({S.NEW}, S.DISPATCHED),
    "accept": ({S.DISPATCHED}, S.LEAD_HANDLING),
    "start_joint": ({S.DISPATCHED, S.LEAD_HANDLING}, S.JOINT_HANDLING),
    "restore": ({S.LEAD_HANDLING, S.JOINT_HANDLING}, S.RESTORED),
    "resolve": ({S.LEAD_HANDLING, S.JOINT_HANDLING, S.RESTORED}, S.RESOLVED),
    "close": ({S.RESOLVED}, S.CLOSED),
    "cancel": ({S.NEW, S.DISPATCHED}, S.CANCELLED),
    "reopen": ({S.RESOLVED}, S.LEAD_HANDLING),
    "refail": ({S.RESTORED}, S.LEAD_HANDLING),  # R-RESTORE-FIRST (joint handling had not started)
}

# Each transition called by someone who may make it, with the fields it needs.
CALLS = {
    "dispatch": lambda t, c: services.dispatch(ticket_id=t.pk, by=c.op),
    "accept": lambda t, c: services.accept(ticket_id=t.pk, by=c.lead),
    "start_joint": lambda t, c: services.start_joint(ticket_id=t.pk, by=c.lead, reason="主导室无法定位"),
    "restore": lambda t, c: services.restore(ticket_id=t.pk, by=c.lead, note="切换备用路由"),
    "resolve": lambda t, c: services.resolve(ticket_id=t.pk, by=c.lead, cause_category="fibre_cut",
                                             cause_text="光缆被挖断"),
    "close": lambda t, c: services.close(ticket_id=t.pk, by=c.op, customer_reply="客户确认恢复"),
    "cancel": lambda t, c: services.cancel(ticket_id=t.pk, by=c.op, reason="false_alarm"),
    "reopen": lambda t, c: services.reopen(ticket_id=t.pk, by=c.op, note="故障复现"),
    "refail": lambda t, c: services.refail(ticket_id=t.pk, by=c.op, note="临时抢通失效"),
}

CASES = [(state, name) for state in S.values for name in ALLOWED]


def test_the_table_covers_every_transition_of_the_services():
    """docs/rules.md §3.6: the services expose exactly the nine transitions of the table (with R-RESTORE-FIRST refail)."""
    assert set(services.TRANSITIONS) == set(ALLOWED) == set(CALLS)


@pytest.mark.parametrize(("state", "name"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_transition_from_every_state(state, name):
    """docs/rules.md §3.6: an allowed transition reaches its target and writes exactly one state-change event;
    a refused one raises TransitionNotAllowed naming the current state and changes nothing."""
    c = crew()
    ticket = ticket_in(state, c)
    assert ticket.state == state
    sources, target = ALLOWED[name]
    before = snapshot(ticket)
    events_before = set(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
    if state in sources:
        CALLS[name](ticket, c)
        after = fresh(ticket)
        assert after.state == target
        assert after.version > before["version"]
        new_events = TicketEvent.objects.filter(ticket=ticket).exclude(pk__in=events_before)
        state_changes = [e for e in new_events if e.from_state or e.to_state]
        assert len(state_changes) == 1, [(e.kind, e.from_state, e.to_state) for e in new_events]
        event = state_changes[0]
        assert (event.kind, event.from_state, event.to_state) == (name, state, target)
    else:
        with pytest.raises(TransitionNotAllowed) as caught:
            CALLS[name](ticket, c)
        assert caught.value.status_code == 409
        assert state in str(caught.value)
        assert ticket.number in str(caught.value)
        assert snapshot(ticket) == before


# --------------------------------------------------------------------------- guards
def _refused_without_change(call, ticket, field):
    before = snapshot(ticket)
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert field in caught.value.field_errors, caught.value.field_errors
    assert caught.value.status_code == 400
    assert snapshot(ticket) == before
    return caught.value


def test_dispatch_needs_a_matched_customer():
    """docs/rules.md §3.6 dispatch guard (customer matched), §3.1: a triage ticket stays new until matched."""
    c = crew()
    ticket = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="NMS-GUARD-1", category="transmission", severity="major", outage="total",
        circuit_id="SZ-NOBODY-1", title="LOS", raised_at=timezone.now() - timedelta(minutes=1))).ticket
    assert ticket.state == S.NEW and ticket.needs_triage
    _refused_without_change(lambda: services.dispatch(ticket_id=ticket.pk, by=c.op), ticket, "customer")


def test_dispatch_needs_a_lead_room():
    """docs/rules.md §3.6 dispatch guard (lead room set), R-LEAD."""
    c = crew()
    ticket = new_ticket(c)
    FaultTicket.objects.filter(pk=ticket.pk).update(lead_room=None)  # a room removed by an administrator
    _refused_without_change(lambda: services.dispatch(ticket_id=ticket.pk, by=c.op), ticket, "lead_room")


@pytest.mark.parametrize("note", ["", "   "])
def test_restore_needs_a_progress_note(note):
    """docs/rules.md §3.6 restore guard, R-RESTORE-FIRST: no note, no restore, and no half-written note."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c)
    _refused_without_change(lambda: services.restore(ticket_id=ticket.pk, by=c.lead, note=note), ticket, "note")


@pytest.mark.parametrize(("category", "text", "field"), [
    ("", "光缆被挖断", "cause_category"),
    ("sunspots", "光缆被挖断", "cause_category"),
    ("fibre_cut", "", "cause_text"),
    ("fibre_cut", "  ", "cause_text"),
])
def test_resolve_needs_cause_category_and_text(category, text, field):
    """docs/rules.md §3.6 resolve guard: cause category (one of CauseCategory) and cause text."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c)
    _refused_without_change(
        lambda: services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category=category, cause_text=text),
        ticket, field,
    )


def test_close_needs_the_customer_reply():
    """docs/rules.md §3.6 close guard: the customer's reply is recorded."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c)
    _refused_without_change(lambda: services.close(ticket_id=ticket.pk, by=c.op, customer_reply=" "), ticket,
                            "customer_reply")


def test_important_ticket_cannot_close_without_a_released_explanation():
    """R-EXPLAIN: an important customer's ticket needs an approved, released explanation to close."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c, tier="gold")
    close = lambda: services.close(ticket_id=ticket.pk, by=c.op, customer_reply="客户确认恢复")  # noqa: E731
    _refused_without_change(close, ticket, "explanation")
    exp = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="光缆被挖断")
    _refused_without_change(close, ticket, "explanation")  # a draft is not enough
    services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    _refused_without_change(close, ticket, "explanation")  # approved but not yet told to the customer
    services.release_explanation(explanation_id=exp.pk, by=c.support)
    assert close().state == S.CLOSED


def test_normal_ticket_closes_without_an_explanation():
    """R-EXPLAIN applies to important customers only (policy explanation_required_to_close)."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c, tier="normal")
    assert services.close(ticket_id=ticket.pk, by=c.op, customer_reply="客户确认").state == S.CLOSED


def test_important_ticket_closes_after_release():
    """R-EXPLAIN: released explanation and reply → closed, the reply kept on the ticket."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c, tier="diamond")
    release_explanation(c, ticket)
    closed = services.close(ticket_id=ticket.pk, by=c.op, customer_reply="客户确认恢复")
    assert fresh(closed).customer_reply == "客户确认恢复" and fresh(closed).closed_at is not None


@pytest.mark.parametrize("reason", ["", "customer_asked", "FALSE_ALARM"])
def test_cancel_needs_a_reason_from_cancel_reason(reason):
    """docs/rules.md §3.6 cancel guard: a reason of CancelReason (false alarm, duplicate, cleared)."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    _refused_without_change(lambda: services.cancel(ticket_id=ticket.pk, by=c.op, reason=reason), ticket, "reason")


@pytest.mark.parametrize("reason", ["false_alarm", "duplicate", "cleared"])
def test_cancel_accepts_every_cancel_reason_and_cancels_the_clocks(reason):
    """docs/rules.md §3.6 cancel: each CancelReason is accepted; the ticket's pending deadlines are cancelled."""
    c = crew()
    ticket = ticket_in(S.NEW, c)
    services.cancel(ticket_id=ticket.pk, by=c.op, reason=reason)
    ticket = fresh(ticket)
    assert ticket.cancel_reason == reason
    assert ticket.deadlines.count() >= 1
    assert not ticket.deadlines.filter(cancelled_at__isnull=True).exists()


def test_reopen_needs_a_note():
    """docs/rules.md §3.6 reopen guard: the note says how the fault came back."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c)
    _refused_without_change(lambda: services.reopen(ticket_id=ticket.pk, by=c.op, note=""), ticket, "note")


def test_reopen_starts_a_new_round_of_clocks():
    """docs/rules.md §3.6 reopen, R-ESC-1/3: the fault came back: round 2, cause cleared, new deadline from now."""
    c = crew()
    ticket = ticket_in(S.RESOLVED, c)
    services.reopen(ticket_id=ticket.pk, by=c.op, note="故障复现")
    ticket = fresh(ticket)
    assert ticket.round == 2 and ticket.cause_text == "" and ticket.resolved_at is None
    row = ticket.deadlines.get(kind="joint_handling", round=2)
    assert abs(row.due_at - (timezone.now() + timedelta(hours=3))) < timedelta(minutes=1)
    assert row.is_pending


def test_start_joint_needs_a_reason():
    """R-ESC-MANUAL: declaring joint handling says why."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c)
    _refused_without_change(lambda: services.start_joint(ticket_id=ticket.pk, by=c.lead, reason=" "), ticket,
                            "reason")


def test_resolve_without_restore_marks_restored_too():
    """R-RESTORE-FIRST: a repaired fault is restored as well (restored_at set on resolve)."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c)
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="datacom", cause_text="板卡故障，已更换")
    ticket = fresh(ticket)
    assert ticket.restored_at == ticket.resolved_at is not None


def test_restore_after_a_deadline_passed_does_not_count_as_met():
    """docs/rules.md §3.3: a clock that came due before the restore (the sweep had not come yet) is recorded
    as breached, never as met; a clock still running is met."""
    import time_machine

    c = crew()
    occurred = timezone.now() - timedelta(minutes=90)
    with time_machine.travel(occurred + timedelta(minutes=1), tick=False):  # reported and dispatched in time
        ticket = new_ticket(c, tier="gold", occurred_at=occurred)
        services.dispatch(ticket_id=ticket.pk, by=c.op)
        services.accept(ticket_id=ticket.pk, by=c.lead)
    services.restore(ticket_id=ticket.pk, by=c.lead, note="切换备用路由")
    ticket = fresh(ticket)
    joint = ticket.deadlines.get(kind="joint_handling")  # due at +1 h: 30 min ago
    arrival = ticket.deadlines.get(kind="arrival")  # due at +2 h: in 30 min
    assert joint.met_at is None and joint.breached_at == ticket.restored_at
    # R-ESC-2 (c): an arrival clock not yet due is cancelled by the restore, not met
    assert arrival.breached_at is None and arrival.met_at is None and arrival.cancelled_at == ticket.restored_at


# --------------------------------------------------------------------------- the event log
def test_events_name_the_actor_and_the_states():
    """docs/rules.md §3.6: every transition writes who, when, from, to and the note."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    services.accept(ticket_id=ticket.pk, by=c.lead, note="已接单")
    event = TicketEvent.objects.get(ticket=ticket, kind="accept")
    assert event.actor == c.lead and event.actor_label == c.lead.username
    assert (event.from_state, event.to_state, event.note) == (S.DISPATCHED, S.LEAD_HANDLING, "已接单")
    assert abs(event.at - timezone.now()) < timedelta(minutes=1)


def test_model_refuses_to_change_or_delete_an_event():
    """docs/rules.md §3.6: events are immutable (model save, delete, queryset update and delete refuse)."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    event = TicketEvent.objects.filter(ticket=ticket).first()
    event.note = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        TicketEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(PermissionDenied):
        TicketEvent.objects.filter(pk=event.pk).delete()
    assert TicketEvent.objects.get(pk=event.pk).note != "rewritten"


@pytest.mark.parametrize("sql", [
    "UPDATE tickets_ticketevent SET note = 'rewritten' WHERE id = %s",
    "DELETE FROM tickets_ticketevent WHERE id = %s",
])
def test_database_refuses_raw_changes_to_an_event(sql):
    """docs/rules.md §3.6: the PostgreSQL trigger refuses UPDATE and DELETE of an event, whatever the client."""
    c = crew()
    ticket = ticket_in(S.DISPATCHED, c)
    event = TicketEvent.objects.filter(ticket=ticket).first()
    count = event_count(ticket)
    with pytest.raises(DatabaseError, match="immutable"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert event_count(ticket) == count
    assert TicketEvent.objects.get(pk=event.pk).note == event.note


def test_reopen_is_refused_while_a_recurrence_holds_the_circuit():
    """docs/rules.md §3.6 reopen, §3.1 one open ticket per circuit: a fault that came back as a new ticket is
    handled there; reopening the old one is refused (409) and changes nothing."""
    c = crew()
    old = ticket_in(S.RESOLVED, c)
    recurrence = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="NMS-RECUR-1", category="transmission", severity="major", outage="total",
        circuit_id=old.circuit_ref, title="LOS again", raised_at=timezone.now() - timedelta(minutes=1))).ticket
    assert recurrence.pk != old.pk
    before = snapshot(old)
    with pytest.raises(Conflict) as caught:
        services.reopen(ticket_id=old.pk, by=c.op, note="故障复现")
    assert caught.value.status_code == 409 and recurrence.number in str(caught.value)
    assert snapshot(old) == before


@pytest.mark.parametrize("tier", ["normal", "gold"])
def test_dispatch_records_when_each_room_was_notified(tier):
    """R-DISPATCH-IMP / R-DISPATCH-NORM: every room the dispatch told carries the time it was told."""
    c = crew()
    ticket = new_ticket(c, tier=tier)
    services.dispatch(ticket_id=ticket.pk, by=c.op)
    ticket = fresh(ticket)
    rows = list(ticket.involvements.select_related("room"))
    assert rows and all(r.notified_at == ticket.dispatched_at for r in rows), [
        (r.room.code, r.notified_at) for r in rows
    ]
