"""Races on a real PostgreSQL with real threads: the database keeps the promises (STYLE.md)."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from staff.choices import RoomCode
from supportdesk.core.errors import Conflict, TransitionNotAllowed
from tests import factories as f
from tests.builders import alarm_in, crew, fresh, ticket_in
from tickets import services
from tickets.choices import TicketState
from tickets.models import Alarm, FaultTicket, TicketEvent

THREADS = 8


def _rooms():
    # A transactional test may follow another that flushed the migration's rows.
    for code in RoomCode.values:
        f.room(code)


def _race(work, n: int) -> list:
    """Run ``work(i)`` in ``n`` threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_alarm_from_many_threads_makes_one_ticket_and_one_alarm():
    """CONTRACT POST /alarms/ idempotence under concurrency: one alarm row, one ticket, every caller told so."""
    _rooms()
    circuit = f.CircuitFactory(customer__tier="gold")
    alarm = alarm_in(circuit.circuit_id, alarm_id="NMS-RACE-SAME")
    results = _race(lambda i: services.ingest_alarm(alarm=alarm), THREADS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert len({r.ticket.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Alarm.objects.filter(alarm_id="NMS-RACE-SAME").count() == 1
    assert FaultTicket.objects.filter(circuit_ref=circuit.circuit_id).count() == 1
    ticket = FaultTicket.objects.get(circuit_ref=circuit.circuit_id)
    assert ticket.state == TicketState.DISPATCHED
    assert TicketEvent.objects.filter(ticket=ticket, kind="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_different_alarms_on_one_circuit_from_many_threads_meet_in_one_ticket():
    """docs/rules.md §3.1 correlation under concurrency: one open ticket per circuit absorbs every alarm."""
    _rooms()
    circuit = f.CircuitFactory(customer__tier="normal")
    raised = timezone.now() - timedelta(minutes=3)
    results = _race(
        lambda i: services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, alarm_id=f"NMS-RACE-{i}",
                                                       raised_at=raised)),
        THREADS,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    tickets = FaultTicket.objects.filter(circuit_ref=circuit.circuit_id)
    assert tickets.count() == 1
    ticket = tickets.get()
    assert {r.ticket.pk for r in results} == {ticket.pk}
    assert sum(r.created for r in results) == 1
    assert sum(r.correlated for r in results) == THREADS - 1
    assert set(Alarm.objects.filter(circuit_ref=circuit.circuit_id).values_list("ticket_id", flat=True)) == {
        ticket.pk
    }
    assert Alarm.objects.filter(circuit_ref=circuit.circuit_id).count() == THREADS
    assert TicketEvent.objects.filter(ticket=ticket, kind="alarm_absorbed").count() == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_two_engineers_accepting_at_once_one_wins():
    """docs/rules.md §3.6 under concurrency: one accept succeeds, the other is refused (409), one event."""
    _rooms()
    c = crew()
    ticket = ticket_in(TicketState.DISPATCHED, c)
    engineers = [c.lead, f.room_engineer("transport")]
    results = _race(lambda i: services.accept(ticket_id=ticket.pk, by=engineers[i]), 2)
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], TransitionNotAllowed) and lost[0].status_code == 409
    stored = fresh(ticket)
    assert stored.state == TicketState.LEAD_HANDLING
    assert stored.accepted_by_id == won[0].accepted_by_id
    assert stored.version == ticket.version + 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="accept").count() == 1


@pytest.mark.django_db(transaction=True)
def test_start_joint_racing_restore_leaves_one_consistent_outcome():
    """docs/rules.md §3.6 under concurrency: joint handling and restore at once never both land on a stale row."""
    _rooms()
    c = crew()
    ticket = ticket_in(TicketState.LEAD_HANDLING, c)
    calls = [
        lambda: services.start_joint(ticket_id=ticket.pk, by=c.lead, reason="无法定位"),
        lambda: services.restore(ticket_id=ticket.pk, by=c.lead, note="切换备用路由"),
    ]
    results = _race(lambda i: calls[i](), 2)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, TransitionNotAllowed)]
    stored = fresh(ticket)
    changes = list(TicketEvent.objects.filter(ticket=ticket).exclude(to_state="").exclude(kind="created")
                   .values_list("from_state", "to_state"))
    # whichever order the lock gave them, the log is a path through the table
    assert changes[-1][1] == stored.state
    for (_, to), (frm, _) in zip(changes, changes[1:], strict=False):
        assert to == frm


@pytest.mark.django_db
def test_a_stale_expected_version_is_a_conflict():
    """CONTRACT transitions: the ticket changed under the caller → 409 Conflict, nothing changed."""
    c = crew()
    ticket = ticket_in(TicketState.DISPATCHED, c)
    seen = ticket.version
    services.add_progress(ticket_id=ticket.pk, by=c.lead, text="正在定位")
    with pytest.raises(Conflict) as caught:
        services.accept(ticket_id=ticket.pk, by=c.lead, expected_version=seen)
    assert caught.value.status_code == 409
    assert fresh(ticket).state == TicketState.DISPATCHED
    accepted = services.accept(ticket_id=ticket.pk, by=c.lead, expected_version=fresh(ticket).version)
    assert accepted.state == TicketState.LEAD_HANDLING
