"""The deadline sweep: R-ESC-1, R-ESC-2, R-ESC-3, R-ESC-MANUAL and R-BCAST at their boundaries."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories as f
from tests.builders import alarm_ticket
from tickets import services
from tickets.choices import DeadlineKind, EscalationKind, TicketState
from tickets.models import Broadcast, Deadline, Escalation, SweepRun
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db


def test_important_customer_enters_joint_handling_after_one_hour():
    """R-ESC-1: 61 min after the fault an important customer's ticket is in joint handling."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    summary = sweep()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    assert summary.joint_started == 1
    escalation = Escalation.objects.get(ticket=ticket, kind=EscalationKind.JOINT_HANDLING)
    assert escalation.rule == "R-ESC-1"
    joint = ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING)
    assert joint.breached_at is not None and joint.met_at is None
    # every related professional room, the support room and the lead room are in the joint handling
    assert set(ticket.involvements.exclude(joined_joint_at=None).values_list("room__code", flat=True)) >= {
        "transport", "datacom", "service_support"}


def test_important_customer_is_not_escalated_at_fifty_nine_minutes():
    """R-ESC-1 boundary: at 59 min nothing happens yet."""
    ticket = alarm_ticket(tier="diamond", minutes_ago=59)
    sweep()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert not Escalation.objects.filter(ticket=ticket).exists()


def test_normal_customer_enters_joint_handling_after_three_hours():
    """R-ESC-3: 3 h 01 min → joint handling; 2 h 59 min → not yet."""
    late = alarm_ticket(tier="normal", minutes_ago=181)
    early = alarm_ticket(tier="normal", minutes_ago=179)
    sweep()
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.state == TicketState.JOINT_HANDLING
    assert late.escalations.get().rule == "R-ESC-3"
    assert early.state == TicketState.DISPATCHED
    assert not early.escalations.exists()


def test_normal_customer_has_no_arrival_deadline():
    """R-ESC-2 applies to important customers only."""
    ticket = alarm_ticket(tier="normal", minutes_ago=5)
    assert not ticket.deadlines.filter(kind=DeadlineKind.ARRIVAL).exists()


def test_restored_before_the_deadline_is_never_escalated():
    """R-ESC-1: a fault restored at 40 min is not escalated; its clocks count as met."""
    ticket = alarm_ticket(tier="gold", minutes_ago=40)
    engineer = f.room_engineer("transport")
    services.accept(ticket_id=ticket.pk, by=engineer)
    services.restore(ticket_id=ticket.pk, by=engineer, note="倒换到保护路由")
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        sweep()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESTORED
    assert not Escalation.objects.filter(ticket=ticket).exists()
    clocks = ticket.deadlines.exclude(kind="customer_update")  # R-CUST-UPDATE rows are owed to the customer
    assert not clocks.filter(breached_at__isnull=False).exists()
    assert clocks.filter(met_at__isnull=False).count() == 1  # the joint-handling clock
    assert ticket.deadlines.filter(cancelled_at__isnull=False).count() == 1  # R-ESC-2 (c): arrival cancelled


def test_missing_arrivals_at_two_hours_are_breaches_per_room():
    """R-ESC-2: at 2 h each room of the joint handling that has not checked in is one breach."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()  # joint handling
    support = f.support_engineer()
    services.record_arrival(ticket_id=ticket.pk, by=support)
    with time_machine.travel(timezone.now() + timedelta(minutes=60)):
        summary = sweep()
    breaches = Escalation.objects.filter(ticket=ticket, kind=EscalationKind.ARRIVAL_BREACH)
    missing = set(breaches.values_list("room__code", flat=True))
    assert "service_support" not in missing
    assert {"transport", "datacom"} <= missing
    assert summary.arrival_breaches == len(missing)
    assert ticket.deadlines.get(kind=DeadlineKind.ARRIVAL).breached_at is not None


def test_arrivals_before_two_hours_meet_the_deadline():
    """R-ESC-2: every room on site in time → the arrival deadline is met, no breach."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    services.designate_site_lead(ticket_id=ticket.pk, by=f.monitoring_operator(),
                                 user_id=f.support_engineer().pk)  # R-SITE-1: a total outage needs one
    for involvement in ticket.involvements.filter(must_arrive=True).select_related("room"):
        engineer = f.person("room_engineer", involvement.room.code)
        services.record_arrival(ticket_id=ticket.pk, by=engineer)
    with time_machine.travel(timezone.now() + timedelta(minutes=60)):
        sweep()
    assert not Escalation.objects.filter(ticket=ticket, kind=EscalationKind.ARRIVAL_BREACH).exists()
    assert ticket.deadlines.get(kind=DeadlineKind.ARRIVAL).met_at is not None


def test_manual_joint_handling_starts_at_once_and_answers_the_clock():
    """R-ESC-MANUAL: the lead room declares it cannot handle the fault; the 1 h clock is met, no sweep needed."""
    ticket = alarm_ticket(tier="gold", minutes_ago=10)
    engineer = f.room_engineer("transport")
    services.start_joint(ticket_id=ticket.pk, by=engineer, reason="无法定位，需各专业联合处理")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    assert ticket.escalations.get().rule == "R-ESC-MANUAL"
    assert ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING).met_at is not None
    assert ticket.broadcasts.count() == 2  # R-BCAST: #1 at dispatch (a), #2 at the start of joint handling
    with time_machine.travel(timezone.now() + timedelta(minutes=55)):
        sweep()
    assert ticket.escalations.count() == 1


def test_broadcast_every_hour_during_joint_handling():
    """R-BCAST: the first broadcast at the start, then one per hour, numbered per ticket."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    assert list(ticket.broadcasts.values_list("seq", flat=True)) == [1, 2]  # R-BCAST (a): #1 at dispatch
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        sweep()
    assert ticket.broadcasts.count() == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        sweep()
    assert list(ticket.broadcasts.values_list("seq", flat=True)) == [1, 2, 3]
    second = ticket.broadcasts.get(seq=3)
    assert ticket.number in second.body and "下次发布时间" in second.body
    assert "Next broadcast" in second.body_en or ticket.number in second.body_en


def test_broadcast_names_each_rooms_latest_progress_or_no_update():
    """R-BCAST: each room's latest progress note since the last broadcast, else "no update"."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    engineer = f.room_engineer("transport")
    services.add_progress(ticket_id=ticket.pk, by=engineer, text="OTDR 测试断点在 3.2 km")
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        sweep()
    body = ticket.broadcasts.get(seq=3).body
    assert "OTDR 测试断点在 3.2 km" in body
    assert "自上次发布以来无更新" in body  # the other rooms said nothing


def test_final_broadcast_when_restored_and_the_series_stops():
    """R-BCAST: restore closes the series with a final broadcast; no more hourly ones."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    engineer = f.room_engineer("transport")
    services.restore(ticket_id=ticket.pk, by=engineer, note="已抢通")
    final = ticket.broadcasts.order_by("-seq").first()
    assert final.kind == "final" and final.seq == 3
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        sweep()
    assert ticket.broadcasts.count() == 3


def test_catch_up_after_five_hours_down_publishes_one_broadcast():
    """Catching up: workers down 5 h → one escalation, each breach once, one broadcast now."""
    ticket = alarm_ticket(tier="diamond", minutes_ago=300)
    summary = sweep()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    assert ticket.escalations.filter(kind=EscalationKind.JOINT_HANDLING).count() == 1
    breaches = ticket.escalations.filter(kind=EscalationKind.ARRIVAL_BREACH).count()
    assert breaches >= 2 and summary.arrival_breaches == breaches
    assert ticket.broadcasts.exclude(kind="dispatch").count() == 1
    sweep()
    # + one R-SITE-1 breach: no on-site lead was named by the arrival deadline
    assert ticket.escalations.count() == 1 + breaches + 1
    assert ticket.broadcasts.exclude(kind="dispatch").count() == 1


def test_missed_broadcast_slots_are_recorded_not_flooded():
    """R-BCAST catch-up: 4 missed hourly slots → one broadcast for the current slot, 4 slots recorded missed."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    with time_machine.travel(timezone.now() + timedelta(hours=5, minutes=1)):
        summary = sweep()
        assert summary.broadcasts == 1 and summary.missed_slots == 4
    slots = Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.BROADCAST).order_by("sequence")
    assert [s.breached_at is not None for s in slots[:4]] == [True] * 4
    assert slots[4].met_at is not None and slots[5].is_pending
    latest = ticket.broadcasts.order_by("-seq").first()
    assert latest.seq == 3 and latest.missed_slots == 4 and latest.slot == slots[4].sequence


def test_the_sweep_only_touches_due_rows():
    """Work proportional to what is due: a ticket far from its deadlines is not touched."""
    quiet = alarm_ticket(tier="gold", minutes_ago=1)
    before = list(quiet.deadlines.values_list("pk", "met_at", "breached_at"))
    summary = sweep()
    assert summary.due == 0
    assert list(quiet.deadlines.values_list("pk", "met_at", "breached_at")) == before


def test_each_sweep_is_recorded():
    """Watching the watcher: every sweep leaves a SweepRun row with what it did."""
    alarm_ticket(tier="gold", minutes_ago=61)
    sweep(origin="test")
    run = SweepRun.objects.get()
    # due: the joint-handling clock and the customer update owed after broadcast #1 (R-CUST-UPDATE)
    assert run.origin == "test" and run.joint_started == 1 and run.broadcasts == 0 and run.due == 2


def test_untriaged_ticket_escalates_and_joint_handling_starts_on_dispatch():
    """R-ESC-3 on a triage ticket: breached while waiting; dispatch after matching starts joint handling."""
    result = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="UNKNOWN-1", category="datacom", severity="major", outage="partial", circuit_id="NOPE-1",
        title="unknown", raised_at=timezone.now() - timedelta(minutes=200)))
    ticket = result.ticket
    sweep()
    assert ticket.escalations.count() == 1
    customer = f.CustomerFactory(tier="normal")
    operator = f.monitoring_operator()
    services.match_customer(ticket_id=ticket.pk, by=operator, customer_id=customer.pk)
    sweep()  # the re-created deadline is due again: escalation stays single
    services.dispatch(ticket_id=ticket.pk, by=operator)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    assert ticket.escalations.count() == 1


def test_sweep_command_prints_a_summary(capsys):
    """CONTRACT: `manage.py sweep_deadlines` runs one sweep and prints a one-line summary."""
    from django.core.management import call_command

    alarm_ticket(tier="gold", minutes_ago=61)
    call_command("sweep_deadlines")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "joint_started=1" in out[0]


def test_broadcast_rows_are_unique_per_slot():
    """Exactly once is a database promise: a second broadcast for one slot is refused."""
    from django.db import IntegrityError, transaction

    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        sweep()
    taken = ticket.broadcasts.get(seq=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Broadcast.objects.create(ticket=ticket, seq=99, kind="scheduled", slot=taken.slot, body="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(ticket=ticket, kind="joint_handling", rule="R-ESC-1", reason="dup")
