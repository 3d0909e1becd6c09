"""The deadline sweep (docs/rules.md §3.3): R-ESC-1, R-ESC-2, R-ESC-3 and R-BCAST enforced from Deadline rows.

Deadlines are rows, not timers: the sweep takes the due, unanswered rows through ``deadline_due_idx`` (work
proportional to what is due, not to the table) in batches, each batch in one transaction opened by one query that
locks the rows and their tickets with ``SKIP LOCKED`` (two sweeps or shares never take the same row and never wait
for a person's transition), and answers the batch set-based: the same rules as the row-by-row path a person's
transition uses (``transitions.start_joint``), in a fixed number of statements per batch (docs/performance.md).
Unique constraints on escalations, broadcast slots and deadline slots make a repeated or concurrent sweep harmless.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from staff.choices import RoomCode
from staff.notify.api import enqueue, send_many
from staff.notify.deliver import take_due_deliveries
from staff.selectors import rooms_by_code
from supportdesk.core import hooks

from .. import notify
from ..choices import (
    ACTIVE_FAULT_STATES,
    BroadcastKind,
    DeadlineKind,
    EscalationKind,
    EventKind,
    InvolvementRole,
    SiteKind,
    TicketState,
    Transition,
)
from ..models import Arrival, Deadline, Escalation, FaultTicket, SweepRun, TicketEvent, TicketRoom
from ..signals import ticket_transitioned
from . import broadcasts, deadlines
from ._common import actor_label, record_event
from .routing import related_professional_rooms
from .transitions import REASON_MAX, _related_rooms, _role, _start_joint_locked

log = logging.getLogger(__name__)
VIA = "deadline-sweep"


@dataclass
class SweepSummary:
    due: int = 0
    joint_started: int = 0
    arrival_breaches: int = 0
    broadcasts: int = 0
    missed_slots: int = 0
    deliveries_requeued: int = 0
    skipped_locked: int = 0
    # {step name: {count name: n}} of the steps registered with supportdesk.core.hooks.register_sweep_step
    steps: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, other: SweepSummary) -> None:
        for name in ("due", "joint_started", "arrival_breaches", "broadcasts", "missed_slots", "skipped_locked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        own = " ".join(f"{k}={v}" for k, v in asdict(self).items() if k != "steps")
        extra = " ".join(f"{name}.{k}={v}" for name, counts in self.steps.items() for k, v in counts.items())
        return f"{own} {extra}" if extra else own


def due_deadlines(now: datetime, limit: int, part: tuple[int, int] | None = None):
    """The due, unanswered deadline rows, oldest first (served by ``deadline_due_idx``); with ``part=(k, m)``
    only those of the tickets whose id is ``k`` modulo ``m`` (one share of a sweep split across workers)."""
    qs = Deadline.objects.filter(
        met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now
    )
    if part is not None:
        qs = qs.annotate(part=Mod("ticket_id", part[1])).filter(part=part[0])
    return qs.order_by("due_at").values_list("pk", "ticket_id")[:limit]


def sweep(*, now: datetime | None = None, origin: str = "beat", batch: int = 500, max_batches: int = 1000,
          part: tuple[int, int] | None = None) -> SweepSummary:
    """Run one sweep: escalate, record breaches, publish broadcasts, re-queue deliveries, then the steps other
    apps registered (``supportdesk.core.hooks.register_sweep_step``), each in its own transaction.

    The due rows are taken ``batch`` at a time, each batch in one transaction opened by one locking query
    (``lock_batch``); see ``answer_batch``.

    ``part=(k, m)``: only the deadlines of tickets whose id is ``k`` modulo ``m`` (``tickets.tasks`` splits a big
    sweep into such shares on the sweep queue, so that every worker process takes one); a share does not
    re-queue deliveries nor run the other apps' steps (share 0, the beat's own sweep, does)."""
    started = timezone.now()
    now = now or started
    summary = SweepSummary()
    failed: set[int] = set()
    # An idle sweep (the usual one) reads the index once and opens no transaction.
    for _ in range(max_batches if due_deadlines(now, 1, part) else 0):
        rows: list[Deadline] = []
        counts = SweepSummary()  # the batch's counts, kept only if it commits
        try:
            with transaction.atomic():
                rows = lock_batch(now, batch, part, exclude=failed)
                if rows:
                    answer_batch(rows, summary=counts, failed=failed)
            summary.add(counts)
        except Exception:
            # The batch is rolled back as a whole: its rows are answered one by one, each in its own
            # transaction, so that one bad row cannot hold back the others (it stays due and is retried).
            log.exception("sweep batch failed; answering its rows one by one")
            for deadline in rows:
                if not _answer(deadline.pk, deadline.ticket_id, now=now, summary=summary):
                    failed.add(deadline.pk)
        if len(rows) < batch:
            break
    if part is None or part[0] == 0:
        pending = take_due_deliveries(timezone.now())
        if pending:
            summary.deliveries_requeued = enqueue(pending)
        summary.steps = hooks.run_sweep_steps(now=now, atomic=transaction.atomic)
    SweepRun.objects.create(
        started_at=started, finished_at=timezone.now(), due=summary.due, joint_started=summary.joint_started,
        arrival_breaches=summary.arrival_breaches, broadcasts=summary.broadcasts, missed_slots=summary.missed_slots,
        deliveries_requeued=summary.deliveries_requeued, origin=origin, steps=summary.steps,
    )
    return summary


def lock_batch(now: datetime, limit: int, part: tuple[int, int] | None = None, *, exclude=()) -> list[Deadline]:
    """The next due, unanswered rows (oldest first, through ``deadline_due_idx``) with their tickets, both rows
    locked by this one query (``FOR UPDATE OF`` ticket, deadline ``SKIP LOCKED``): a row another sweep, a share
    or a person's transition holds is left to it, never waited for (no deadlock, never answered twice). PostgreSQL
    locks in the ``OF`` order: the ticket first, so a row whose ticket is held is skipped without keeping the
    deadline row locked (the person's transaction writes it without waiting). The ticket
    comes with what the batch needs (customer, lead room, circuit, vendor, on-site lead). Every row of a ticket
    is one shared ``FaultTicket`` instance."""
    qs = (
        Deadline.objects.select_for_update(skip_locked=True, of=("ticket", "self"))
        .select_related("ticket__customer", "ticket__lead_room", "ticket__circuit", "ticket__vendor",
                        "ticket__site_lead")
        .filter(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
    )
    if exclude:
        qs = qs.exclude(pk__in=list(exclude))
    if part is not None:
        qs = qs.annotate(part=Mod("ticket_id", part[1])).filter(part=part[0])
    rows = list(qs.order_by("due_at", "pk")[:limit])
    tickets: dict[int, FaultTicket] = {}
    for row in rows:
        row.ticket = tickets.setdefault(row.ticket_id, row.ticket)
    return rows


def answer_batch(rows: list[Deadline], *, summary: SweepSummary, failed: set[int]) -> None:
    """Answer a locked batch of due rows (R-ESC-1/R-ESC-3, R-ESC-2, R-BCAST, R-CUST-UPDATE).

    Every record carries the moment the batch is handled (``timezone.now()`` per batch, not the sweep's start).
    A ticket's first joint-handling clock (its ticket in a state ``start_joint`` may leave, per the state
    machine) or broadcast slot of the batch, its arrival clocks and owed customer updates are answered with the
    others' in a fixed number of queries (``_answer_in_bulk``); the rest (a second joint-handling clock or slot of
    the same ticket, a ticket in triage, a slot of a ticket no longer in joint handling, and then every other row
    of that ticket) goes through the row-by-row code in due order, each row in a savepoint (a failing row is left
    due and skipped for this sweep)."""
    now = timezone.now()
    summary.due += len(rows)
    joint, slots, updates, arrivals, rest = [], [], [], [], []
    taken: set[int] = set()
    for row in rows:
        ticket = row.ticket
        if row.kind == DeadlineKind.CUSTOMER_UPDATE:
            updates.append(row)
        elif row.kind == DeadlineKind.ARRIVAL:
            arrivals.append(row)  # after the joint handling a row of the batch starts (its rooms must arrive)
        elif ticket.pk in taken:
            rest.append(row)
        elif row.kind == DeadlineKind.JOINT_HANDLING and can_proceed(ticket.start_joint, check_conditions=False):
            joint.append(row)
            taken.add(ticket.pk)
        elif row.kind == DeadlineKind.BROADCAST and ticket.state == TicketState.JOINT_HANDLING:
            slots.append(row)
            taken.add(ticket.pk)
        else:
            rest.append(row)
    # A ticket with a row answered row by row keeps all its rows there, in due order.
    by_row = {row.ticket_id for row in rest}
    bulk = {row.pk for row in joint + slots}
    rest = [row for row in rows if row.ticket_id in by_row and row.pk not in bulk]
    arrivals = [row for row in arrivals if row.ticket_id not in by_row]
    updates = [row for row in updates if row.ticket_id not in by_row]
    _answer_in_bulk(joint, slots, updates, arrivals, now=now, summary=summary)
    for row in rest:
        try:
            with transaction.atomic():
                _answer_locked(row.ticket, row, now=now, summary=summary)
        except Exception:
            log.exception("sweep could not answer deadline %s of ticket %s", row.pk, row.ticket_id)
            failed.add(row.pk)
            summary.due -= 1


def _answer_locked(ticket: FaultTicket, deadline: Deadline, *, now: datetime, summary: SweepSummary) -> None:
    if deadline.kind == DeadlineKind.JOINT_HANDLING:
        _joint_deadline(ticket, deadline, now=now, summary=summary)
    elif deadline.kind == DeadlineKind.ARRIVAL:
        _arrival_deadline(ticket, deadline, now=now, summary=summary)
    elif deadline.kind == DeadlineKind.BROADCAST:
        _broadcast_deadline(ticket, deadline, now=now, summary=summary)
    elif deadline.kind == DeadlineKind.CUSTOMER_UPDATE:
        _customer_update_deadline(ticket, deadline, now=now)


def _event(ticket: FaultTicket, *, kind: str, at: datetime, note: str = "", data: dict | None = None,
           from_state: str = "", to_state: str = "") -> TicketEvent:
    return TicketEvent(ticket=ticket, kind=kind, at=at, actor=None, actor_label=actor_label(None, VIA),
                       from_state=from_state, to_state=to_state, note=note, data=data or {})


def _joint_reason(ticket: FaultTicket) -> tuple[str, str]:
    rule = "R-ESC-1" if ticket.policy.get("important") else "R-ESC-3"
    hours = ticket.policy.get("joint_after", 0) / 3600
    return rule, f"{rule}: {hours:g} h after the fault, neither restored nor resolved"


def _answer_in_bulk(joint: list[Deadline], slots: list[Deadline], updates: list[Deadline],
                    arrivals: list[Deadline], *, now: datetime, summary: SweepSummary) -> None:
    """R-ESC-1 / R-ESC-3, R-BCAST and R-CUST-UPDATE for a batch, set-based: a fixed number of queries whatever the
    batch's size (the breaches, the state changes with ``version`` bumped, the rooms joining, the escalations, the
    broadcasts with their slot rows, the events, the notifications: one statement each)."""
    events: list[TicketEvent] = []
    new_rows: list[Deadline] = []
    breached, met, cancelled = [], [], []

    # R-CUST-UPDATE: no update recorded in time → breached (a cancelled ticket's row is cancelled).
    for row in updates:
        if row.ticket.state == TicketState.CANCELLED:
            cancelled.append(row.pk)
            continue
        breached.append(row.pk)
        events.append(_event(row.ticket, kind=EventKind.ESCALATION, at=now,
                             note=f"R-CUST-UPDATE: customer not told since {timezone.localtime(row.due_at):%H:%M}",
                             data={"rule": "R-CUST-UPDATE", "deadline": row.pk}))

    # R-ESC-1 / R-ESC-3: joint handling, through the state machine's own transition (its allowed sources).
    started: list[tuple[FaultTicket, str, str]] = []
    sources: dict[int, str] = {}
    for row in joint:
        ticket = row.ticket
        rule, reason = _joint_reason(ticket)
        breached.append(row.pk)
        from_state = sources[ticket.pk] = ticket.state
        ticket.start_joint(at=now, reason=reason[:REASON_MAX])
        ticket.version += 1
        ticket.updated_at = now
        events.append(_event(ticket, kind=Transition.START_JOINT, at=now, note=reason, data={"rule": rule},
                             from_state=from_state, to_state=ticket.state))
        events.append(_event(ticket, kind=EventKind.ESCALATION, at=now, note=reason, data={"rule": rule}))
        started.append((ticket, rule, reason))
    tickets = [t for t, _, _ in started]
    if tickets:
        FaultTicket.objects.bulk_update(tickets, ["state", "version", "joint_started_at", "joint_reason",
                                                  "updated_at"])
        for ticket in tickets:
            ticket._update_initial_state()  # the row now holds the new state (ConcurrentTransitionMixin)
        _join_rooms(tickets, at=now)
        Escalation.objects.bulk_create(
            [Escalation(ticket=t, kind=EscalationKind.JOINT_HANDLING, round=t.round, rule=rule, at=now, reason=reason)
             for t, rule, reason in started],
            ignore_conflicts=True,  # already escalated in this round; the transition itself is what matters
        )
        # Another clock of the round not yet due is answered too: met, since joint handling started early.
        Deadline.objects.filter(ticket_id__in=[t.pk for t in tickets], kind=DeadlineKind.JOINT_HANDLING,
                                met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True,
                                due_at__gt=now).update(met_at=now)
        summary.joint_started += len(tickets)

    # R-BCAST: the first broadcast of each joint handling, and each due hourly slot (missed slots recorded).
    publications = []
    last_slot = deadlines.last_broadcast_slots([t.pk for t in tickets]) if tickets else {}
    for ticket in tickets:
        next_at = now + ticket.policy_duration("broadcast_every")
        publications.append(broadcasts.Publication(ticket=ticket, next_at=next_at))
        new_rows.append(Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round,
                                 sequence=last_slot.get(ticket.pk, 0) + 1, due_at=next_at))
    for row in slots:
        ticket = row.ticket
        every = ticket.policy_duration("broadcast_every")
        behind = max(0, int((now - row.due_at) // every))  # whole slots that passed after this one
        sequence, due_at = row.sequence + behind, row.due_at + every * behind
        if behind:
            breached.append(row.pk)
            new_rows += [Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round,
                                  sequence=row.sequence + i, due_at=row.due_at + every * i, breached_at=now)
                         for i in range(1, behind)]
            new_rows.append(Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round,
                                     sequence=sequence, due_at=due_at, met_at=now))
        else:
            met.append(row.pk)
        publications.append(broadcasts.Publication(ticket=ticket, next_at=due_at + every, slot=sequence,
                                                   slot_due_at=due_at, missed_slots=behind))
        new_rows.append(Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round,
                                 sequence=sequence + 1, due_at=due_at + every))
        summary.broadcasts += 1
        summary.missed_slots += behind
    for ids, field_name in ((breached, "breached_at"), (met, "met_at"), (cancelled, "cancelled_at")):
        if ids:
            Deadline.objects.filter(pk__in=ids).update(**{field_name: now})
    published, facts = [], {}
    if publications:
        facts = broadcasts.facts_of_many([p.ticket for p in publications])
        published = broadcasts.publish_many(publications, at=now, via=VIA, facts=facts, events=events,
                                            deadline_rows=new_rows)
    notices, rooms = _arrivals_in_bulk(arrivals, now=now, summary=summary, events=events) if arrivals else ([], {})
    if new_rows:
        Deadline.objects.bulk_create(new_rows, ignore_conflicts=True)
    if events:
        TicketEvent.objects.bulk_create(events)
    for ticket in tickets:
        # Inside the transaction, after the events, as transitions.start_joint sends it.
        ticket_transitioned.send(sender=FaultTicket, ticket=ticket, transition=str(Transition.START_JOINT),
                                 source=sources[ticket.pk],
                                 target=ticket.state, by=None)
    if published or notices:
        told = {t.pk: t for t in [p.ticket for p in publications] + [t for t, _ in notices]}
        if published:
            rooms.update({t: f.involvements for t, f in facts.items()})
        people = notify.involved_people_of_many(list(told.values()), rooms)
        bosses = notify.managers()
        messages = [notify.broadcast_message(b.ticket, b, recipients=people[b.ticket_id] + bosses) for b in published]
        messages += [notify.joint_started_message(t, rule=rule, reason=reason, recipients=people[t.pk] + bosses)
                     for t, rule, reason in started]
        messages += [notify.arrival_breach_message(t, missing=names, recipients=bosses + people[t.pk])
                     for t, names in notices]
        send_many(messages)


def _join_rooms(tickets: list[FaultTicket], *, at: datetime) -> None:
    """``transitions._involve(joint=True)`` for many tickets: the lead room, the related professional rooms and the
    support room join the joint handling (R-ESC-1), told at ``at``; for an important customer each must arrive
    (R-ESC-2: professional rooms at the equipment site, the support room at the customer's). Three statements."""
    existing = {(i.ticket_id, i.room_id): i for i in TicketRoom.objects.filter(ticket_id__in=[t.pk for t in tickets])}
    created, changed = [], []
    codes = {RoomCode.SERVICE_SUPPORT}
    for ticket in tickets:
        codes.update(related_professional_rooms(ticket.category, ticket.circuit.service_type if ticket.circuit_id
                                                else None))
    every_room = rooms_by_code(sorted(codes))
    for ticket in tickets:
        rooms = [(room, _role(room)) for room in _related_rooms(ticket, every_room)]
        if ticket.lead_room_id:
            rooms.insert(0, (ticket.lead_room, InvolvementRole.LEAD))
        arrive = bool(ticket.policy.get("important") and ticket.policy.get("arrival_after") is not None)
        for room, role in rooms:
            site = SiteKind.CUSTOMER if room.code == RoomCode.SERVICE_SUPPORT else SiteKind.EQUIPMENT
            row = existing.get((ticket.pk, room.pk))
            if row is None:
                created.append(TicketRoom(ticket=ticket, room=room, role=role, notified_at=at, joined_joint_at=at,
                                          must_arrive=arrive, site_kind=site if arrive else ""))
                continue
            dirty = False
            if row.notified_at is None:
                row.notified_at, dirty = at, True
            if row.joined_joint_at is None:
                row.joined_joint_at, dirty = at, True
                if arrive:
                    row.must_arrive, row.site_kind = True, site
            if dirty:
                changed.append(row)
    if created:
        TicketRoom.objects.bulk_create(created, ignore_conflicts=True)
    if changed:
        TicketRoom.objects.bulk_update(changed, ["notified_at", "joined_joint_at", "must_arrive", "site_kind"])


def _answer(deadline_id: int, ticket_id: int, *, now: datetime, summary: SweepSummary) -> bool:
    """One row in its own transaction (a failed batch's rows); False if it could not be answered."""
    try:
        with transaction.atomic():
            ticket = (
                FaultTicket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer", "lead_room", "circuit")
                .filter(pk=ticket_id)
                .first()
            )
            deadline = (
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(pk=deadline_id, met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)
                .first()
                if ticket is not None
                else None
            )
            if deadline is None:
                summary.skipped_locked += ticket is None
                return True
            _answer_locked(ticket, deadline, now=timezone.now(), summary=summary)
        summary.due += 1
        return True
    except Exception:
        log.exception("sweep could not answer deadline %s of ticket %s", deadline_id, ticket_id)
        return False


def _close_answered(ticket: FaultTicket, deadline: Deadline) -> bool:
    """A fault restored/resolved (or cancelled) before the sweep came: the clock was met."""
    if ticket.state in ACTIVE_FAULT_STATES:
        return False
    if ticket.state == TicketState.CANCELLED:
        deadline.cancelled_at = ticket.cancelled_at or timezone.now()
        deadline.save(update_fields=["cancelled_at"])
        return True
    met = ticket.restored_at or ticket.resolved_at or timezone.now()
    if met <= deadline.due_at:
        deadline.met_at = met
        deadline.save(update_fields=["met_at"])
    else:
        deadline.breached_at = met
        deadline.save(update_fields=["breached_at"])
    return True


def _joint_deadline(ticket: FaultTicket, deadline: Deadline, *, now: datetime, summary: SweepSummary) -> None:
    """R-ESC-1 (important, 1 h) / R-ESC-3 (normal, 3 h): still not restored → joint handling."""
    if _close_answered(ticket, deadline):
        return
    rule = "R-ESC-1" if ticket.policy.get("important") else "R-ESC-3"
    hours = ticket.policy.get("joint_after", 0) / 3600
    reason = f"{rule}: {hours:g} h after the fault, neither restored nor resolved"
    deadline.breached_at = now
    deadline.save(update_fields=["breached_at"])
    if ticket.state in (TicketState.DISPATCHED, TicketState.LEAD_HANDLING):
        _start_joint_locked(ticket, by=None, reason=reason, rule=rule, via=VIA, at=now)
        summary.joint_started += 1
    elif ticket.state == TicketState.NEW:
        # Not yet dispatched (triage): joint handling cannot start; the managers hear of it and
        # dispatch starts joint handling at once (see transitions.dispatch).
        try:
            with transaction.atomic():
                Escalation.objects.create(ticket=ticket, kind=EscalationKind.JOINT_HANDLING, round=ticket.round,
                                          rule=rule, at=now, reason=f"{reason} (not dispatched yet)")
        except IntegrityError:
            return
        record_event(ticket, kind=EventKind.ESCALATION, via=VIA, at=now, note=reason, data={"rule": rule})
        notify.notify_joint_started(ticket, rule=rule, reason=reason)


def _required_arrivals(ticket: FaultTicket, involvements: list[TicketRoom] | None = None) -> list[TicketRoom]:
    if involvements is None:
        involvements = list(ticket.involvements.select_related("room"))
    rows = [i for i in involvements if i.must_arrive]
    if rows:
        return rows
    # Joint handling never started (e.g. still in triage): the lead and support rooms are due on site.
    return [i for i in involvements if i.role == InvolvementRole.LEAD or i.room.code == RoomCode.SERVICE_SUPPORT]


def own_site_kind(involvement: TicketRoom) -> str:
    """R-ESC-2 (a): professional rooms arrive at the equipment site, the support room at the customer's."""
    if involvement.site_kind:
        return involvement.site_kind
    return SiteKind.CUSTOMER if involvement.room.code == RoomCode.SERVICE_SUPPORT else SiteKind.EQUIPMENT


@dataclass
class ArrivalJudgement:
    """How an arrival clock is answered: the row's field and time, and the breaches (room, name, kind)."""

    field: str
    at: datetime
    targets: list = field(default_factory=list)


def _judge_arrival(ticket: FaultTicket, deadline: Deadline, *, now: datetime, arrivals: list, involvements: list,
                   own_rooms: set[int]) -> ArrivalJudgement:
    """R-ESC-2: 2 h after the fault every room in joint handling must be on site; each missing one is a breach.

    (a) only a check-in at the room's own site kind counts (the vendor: the customer site); (c) a fault
    restored or resolved before the deadline cancels it (cancelled, not met: an absent room is not on time).
    ``arrivals``: the ticket's check-ins; ``involvements``: its rooms; ``own_rooms``: the rooms with an arrival row
    of their own in the deadline's round (R-ESC-1, added later)."""
    if ticket.state == TicketState.CANCELLED:
        return ArrivalJudgement("cancelled_at", ticket.cancelled_at or now)
    ended = None if ticket.state in ACTIVE_FAULT_STATES else (ticket.restored_at or ticket.resolved_at)
    if ended is not None and ended <= deadline.due_at:
        return ArrivalJudgement("cancelled_at", ended)
    arrivals = [a for a in arrivals if a.round == deadline.round and a.at <= deadline.due_at]
    required = _required_arrivals(ticket, involvements)
    if deadline.room_id is not None:
        # R-ESC-1: a room added to the joint handling later has its own arrival row.
        required = [i for i in required if i.room_id == deadline.room_id]
    else:
        required = [i for i in required if i.room_id not in own_rooms]
    arrived = {(a.room_id, a.site_kind) for a in arrivals if a.room_id}
    missing = [i.room for i in required if (i.room_id, own_site_kind(i)) not in arrived]
    vendor_missing = deadline.room_id is None and bool(ticket.vendor_id) and not any(
        a.vendor_id == ticket.vendor_id and a.site_kind == SiteKind.CUSTOMER for a in arrivals)
    if not ticket.policy.get("important"):
        # R-SITE-2: a normal customer's ticket flagged "expedite" has this row for its on-site lead only
        # (deadlines.ensure_site_lead_deadline); R-ESC-2's arrivals bind important customers' rooms.
        missing, vendor_missing = [], False
    lead_missing = (deadline.room_id is None and ticket.site_lead_required and ticket.site_lead_id is None)
    if not missing and not vendor_missing and not lead_missing:
        return ArrivalJudgement("met_at", max((a.at for a in arrivals), default=now))
    targets = [(room, room.name, EscalationKind.ARRIVAL_BREACH) for room in missing]
    if vendor_missing:
        targets.append((None, ticket.vendor.name, EscalationKind.ARRIVAL_BREACH))
    if lead_missing:
        targets.append((None, "R-SITE-1", EscalationKind.SITE_LEAD_BREACH))
    return ArrivalJudgement("breached_at", now, targets)


def _arrival_breach(ticket: FaultTicket, deadline: Deadline, target) -> tuple[str, str]:
    """The rule and the reason of one breach of ``_judge_arrival``'s targets."""
    room, name, kind = target
    lead_rule = "R-SITE-2" if ticket.expedite and not ticket.policy.get("important") else "R-SITE-1"
    rule = lead_rule if kind == EscalationKind.SITE_LEAD_BREACH else "R-ESC-2"
    due = f"{timezone.localtime(deadline.due_at):%H:%M}"  # people read the centre's time
    reason = (f"R-SITE-1/R-SITE-2: no on-site lead named by {due}"
              if kind == EscalationKind.SITE_LEAD_BREACH else f"R-ESC-2: {name} not on site {due}")
    return rule, reason


def _arrival_deadline(ticket: FaultTicket, deadline: Deadline, *, now: datetime, summary: SweepSummary) -> None:
    """R-ESC-2 (``_judge_arrival``) for one row, with its own queries."""
    own_rooms = set()
    if deadline.room_id is None:
        own_rooms = set(Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.ARRIVAL, round=deadline.round,
                                                room__isnull=False).values_list("room_id", flat=True))
    judgement = _judge_arrival(
        ticket, deadline, now=now, own_rooms=own_rooms,
        arrivals=list(ticket.arrivals.filter(round=deadline.round, at__lte=deadline.due_at)),
        involvements=list(ticket.involvements.select_related("room")),
    )
    setattr(deadline, judgement.field, judgement.at)
    deadline.save(update_fields=[judgement.field])
    names, lead_names = [], []
    for target in judgement.targets:
        room, name, kind = target
        rule, reason = _arrival_breach(ticket, deadline, target)
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    ticket=ticket, kind=kind, round=ticket.round, room=room, rule=rule, at=now, reason=reason,
                )
        except IntegrityError:
            continue
        if kind == EscalationKind.SITE_LEAD_BREACH:
            record_event(ticket, kind=EventKind.ESCALATION, via=VIA, at=now, note=reason, data={"rule": rule})
            lead_names.append(gettext_lazy("未指定现场负责人"))
            continue
        names.append(room or name)  # a room is named in each reader's language when notified
        record_event(ticket, kind=EventKind.ARRIVAL_BREACH, via=VIA, at=now, note=name,
                     data={"room": room.code if room else None, "vendor": room is None})
    summary.arrival_breaches += len(names)
    if names or lead_names:
        notify.notify_arrival_breach(ticket, missing=names + lead_names)


def _arrivals_in_bulk(rows: list[Deadline], *, now: datetime, summary: SweepSummary,
                      events: list) -> tuple[list, dict[int, list]]:
    """R-ESC-2 (``_judge_arrival``) for a batch's arrival rows: three reads (check-ins, rooms, the rows of rooms
    added later), the existing breach escalations (a repeated sweep adds none), one ``UPDATE`` of the rows, one
    ``INSERT`` of the escalations; the events go to the batch's own ``INSERT``. Returns the notices (ticket, missing
    names) and the tickets' rooms, for the batch's notifications."""
    ids = {row.ticket_id for row in rows}
    arrivals: dict[int, list] = {}
    for a in Arrival.objects.filter(ticket_id__in=ids):
        arrivals.setdefault(a.ticket_id, []).append(a)
    involvements: dict[int, list] = {}
    for i in TicketRoom.objects.filter(ticket_id__in=ids).select_related("room"):
        involvements.setdefault(i.ticket_id, []).append(i)
    own: dict[tuple[int, int], set[int]] = {}
    for ticket_id, round_, room_id in Deadline.objects.filter(
            ticket_id__in=ids, kind=DeadlineKind.ARRIVAL, room__isnull=False).values_list("ticket_id", "round",
                                                                                          "room_id"):
        own.setdefault((ticket_id, round_), set()).add(room_id)
    done = set(Escalation.objects.filter(ticket_id__in=ids, kind__in=(EscalationKind.ARRIVAL_BREACH,
                                                                        EscalationKind.SITE_LEAD_BREACH))
               .values_list("ticket_id", "round", "kind", "room_id"))
    escalations, notices = [], []
    for row in rows:
        ticket = row.ticket
        judgement = _judge_arrival(ticket, row, now=now, arrivals=arrivals.get(ticket.pk, []),
                                   involvements=involvements.get(ticket.pk, []),
                                   own_rooms=own.get((ticket.pk, row.round), set()) if row.room_id is None else set())
        setattr(row, judgement.field, judgement.at)
        names = []
        for target in judgement.targets:
            room, name, kind = target
            key = (ticket.pk, ticket.round, kind, room.pk if room else None)
            if key in done:
                continue
            done.add(key)
            rule, reason = _arrival_breach(ticket, row, target)
            escalations.append(Escalation(ticket=ticket, kind=kind, round=ticket.round, room=room, rule=rule, at=now,
                                          reason=reason))
            if kind == EscalationKind.SITE_LEAD_BREACH:
                events.append(_event(ticket, kind=EventKind.ESCALATION, at=now, note=reason, data={"rule": rule}))
                names.append(gettext_lazy("未指定现场负责人"))
                continue
            summary.arrival_breaches += 1
            names.append(room or name)  # a room is named in each reader's language when notified
            events.append(_event(ticket, kind=EventKind.ARRIVAL_BREACH, at=now, note=name,
                                 data={"room": room.code if room else None, "vendor": room is None}))
        if names:
            notices.append((ticket, names))
    Deadline.objects.bulk_update(rows, ["met_at", "breached_at", "cancelled_at"])
    if escalations:
        Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
    return notices, involvements


def _customer_update_deadline(ticket: FaultTicket, deadline: Deadline, *, now: datetime) -> None:
    """R-CUST-UPDATE: no customer update recorded within its time after the broadcast (or the restore): the row
    is breached and the ticket shows the update overdue on the console and the dashboard until one is made."""
    if ticket.state == TicketState.CANCELLED:
        deadline.cancelled_at = now
        deadline.save(update_fields=["cancelled_at"])
        return
    deadline.breached_at = now
    deadline.save(update_fields=["breached_at"])
    record_event(ticket, kind=EventKind.ESCALATION, via=VIA, at=now,
                 note=f"R-CUST-UPDATE: customer not told since {timezone.localtime(deadline.due_at):%H:%M}",
                 data={"rule": "R-CUST-UPDATE", "deadline": deadline.pk})


def _broadcast_deadline(ticket: FaultTicket, deadline: Deadline, *, now: datetime, summary: SweepSummary) -> None:
    """R-BCAST: one broadcast for the current hourly slot; slots missed while the sweep was down
    are recorded as missed (breached rows), never published late one by one."""
    if ticket.state != TicketState.JOINT_HANDLING:
        deadline.cancelled_at = now
        deadline.save(update_fields=["cancelled_at"])
        return
    every = ticket.policy_duration("broadcast_every")
    behind = max(0, int((now - deadline.due_at) // every))  # whole slots that passed after this one
    current = deadline
    if behind:
        deadline.breached_at = now
        deadline.save(update_fields=["breached_at"])
        missed_rows = [
            Deadline(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round, sequence=deadline.sequence + i,
                     due_at=deadline.due_at + every * i, breached_at=now)
            for i in range(1, behind)
        ]
        Deadline.objects.bulk_create(missed_rows)
        current = Deadline.objects.create(
            ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round, sequence=deadline.sequence + behind,
            due_at=deadline.due_at + every * behind,
        )
    next_due = current.due_at + every
    broadcasts.publish(
        ticket, kind=BroadcastKind.SCHEDULED, at=now, via=VIA, slot=current.sequence, slot_due_at=current.due_at,
        missed_slots=behind, next_at=next_due,
    )
    current.met_at = now
    current.save(update_fields=["met_at"])
    Deadline.objects.create(ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round,
                            sequence=current.sequence + 1, due_at=next_due)
    summary.broadcasts += 1
    summary.missed_slots += behind
