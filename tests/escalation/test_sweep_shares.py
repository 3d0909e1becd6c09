"""A regional outage: the sweep records what happened when it happened, and shares its work across workers."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.builders import alarm_ticket
from tickets import tasks
from tickets.choices import DeadlineKind, EscalationKind, EventKind, TicketState
from tickets.models import Deadline, Escalation, FaultTicket, SweepRun, TicketEvent
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_records_carry_the_time_they_happened_not_the_sweeps_start():
    """R-ESC-1: the breach, joint handling, its escalation and event carry the moment the row is handled — 30 s
    into a long sweep — not the sweep's start."""
    with time_machine.travel(NOW - timedelta(minutes=61), tick=False):
        ticket = alarm_ticket(tier="gold")
    due = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.JOINT_HANDLING).due_at
    handled = due + timedelta(seconds=70)
    with time_machine.travel(handled, tick=False):
        sweep(now=due + timedelta(seconds=40))  # a sweep that started 30 s before it reached this row
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    assert Deadline.objects.get(ticket=ticket, kind=DeadlineKind.JOINT_HANDLING).breached_at == handled
    assert Escalation.objects.get(ticket=ticket, kind=EscalationKind.JOINT_HANDLING).at == handled
    assert ticket.joint_started_at == handled
    assert handled in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ESCALATION).values_list("at", flat=True)


def test_shares_of_a_sweep_split_the_due_tickets_by_id():
    """R-ESC-1: share k of m answers exactly the due deadlines of tickets whose id is k modulo m."""
    with time_machine.travel(NOW - timedelta(minutes=61), tick=False):
        tickets = [alarm_ticket(tier="gold") for _ in range(6)]
    with time_machine.travel(NOW, tick=False):
        summary = sweep(part=(1, 2))
        escalated = set(Escalation.objects.values_list("ticket_id", flat=True))
        assert escalated == {t.pk for t in tickets if t.pk % 2 == 1}
        assert summary.joint_started == len(escalated)
        sweep(part=(0, 2))
    assert FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).count() == 6


def test_the_beat_sweep_fans_a_big_sweep_out_to_the_sweep_queue(settings, monkeypatch):
    """R-ESC-1 on time in an outage: above SWEEP_FANOUT_FROM due deadlines the beat task sends the other shares
    to the sweep queue and answers share 0 itself; every ticket is escalated once."""
    settings.SWEEP_FANOUT, settings.SWEEP_FANOUT_FROM = 3, 2
    settings.CELERY_TASK_ROUTES = {"tickets.tasks.sweep_deadlines": {"queue": "sweep"}}
    sent = []
    monkeypatch.setattr(tasks.sweep_share, "apply_async", lambda args, **kw: sent.append((args, kw)))
    with time_machine.travel(NOW - timedelta(minutes=61), tick=False):
        for _ in range(6):
            alarm_ticket(tier="gold")
    with time_machine.travel(NOW, tick=False):
        tasks.sweep_deadlines()
        assert [(a[0], a[1]) for a, _ in sent] == [(1, 3), (2, 3)]
        assert all(kw == {"queue": "sweep"} for _, kw in sent)
        for args, _ in sent:
            tasks.sweep_share(*args)
    assert Escalation.objects.filter(kind=EscalationKind.JOINT_HANDLING).count() == 6
    assert FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).count() == 6
    assert sorted(SweepRun.objects.values_list("origin", flat=True)) == ["beat", "beat 1/3", "beat 2/3"]


def test_a_small_sweep_is_not_split(settings, monkeypatch):
    settings.SWEEP_FANOUT, settings.SWEEP_FANOUT_FROM = 3, 200
    monkeypatch.setattr(tasks.sweep_share, "apply_async", lambda *a, **k: pytest.fail("split a small sweep"))
    with time_machine.travel(NOW - timedelta(minutes=61), tick=False):
        alarm_ticket(tier="gold")
    with time_machine.travel(NOW, tick=False):
        tasks.sweep_deadlines()
    assert FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).count() == 1
