"""Two sweeps at the same moment (two beats, a retried task) → one escalation, one broadcast per slot."""
import threading

import pytest
from django.db import connection

from tests.builders import alarm_ticket
from tickets.choices import TicketState
from tickets.models import Broadcast, Escalation, SweepRun
from tickets.services.escalation import sweep


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_once():
    """R-ESC-1 exactly once: concurrent sweeps produce one escalation and one broadcast per ticket."""
    tickets = [alarm_ticket(tier="gold", minutes_ago=61) for _ in range(6)]
    barrier = threading.Barrier(3)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep(origin="race")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.state == TicketState.JOINT_HANDLING
        assert Escalation.objects.filter(ticket=ticket, kind="joint_handling").count() == 1
        assert Broadcast.objects.filter(ticket=ticket).exclude(kind="dispatch").count() == 1
    assert SweepRun.objects.count() == 3
    assert sum(SweepRun.objects.values_list("joint_started", flat=True)) == len(tickets)
