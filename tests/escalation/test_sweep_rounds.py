"""The deadline sweep across reopen rounds, policy variants and cancelled tickets (docs/rules.md §3.3)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import EscalationPolicy
from tests.builders import alarm_in, alarm_ticket, crew, fresh
from tickets import services
from tickets.choices import TicketState as S
from tickets.models import Broadcast, Deadline
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db


def _gold_ticket(minutes_ago=0, **kw):
    return alarm_ticket(tier="gold", minutes_ago=minutes_ago, **kw)


def test_a_reopened_ticket_escalates_again_once_in_its_new_round():
    """R-ESC-1 / R-ESC-2 / R-BCAST per round: round 2's clocks escalate exactly once, broadcasts keep one
    numbering and one slot each."""
    c = crew()
    ticket = _gold_ticket(minutes_ago=61)
    sweep(origin="test")
    assert fresh(ticket).state == S.JOINT_HANDLING
    services.restore(ticket_id=ticket.pk, by=c.lead, note="倒换恢复")
    services.record_site_lead_exception(ticket_id=ticket.pk, by=c.manager, reason="客户要求远程处理")  # R-SITE-1
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆被挖断")
    services.reopen(ticket_id=ticket.pk, by=c.op, note="故障复现")
    reopened = fresh(ticket)
    assert reopened.round == 2 and reopened.state == S.LEAD_HANDLING
    later = timezone.now() + timedelta(minutes=61)
    sweep(now=later, origin="test")
    sweep(now=later, origin="test")
    after = fresh(ticket)
    assert after.state == S.JOINT_HANDLING
    assert list(after.escalations.filter(kind="joint_handling").values_list("round", flat=True)
                .order_by("round")) == [1, 2]
    assert after.deadlines.filter(kind="joint_handling", round=2, breached_at__isnull=False).count() == 1
    # The arrival clock of round 2 runs out: one breach per missing room, once.
    much_later = timezone.now() + timedelta(minutes=125)
    sweep(now=much_later, origin="test")
    sweep(now=much_later, origin="test")
    breaches = after.escalations.filter(kind="arrival_breach", round=2)
    assert breaches.count() >= 1
    assert breaches.count() == breaches.values("room").distinct().count()
    seqs = list(Broadcast.objects.filter(ticket=ticket).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    slots = list(Deadline.objects.filter(ticket=ticket, kind="broadcast").values_list("sequence", flat=True))
    assert len(slots) == len(set(slots))
    assert Deadline.objects.filter(ticket=ticket, kind="broadcast", met_at__isnull=True, breached_at__isnull=True,
                                   cancelled_at__isnull=True).count() == 1


def test_an_important_policy_without_an_arrival_clock_escalates_joint_handling_only():
    """R-ESC-2 is off when the policy's `arrival_after` is empty: no arrival row, no arrival breach."""
    EscalationPolicy.objects.filter(tier="gold").update(arrival_after=None)
    ticket = _gold_ticket(minutes_ago=61)
    assert not ticket.deadlines.filter(kind="arrival").exists()
    sweep(origin="test")
    sweep(now=timezone.now() + timedelta(hours=3), origin="test")
    after = fresh(ticket)
    assert after.state == S.JOINT_HANDLING
    assert not after.escalations.filter(kind="arrival_breach").exists()
    assert not after.involvements.filter(must_arrive=True).exists()


def test_a_ticket_cancelled_while_its_deadline_is_due_is_never_escalated():
    """docs/rules.md §3.6 cancel: a cancelled ticket's due clocks are cancelled, not breached or escalated."""
    c = crew()
    ticket = services.ingest_alarm(alarm=alarm_in("SZ-UNKNOWN-REV-1", raised_at=timezone.now()
                                                  - timedelta(hours=4))).ticket
    assert ticket.state == S.NEW and ticket.needs_triage
    services.cancel(ticket_id=ticket.pk, by=c.op, reason="false_alarm")
    sweep(origin="test")
    after = fresh(ticket)
    assert not after.escalations.exists()
    assert not after.deadlines.filter(breached_at__isnull=False).exists()
    assert after.deadlines.filter(cancelled_at__isnull=False).count() == after.deadlines.count() >= 1
