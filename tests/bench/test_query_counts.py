"""Query counts that must not grow with the number of rows: the deadline sweep, the ticket list API,
the monitoring queue and the manager's dashboard (N+1 guards; the timings are in ``bench/run.py``)."""
from datetime import datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportdesk.core import hooks
from tests import factories as f
from tests.builders import alarm_ticket, handed_over
from tickets import services
from tickets.choices import DeadlineKind, TicketState
from tickets.models import Deadline, FaultTicket
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db

_ids = count(1)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.fixture
def staffed_rooms():
    """A few people per room, so that notifications fan out as in production."""
    f.monitoring_operator()
    f.support_engineer()
    f.room_engineer("transport")
    f.room_engineer("datacom")
    f.support_manager()
    f.centre_leader()


# --------------------------------------------------------------------------- the deadline sweep
def test_idle_sweep_does_a_fixed_number_of_queries_whatever_is_pending(staffed_rooms):
    """R-ESC-1/R-BCAST sweep: with nothing due, 0 or 200 pending deadlines cost the same few queries."""
    empty = _queries(sweep)
    ticket = alarm_ticket(minutes_ago=1)
    handed_over()
    Deadline.objects.bulk_create([
        Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, sequence=i, due_at=timezone.now() + timedelta(hours=i))
        for i in range(1, 200)
    ])
    assert Deadline.objects.filter(met_at=None, breached_at=None, cancelled_at=None).count() >= 200
    pending = _queries(sweep)
    assert pending == empty
    assert pending <= 7 + len(hooks.sweep_steps())  # each app's sweep step may cost one query when idle


def test_sweep_queries_per_batch_do_not_grow_with_the_batch(staffed_rooms):
    """R-ESC-1: a batch of 10 due tickets and one of 40 cost the same queries (set-based writes), one of them the
    batch's lock. (Was: the same queries per ticket, when the sweep answered row by row.)"""
    idle = _queries(sweep)
    for _ in range(10):
        alarm_ticket(minutes_ago=61)
    handed_over()
    ten = _queries(sweep) - idle
    for _ in range(40):
        alarm_ticket(minutes_ago=61)
    handed_over()
    forty = _queries(sweep) - idle
    assert FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).count() == 50
    assert forty == ten, (ten, forty)


def _lock_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if "FOR UPDATE" in q["sql"] and "SKIP LOCKED" in q["sql"]]


def _mixed_due(n: int) -> datetime:
    """``n`` due rows of each kind, all due at the returned time: joint-handling clocks of gold and normal
    customers (R-ESC-1, R-ESC-3), and of tickets already in joint handling their hourly broadcast slots (R-BCAST),
    customer updates (R-CUST-UPDATE) and arrival clocks (R-ESC-2, nobody on site)."""
    base = timezone.now()
    in_joint = [alarm_ticket(tier="gold", minutes_ago=61) for _ in range(n)]
    sweep()
    for i in range(n):
        alarm_ticket(tier="gold", minutes_ago=0) if i % 2 else alarm_ticket(tier="normal", minutes_ago=120)
    handed_over()
    at = base + timedelta(minutes=61)
    due = Deadline.objects.filter(met_at=None, breached_at=None, cancelled_at=None, due_at__lte=at)
    assert due.filter(kind="broadcast", ticket__in=in_joint).count() == due.filter(kind="broadcast").count() == n
    assert due.filter(kind="joint_handling").count() == n
    # after broadcast #1 of each joint handling, and of each gold dispatch (R-BCAST (a))
    assert due.filter(kind="customer_update").count() == n + n // 2
    assert due.filter(kind="arrival", ticket__in=in_joint).count() == n
    assert due.count() == 4 * n + n // 2
    return at


def test_a_batch_of_mixed_due_rows_costs_the_same_queries_for_3_and_30(staffed_rooms):
    """R-ESC-1 / R-ESC-2 / R-ESC-3 / R-BCAST / R-CUST-UPDATE: 13 and 135 due rows of mixed kinds cost the same
    queries: one batch, one lock query."""
    counts = {}
    for n in (3, 30):
        at = _mixed_due(n)
        with time_machine.travel(at, tick=False):
            with CaptureQueriesContext(connection) as ctx:
                summary = sweep()
        assert summary.due == 4 * n + n // 2 and summary.joint_started == n and summary.broadcasts == n
        assert summary.arrival_breaches >= 2 * n  # every room of each joint handling, nobody on site
        assert len(_lock_queries(ctx.captured_queries)) == 1
        counts[n] = len(ctx.captured_queries)
    assert counts[3] == counts[30], counts


def test_each_batch_is_taken_with_one_lock_query(staffed_rooms):
    """R-ESC-1: 23 due rows in batches of 5: five batches, five lock queries (``FOR UPDATE … SKIP LOCKED`` of the
    rows and their tickets in one statement), every row answered."""
    for _ in range(23):
        alarm_ticket(tier="normal", minutes_ago=181)
    handed_over()
    with CaptureQueriesContext(connection) as ctx:
        summary = sweep(batch=5)
    locks = _lock_queries(ctx.captured_queries)
    assert len(locks) == 5, locks
    assert all('"tickets_faultticket"' in sql for sql in locks)
    assert summary.due == 23 and summary.joint_started == 23
    assert FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).count() == 23


# --------------------------------------------------------------------------- reads
def _mixed_tickets(n: int) -> None:
    """Tickets of every kind a list shows: dispatched, in joint handling (escalation, broadcast), triage."""
    for i in range(n):
        ticket = alarm_ticket(minutes_ago=61 if i % 2 else 5, tier=("diamond", "gold", "normal")[i % 3])
        if i % 4 == 0:
            services.ingest_alarm(alarm=services.AlarmIn(
                alarm_id=f"QC-{next(_ids)}", category="datacom", severity="major", outage="partial",
                circuit_id=ticket.circuit_ref, title="again", raised_at=timezone.now()))
    services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id=f"QC-{next(_ids)}", category="other", severity="minor", outage="none",
        circuit_id=f"UNKNOWN-{next(_ids)}", title="triage", raised_at=timezone.now()))
    sweep()


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _grows(client: Client, url: str) -> tuple[int, int]:
    _mixed_tickets(3)
    assert client.get(url).status_code == 200
    few = _queries(lambda: client.get(url))
    _mixed_tickets(12)
    assert client.get(url).status_code == 200
    many = _queries(lambda: client.get(url))
    return few, many


def test_ticket_list_api_queries_do_not_grow_with_the_tickets(staffed_rooms):
    """CONTRACT ``GET /api/v1/tickets/``: deadlines, escalations, broadcasts, events are prefetched."""
    few, many = _grows(_client(f.monitoring_operator()), "/api/v1/tickets/")
    assert many == few


def test_monitoring_queue_queries_do_not_grow_with_the_tickets(staffed_rooms):
    """R-PRIO queue (the console's live partial): one query for the rows, whatever their number."""
    few, many = _grows(_client(f.monitoring_operator()), "/console/queue/")
    assert many == few


def test_manager_dashboard_queries_do_not_grow_with_the_tickets(staffed_rooms):
    """The dashboard (joint handling, breaches, counts by tier and state) in a fixed number of queries."""
    few, many = _grows(_client(f.support_manager()), "/dashboard/")
    assert many == few
