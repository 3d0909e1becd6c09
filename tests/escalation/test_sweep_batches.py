"""The sweep's batches (docs/performance.md): set-based answers that write what the row-by-row path writes, at the
time the batch is handled, each due row answered once however many sweeps and shares race for it."""
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from staff.models import Delivery, Notification
from tests import factories as f
from tests.builders import alarm_ticket, crew, fresh, handed_over
from tickets import services
from tickets.choices import DeadlineKind, TicketState
from tickets.models import Broadcast, Deadline, Escalation, FaultTicket, TicketEvent
from tickets.services.escalation import SweepSummary, _answer, lock_batch, sweep

pytestmark = pytest.mark.django_db


def _twin(c, vendor) -> FaultTicket:
    """A gold customer's ticket 61 min old, accepted, with a vendor (from its circuit) and a progress note."""
    ticket = alarm_ticket(circuit=f.CircuitFactory(customer__tier="gold", maintenance_vendor=vendor), minutes_ago=61)
    services.accept(ticket_id=ticket.pk, by=c.lead)
    services.add_progress(ticket_id=ticket.pk, by=c.lead, text="正在查光缆")
    return fresh(ticket)


def _anonymous(ticket: FaultTicket, text: str) -> str:
    for secret in (ticket.number, ticket.customer.name, ticket.circuit_ref, ticket.customer.get_tier_display()):
        text = text.replace(secret, "*")
    return text


def _written(ticket: FaultTicket, since_event: int) -> dict:
    """What a sweep wrote for the ticket, without what differs between two tickets (ids, number, customer)."""
    ticket = fresh(ticket)
    notifications = Notification.objects.filter(ticket_number=ticket.number,
                                                kind__in=("escalation", "broadcast", "arrival_breach"))
    return {
        "ticket": (ticket.state, ticket.version, ticket.joint_started_at, ticket.joint_reason),
        "events": sorted((e.kind, e.from_state, e.to_state, _anonymous(ticket, e.note),
                    {k: v for k, v in e.data.items() if k != "deadline"}, e.actor_label, e.at)
                         for e in ticket.events.filter(pk__gt=since_event)),  # one moment: order is not data
        "rooms": sorted((i.room.code, i.role, i.notified_at, i.joined_joint_at, i.must_arrive, i.site_kind)
                        for i in ticket.involvements.select_related("room")),
        "escalations": sorted((e.kind, e.round, e.room_id or 0, e.rule, e.reason, e.at)
                              for e in ticket.escalations.all()),
        "broadcasts": [(b.seq, b.kind, b.at, b.slot, b.slot_due_at, b.missed_slots, _anonymous(ticket, b.body),
                        _anonymous(ticket, b.body_en)) for b in ticket.broadcasts.order_by("seq")],
        "deadlines": sorted((d.kind, d.round, d.sequence, d.due_at, d.met_at, d.breached_at, d.cancelled_at)
                            for d in ticket.deadlines.all()),
        "notifications": sorted((n.kind, _anonymous(ticket, n.subject), _anonymous(ticket, n.body),
                                 _anonymous(ticket, n.body_en),
                                 tuple(sorted(Delivery.objects.filter(notification=n)
                                              .values_list("channel", "recipient_id")
                                              .exclude(recipient_id=None))))
                                for n in notifications),
    }


def _same(one: dict, other: dict) -> None:
    for key in one:
        assert one[key] == other[key], key


def test_a_batch_writes_what_the_row_by_row_path_writes():
    """R-ESC-1 / R-ESC-2 / R-BCAST: joint handling started in a batch, then an hourly slot answered after a missed
    one and the arrival clock breached (rooms and vendor not on site), leave the same rows (state, version, events,
    rooms, escalations, broadcasts, slot rows, customer updates, notifications and their recipients) as the
    row-by-row path (``transitions.start_joint``'s code, ``_arrival_deadline``) does."""
    c = crew()
    f.room_engineer("datacom")
    f.centre_leader()
    vendor = f.VendorFactory()
    f.vendor_engineer(vendor=vendor)
    base = timezone.now()
    with time_machine.travel(base, tick=False):
        by_row, in_batch = _twin(c, vendor), _twin(c, vendor)
    handed_over()
    last = TicketEvent.objects.order_by("-pk").first().pk
    at = base + timedelta(seconds=5)
    with time_machine.travel(at, tick=False):
        row = by_row.deadlines.get(kind=DeadlineKind.JOINT_HANDLING)
        assert _answer(row.pk, by_row.pk, now=at, summary=SweepSummary())
        assert sweep().joint_started == 1
    assert fresh(by_row).state == fresh(in_batch).state == TicketState.JOINT_HANDLING
    _same(_written(by_row, last), _written(in_batch, last))
    # Two hours and a bit later: one slot was missed, the next is published.
    later = at + timedelta(hours=2, minutes=5)
    with time_machine.travel(later, tick=False):
        for row in by_row.deadlines.filter(met_at=None, breached_at=None, cancelled_at=None, due_at__lte=later,
                                           kind__in=(DeadlineKind.BROADCAST, DeadlineKind.ARRIVAL)):
            assert _answer(row.pk, by_row.pk, now=later, summary=SweepSummary())
        summary = sweep()
    assert summary.broadcasts == 1 and summary.missed_slots == 1
    assert summary.arrival_breaches >= 3  # R-ESC-2: the rooms and the vendor, nobody on site
    _same(_written(by_row, last), _written(in_batch, last))
    assert fresh(in_batch).broadcasts.count() == 3


def test_every_record_carries_the_time_its_batch_was_handled():
    """R-ESC-1: the escalation, the breach, the state change, the events and the first broadcast of a ticket carry
    the moment its batch was handled (one ``now`` per batch), never the sweep's start."""
    tickets = [alarm_ticket(tier="normal", minutes_ago=181) for _ in range(6)]
    handed_over()
    started = timezone.now()
    sweep(now=started, batch=2)
    times = set()
    for ticket in tickets:
        ticket = fresh(ticket)
        at = ticket.joint_started_at
        assert at > started
        assert ticket.escalations.get().at == at
        assert ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING).breached_at == at
        assert set(ticket.events.filter(kind__in=("start_joint", "escalation", "broadcast"))
                   .values_list("at", flat=True)) == {at}
        assert ticket.broadcasts.get(kind="scheduled").at == at
        times.add(at)
    assert len(times) == 3  # three batches, three moments


@pytest.mark.django_db(transaction=True)
def test_overlapping_sweeps_and_shares_answer_each_due_row_once():
    """R-ESC-1 / R-ESC-2 / R-BCAST exactly once: two full sweeps and the three shares of a split sweep run at once
    over the same due rows (joint-handling clocks, arrival clocks, broadcast slots), in small batches: one
    escalation per ticket and room, one broadcast per slot, one notification per escalation."""
    c = crew()
    f.room_engineer("datacom")
    in_joint = [alarm_ticket(tier="gold", minutes_ago=61) for _ in range(4)]
    sweep()
    for _ in range(8):
        alarm_ticket(tier="normal", minutes_ago=181)
    for _ in range(8):
        alarm_ticket(tier="gold", minutes_ago=121)  # joint handling and arrival clocks both due
    handed_over()
    tickets = list(FaultTicket.objects.all())
    at = timezone.now() + timedelta(minutes=61)  # the slots of the first four are due too
    barrier = threading.Barrier(5)
    errors = []

    def run(part):
        try:
            barrier.wait()
            with time_machine.travel(at):
                sweep(origin="race", batch=3, part=part)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(part,)) for part in (None, None, (0, 3), (1, 3), (2, 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    # A row whose ticket another sweep held at that moment was skipped (SKIP LOCKED), never waited for: the next
    # beat answers it.
    with time_machine.travel(at):
        sweep(origin="next beat")
    assert not Deadline.objects.filter(due_at__lte=at, met_at=None, breached_at=None, cancelled_at=None).exists()
    for ticket in tickets:
        ticket = fresh(ticket)
        assert ticket.state == TicketState.JOINT_HANDLING
        assert ticket.escalations.filter(kind="joint_handling").count() == 1
        rooms = list(ticket.escalations.filter(kind="arrival_breach").values_list("room_id", flat=True))
        assert len(rooms) == len(set(rooms))
        slots = list(ticket.broadcasts.exclude(slot=None).values_list("slot", flat=True))
        assert len(slots) == len(set(slots))
        seqs = list(ticket.broadcasts.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
        # (the internal text; a channel outside the centre has its own row without the customer's name, R-CONF)
        assert Notification.objects.filter(ticket_number=ticket.number, kind="escalation",
                                           subject__contains=ticket.customer.name).count() == 1
        assert ticket.events.filter(kind="start_joint").count() == 1
        pending_slots = ticket.deadlines.filter(kind=DeadlineKind.BROADCAST, met_at=None, breached_at=None,
                                                cancelled_at=None)
        assert pending_slots.count() == 1
    assert Broadcast.objects.filter(ticket__in=in_joint, kind="scheduled").count() == 8  # first + one slot each
    assert Escalation.objects.filter(kind="joint_handling").count() == len(tickets)
    assert c.manager.deliveries.exists()


def test_a_bad_row_fails_its_batch_and_the_others_are_answered_one_by_one(caplog):
    """R-ESC-1: a ticket whose policy snapshot lost its broadcast interval cannot be answered; its batch is rolled
    back whole (nothing half-written), the other rows are answered one by one, the bad one stays due for the next
    sweep and is logged."""
    good = [alarm_ticket(tier="gold", minutes_ago=61) for _ in range(3)]
    bad = alarm_ticket(tier="gold", minutes_ago=62)
    FaultTicket.objects.filter(pk=bad.pk).update(policy={**bad.policy, "broadcast_every": None})
    handed_over()
    summary = sweep()
    assert summary.joint_started == 3
    assert summary.due == 7  # and the customer updates owed since the gold dispatches' broadcasts (R-CUST-UPDATE)
    assert all(fresh(t).state == TicketState.JOINT_HANDLING for t in good)
    assert fresh(bad).state == TicketState.DISPATCHED
    assert not bad.escalations.exists() and not bad.events.filter(kind="start_joint").exists()
    assert bad.deadlines.get(kind=DeadlineKind.JOINT_HANDLING).breached_at is None
    assert "sweep batch failed" in caplog.text and f"ticket {bad.pk}" in caplog.text
    assert sweep().due == 0  # the bad row is retried by the next sweep, alone; it fails again, logged


@pytest.mark.django_db(transaction=True)
def test_a_row_whose_ticket_a_person_holds_is_skipped_without_holding_the_row():
    """R-ESC-1: while a person's transition holds the ticket, the sweep's lock query skips its due row and keeps no
    lock on it (the ticket is tried first), so the person's transaction can write the row without waiting."""
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    row = ticket.deadlines.get(kind=DeadlineKind.JOINT_HANDLING)
    person_holds, sweep_locked, done = threading.Event(), threading.Event(), threading.Event()
    seen, errors = [], []

    def person():
        try:
            with transaction.atomic():
                FaultTicket.objects.select_for_update().get(pk=ticket.pk)
                person_holds.set()
                sweep_locked.wait(30)
                # the person's restore would now write the row (meet_clock_deadlines): it must not wait
                Deadline.objects.select_for_update(nowait=True).get(pk=row.pk)
                seen.append("row free")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    def sweeper():
        try:
            person_holds.wait(30)
            with transaction.atomic():
                seen.append(lock_batch(timezone.now(), 10))
                sweep_locked.set()
                done.wait(30)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            sweep_locked.set()
            connection.close()

    threads = [threading.Thread(target=person), threading.Thread(target=sweeper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [] in seen and "row free" in seen
