"""Two people (or a person and a NOC) at once, on a real PostgreSQL with real threads."""
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from staff.choices import RoomCode
from supportdesk.core.errors import Conflict, TransitionNotAllowed
from tests import factories as f
from tests.builders import alarm_in, crew, fresh
from tickets import services
from tickets.choices import TicketState as S
from tickets.models import Arrival, Explanation, FaultTicket, TicketEvent


def _rooms():
    for code in RoomCode.values:
        f.room(code)


def _run(*targets):
    """Run each target in its own thread; each closes its connection; return what each returned or raised."""
    results = [None] * len(targets)

    def wrap(i, target):
        try:
            results[i] = target()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results


def _resolved_ticket_on_a_circuit():
    c = crew()
    circuit = f.CircuitFactory(customer__tier="normal")
    ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    services.accept(ticket_id=ticket.pk, by=c.lead)
    services.restore(ticket_id=ticket.pk, by=c.lead, note="倒换恢复")
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆被挖断")
    return c, circuit, fresh(ticket)


@pytest.mark.django_db(transaction=True)
def test_reopen_while_an_alarm_opens_a_new_ticket_on_the_circuit_is_a_409_not_a_crash():
    """docs/rules.md §3.6 reopen / §3.1 one open ticket per circuit: the loser of the race is told (Conflict, 409)
    and changes nothing; the circuit keeps exactly one open ticket."""
    _rooms()
    c, circuit, ticket = _resolved_ticket_on_a_circuit()
    inserted, reopening = threading.Event(), threading.Event()

    def alarm():
        with transaction.atomic():
            result = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, alarm_id="NMS-RACE-REOPEN"))
            inserted.set()
            reopening.wait(10)
            time.sleep(0.5)  # the reopen is now waiting on the circuit's unique index
        return result

    def reopen():
        inserted.wait(10)
        reopening.set()
        return services.reopen(ticket_id=ticket.pk, by=c.op, note="故障复现")

    alarm_result, reopen_result = _run(alarm, reopen)
    assert not isinstance(alarm_result, Exception), alarm_result
    assert isinstance(reopen_result, Conflict), reopen_result
    after = fresh(ticket)
    assert after.state == S.RESOLVED and after.round == 1
    assert not TicketEvent.objects.filter(ticket=ticket, kind="reopen").exists()
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id, state__in=[S.NEW, S.DISPATCHED]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_alarm_arriving_while_the_ticket_is_being_reopened_joins_the_reopened_ticket():
    """docs/rules.md §3.1 correlation: the reopened ticket owns the circuit again and absorbs the alarm."""
    _rooms()
    c, circuit, ticket = _resolved_ticket_on_a_circuit()
    reopened, alarming = threading.Event(), threading.Event()

    def reopen():
        with transaction.atomic():
            services.reopen(ticket_id=ticket.pk, by=c.op, note="客户来电：又断了")
            reopened.set()
            alarming.wait(10)
            time.sleep(0.5)

    def alarm():
        reopened.wait(10)
        alarming.set()
        return services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, alarm_id="NMS-RACE-REOPEN-2"))

    reopen_result, alarm_result = _run(reopen, alarm)
    assert not isinstance(reopen_result, Exception), reopen_result
    assert not isinstance(alarm_result, Exception), alarm_result
    assert alarm_result.ticket.pk == ticket.pk and alarm_result.correlated
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_person_checking_in_twice_at_once_gets_one_arrival_and_one_conflict():
    """R-ESC-2: one check-in per person and ticket, whatever the phone resends."""
    _rooms()
    c = crew()
    circuit = f.CircuitFactory(customer__tier="gold")
    ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    barrier = threading.Barrier(2)

    def check_in():
        barrier.wait(10)
        return services.record_arrival(ticket_id=ticket.pk, by=c.lead)

    results = _run(check_in, check_in)
    assert sum(isinstance(r, Arrival) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert Arrival.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="arrival").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_drafts_at_once_leave_one_open_explanation():
    """R-EXPLAIN: an open draft is revised in place, never duplicated."""
    _rooms()
    c = crew()
    circuit = f.CircuitFactory(customer__tier="gold")
    ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    barrier = threading.Barrier(2)

    def draft(text):
        def go():
            barrier.wait(10)
            return services.draft_explanation(ticket_id=ticket.pk, by=c.support, text=text)
        return go

    results = _run(draft("光缆中断"), draft("光缆被挖断"))
    assert not any(isinstance(r, Exception) for r in results), results
    assert Explanation.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db(transaction=True)
def test_restore_racing_the_sweeps_joint_start_ends_in_restored_with_one_escalation():
    """R-ESC-1 vs R-RESTORE-FIRST: whichever wins the ticket lock, the fault ends restored, at most one
    joint-handling escalation exists, and a running broadcast series is closed."""
    _rooms()
    c = crew()
    circuit = f.CircuitFactory(customer__tier="gold")
    raised = timezone.now() - timedelta(minutes=61)
    with time_machine.travel(raised, tick=False):  # ingested in time: the sweep is what escalates
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=raised)).ticket
        services.accept(ticket_id=ticket.pk, by=c.lead)
    barrier = threading.Barrier(2)

    def restore():
        barrier.wait(10)
        return services.restore(ticket_id=ticket.pk, by=c.lead, note="倒换恢复")

    def sweep():
        barrier.wait(10)
        from tickets.services.escalation import sweep
        return sweep(origin="test")

    restore_result, _ = _run(restore, sweep)
    from tickets.services.escalation import sweep as sweep_again
    sweep_again(origin="test")
    assert not isinstance(restore_result, Exception), restore_result
    after = fresh(ticket)
    assert after.state == S.RESTORED
    assert after.escalations.filter(kind="joint_handling").count() <= 1
    assert not after.deadlines.filter(met_at__isnull=True, breached_at__isnull=True,
                                      cancelled_at__isnull=True).exclude(kind="customer_update").exists()
    if after.joint_started_at is not None:
        assert after.broadcasts.filter(kind="final").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_one_wins_one_is_told():
    """docs/rules.md §3.6: a transition not allowed any more is refused with 409; one accept event."""
    _rooms()
    c = crew()
    other = f.room_engineer("transport")
    circuit = f.CircuitFactory(customer__tier="normal")
    ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    barrier = threading.Barrier(2)

    def accept(by):
        def go():
            barrier.wait(10)
            return services.accept(ticket_id=ticket.pk, by=by)
        return go

    results = _run(accept(c.lead), accept(other))
    assert sum(isinstance(r, TransitionNotAllowed) for r in results) == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="accept").count() == 1


@pytest.mark.django_db(transaction=True)
def test_reopening_an_older_ticket_while_an_alarm_opens_a_new_one_is_a_409_not_a_crash():
    """docs/rules.md §3.6 reopen: the circuit's older resolved ticket loses to the alarm's new ticket with a Conflict."""
    _rooms()
    c, circuit, older = _resolved_ticket_on_a_circuit()
    # A later fault on the circuit came and went: that one is the circuit's latest ticket now.
    later = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    services.accept(ticket_id=later.pk, by=c.lead)
    services.resolve(ticket_id=later.pk, by=c.lead, cause_category="fibre_cut", cause_text="再次挖断")
    services.close(ticket_id=later.pk, by=c.op, customer_reply="已恢复")
    inserted, reopening = threading.Event(), threading.Event()

    def alarm():
        with transaction.atomic():
            result = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, alarm_id="NMS-RACE-REOPEN-3"))
            inserted.set()
            reopening.wait(10)
            time.sleep(0.5)
        return result

    def reopen():
        inserted.wait(10)
        reopening.set()
        return services.reopen(ticket_id=older.pk, by=c.op, note="故障复现")

    alarm_result, reopen_result = _run(alarm, reopen)
    assert not isinstance(alarm_result, Exception), alarm_result
    assert isinstance(reopen_result, Conflict), reopen_result
    assert fresh(older).state == S.RESOLVED and fresh(older).round == 1
    assert not TicketEvent.objects.filter(ticket=older, kind="reopen").exists()
