"""The transitions of docs/rules.md §3.6, each the only door to its state change.

Every function locks the ticket row, checks who may, refuses a transition that does not
start from the current state (``TransitionNotAllowed``) or whose guard fails
(``ValidationFailed``), saves, writes one immutable event and writes its notifications (rows, in
the same transaction: the outbox); only the broker hand-off waits for ``transaction.on_commit``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from staff.choices import RoomCode
from staff.models import Room, User
from staff.selectors import duty_engineer, rooms_by_code
from supportdesk.core.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed

from .. import notify
from ..choices import (
    ACTIVE_FAULT_STATES,
    OPEN_STATES,
    BroadcastKind,
    CancelReason,
    CauseCategory,
    DeadlineKind,
    EscalationKind,
    EventKind,
    InvolvementRole,
    ProgressKind,
    SiteKind,
    TicketState,
    Transition,
)
from ..models import Deadline, Escalation, FaultTicket, PhoneNotification, ProgressNote, TicketRoom
from ..permissions import ensure_can
from ..signals import ticket_transitioned
from . import broadcasts, deadlines
from ._common import check_version, event_row, lock_ticket, record_event, save_ticket
from .routing import related_professional_rooms

REASON_MAX = 300  # FaultTicket.joint_reason / Escalation.reason


def _require_source(ticket: FaultTicket, name: str) -> None:
    method = getattr(ticket, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            f"cannot {name} ticket {ticket.number}: it is {ticket.state} "
            f"({ticket.get_state_display()})",
            code="ticket_state", params=_state_params(ticket, _action_label(name)),
        )


def _action_label(name: str):
    """The transition's display name (``Transition``), or the event's, for the people's sentence."""
    for choices in (Transition, EventKind):
        if name in choices.values:
            return choices(name).label
    return name


def _state_params(ticket: FaultTicket, action) -> dict:
    return {"number": ticket.number, "state": ticket.get_state_display(), "action": action}


def _apply(ticket: FaultTicket, name: str, *, by, via, at, note="", data=None, **kwargs) -> None:
    from_state = ticket.state
    getattr(ticket, name)(at=at, **kwargs)
    save_ticket(ticket)
    record_event(ticket, kind=name, by=by, via=via, from_state=from_state, to_state=ticket.state,
                 note=note, data=data, at=at)
    # Inside the transaction, right after the event: receivers may write (outbox rows) or use on_commit.
    ticket_transitioned.send(sender=FaultTicket, ticket=ticket, transition=str(name), source=from_state,
                             target=ticket.state, by=by)


def _involve(ticket: FaultTicket, rooms: list[tuple[Room, str]], *, at: datetime, joint: bool = False) -> None:
    """Involve rooms in the ticket (a row each, kept if it exists), told at ``at``; with ``joint`` they join
    the joint handling, and for an important customer each must arrive (R-ESC-2): professional rooms at the
    equipment site, the support room at the customer's."""
    TicketRoom.objects.bulk_create(
        [TicketRoom(ticket=ticket, room=room, role=role, notified_at=at) for room, role in rooms],
        ignore_conflicts=True,
    )
    ids = [room.pk for room, _ in rooms]
    # The lead room's row exists from the opening (R-LEAD); it is told now.
    TicketRoom.objects.filter(ticket=ticket, room_id__in=ids, notified_at__isnull=True).update(notified_at=at)
    if not joint:
        return
    joining = TicketRoom.objects.filter(ticket=ticket, room_id__in=ids, joined_joint_at__isnull=True)
    if ticket.policy.get("important") and ticket.policy.get("arrival_after") is not None:
        support = [room.pk for room, _ in rooms if room.code == RoomCode.SERVICE_SUPPORT]
        joining.filter(room_id__in=support).update(joined_joint_at=at, must_arrive=True, site_kind=SiteKind.CUSTOMER)
        joining.exclude(room_id__in=support).update(joined_joint_at=at, must_arrive=True, site_kind=SiteKind.EQUIPMENT)
    else:
        joining.update(joined_joint_at=at)


def _role(room: Room) -> str:
    return InvolvementRole.SUPPORT if room.code == RoomCode.SERVICE_SUPPORT else InvolvementRole.PROFESSIONAL


def _related_rooms(ticket: FaultTicket, rooms: dict[str, Room] | None = None) -> list[Room]:
    """The professional rooms concerned by the alarm and the service, plus the support room (``rooms``: every
    room by code, read once for many tickets)."""
    service_type = ticket.circuit.service_type if ticket.circuit_id else None
    codes = related_professional_rooms(ticket.category, service_type)
    codes.append(RoomCode.SERVICE_SUPPORT)
    rooms = rooms_by_code(codes) if rooms is None else rooms
    return [rooms[c] for c in codes if c in rooms and rooms[c].pk != ticket.lead_room_id]


# --------------------------------------------------------------------------- dispatch
@transaction.atomic
def dispatch(*, ticket_id: int, by: User | None, via: str = "", expected_version: int | None = None) -> FaultTicket:
    """R-DISPATCH-IMP / R-DISPATCH-NORM: send the ticket to its lead room and tell who must know.

    Important customer: the lead room, every related professional room and the support room are
    involved at once, and each gets a line on the phone checklist. Normal customer: the lead room,
    and the support room's duty engineer is notified.
    """
    ticket = lock_ticket(ticket_id)
    return dispatch_locked(ticket, by=by, via=via, expected_version=expected_version)


def dispatch_locked(ticket: FaultTicket, *, by: User | None, via: str = "", expected_version: int | None = None,
                    fresh: bool = False) -> FaultTicket:
    """``dispatch`` of a ticket this transaction holds locked (R-DISPATCH-IMP / R-DISPATCH-NORM). ``fresh``: the
    ticket was opened in this very transaction (ingestion), so none of its deadlines can have been breached yet
    and its joint-handling clock is known without reading it back."""
    ensure_can(by, "dispatch", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.DISPATCH)
    if ticket.customer_id is None or ticket.needs_triage:
        raise ValidationFailed.of("customer", f"ticket {ticket.number} has no matched customer yet (triage first)",
                                  code="no_customer_yet", params={"number": ticket.number})
    if ticket.lead_room_id is None:
        raise ValidationFailed.of("lead_room", f"ticket {ticket.number} has no lead room", code="no_lead_room",
                                  params={"number": ticket.number})
    now = timezone.now()
    _apply(ticket, Transition.DISPATCH, by=by, via=via, at=now)
    lead = ticket.lead_room
    notified_rooms = [lead]
    duty = None
    extra_people: list[User] = []
    _vendor_of_circuit(ticket, by=by, via=via, at=now)
    if ticket.important:
        notified_rooms += _related_rooms(ticket)
        _involve(ticket, [(lead, InvolvementRole.LEAD)] + [(room, _role(room)) for room in notified_rooms[1:]], at=now)
        PhoneNotification.objects.bulk_create(
            [PhoneNotification(ticket=ticket, room=room, callee_phone=room.phone) for room in notified_rooms],
            ignore_conflicts=True,
        )
        record_event(ticket, kind=EventKind.ROOM_NOTIFIED, by=by, via=via, at=now,
                     note="R-DISPATCH-IMP", data={"rooms": [r.code for r in notified_rooms], "phone": True})
        if ticket.vendor_id:
            # R-ESC-1: the assigned vendor stands by (待命) from the dispatch of an important customer's ticket.
            record_event(ticket, kind=EventKind.VENDOR_STANDBY, by=by, via=via, at=now, note=ticket.vendor.name,
                         data={"rule": "R-ESC-1", "vendor": ticket.vendor_id})
            extra_people += notify.vendor_people(ticket.vendor_id)
    else:
        _involve(ticket, [(lead, InvolvementRole.LEAD)], at=now)
        duty = duty_engineer(RoomCode.SERVICE_SUPPORT, now)
        data = {"rooms": [lead.code], "duty_engineer": duty.get_username() if duty else None}
        if duty is None:
            # R-DISPATCH-NORM: never silently — with nobody on duty the support room's members and its
            # manager are told, and the ticket shows "no duty engineer" to monitoring.
            extra_people += notify.support_room_and_manager()
            ticket.no_duty_engineer = True
            save_ticket(ticket, "no_duty_engineer")
            data["no_duty_engineer"] = True
            data["told"] = sorted(u.get_username() for u in extra_people)
        record_event(ticket, kind=EventKind.ROOM_NOTIFIED, by=by, via=via, at=now, note="R-DISPATCH-NORM", data=data)
    notify.notify_dispatch(ticket, rooms=notified_rooms, duty_engineer=duty, extra=extra_people)
    if ticket.important and ticket.policy.get("broadcast_at_dispatch", True):
        # R-BCAST (a): "监控室进行信息发布" right after an important customer's dispatch: broadcast #1.
        broadcasts.publish(ticket, kind=BroadcastKind.DISPATCH, at=now, by=by, via=via)
    joint = deadlines_of_round(ticket, DeadlineKind.JOINT_HANDLING)
    rule = "R-ESC-1" if ticket.important else "R-ESC-3"
    if fresh:
        # Opened in this transaction: nothing breached yet, and the clock is occurrence + joint_after.
        if ticket.occurred_at + ticket.policy_duration("joint_after") > now:
            return ticket
        overdue = None
    else:
        overdue = joint.filter(breached_at__isnull=False).first()
    if overdue is not None:
        # R-ESC-1 / R-ESC-3 came due while the ticket waited for triage: joint handling starts now.
        _start_joint_locked(ticket, by=by, reason=f"{rule}: deadline passed before dispatch", rule=rule,
                            via=via, at=timezone.now())
        return ticket
    late = joint.filter(met_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now).first()
    if late is not None:
        escalate_late_ingestion(ticket, late, by=by, via=via, at=now)
    return ticket


def escalate_late_ingestion(ticket: FaultTicket, late: Deadline, *, by: User | None, via: str, at: datetime) -> None:
    """R-ESC-1 / R-ESC-3: an alarm ingested after its joint-handling deadline already passed escalates at once,
    saying so; ``late`` is that clock's row."""
    rule = "R-ESC-1" if ticket.important else "R-ESC-3"
    delay = at - late.due_at
    late.breached_at = at
    late.save(update_fields=["breached_at"])
    minutes = int(delay.total_seconds() // 60)
    _start_joint_locked(ticket, by=by, via=via, at=at, rule=rule,
                        reason=f"{rule}: late ingestion, the deadline passed {minutes} min before it arrived",
                        data={"late_ingestion": True, "delay_seconds": int(delay.total_seconds())})


@dataclass
class NewDispatch:
    """The rows of a new ticket's dispatch, built in memory (``dispatch_new``) for the caller to insert."""

    events: list = field(default_factory=list)  # TicketEvent rows, in order
    rooms: list = field(default_factory=list)  # TicketRoom rows (the lead room's included)
    phones: list = field(default_factory=list)  # PhoneNotification rows
    deadlines: list = field(default_factory=list)  # R-CUST-UPDATE after broadcast #1
    broadcast: object = None  # broadcast #1 (R-BCAST (a)), or None
    notified_rooms: list = field(default_factory=list)
    duty_engineer: User | None = None
    extra_people: list = field(default_factory=list)  # R-DISPATCH-NORM with nobody on duty
    room_people: list | None = None  # R-DISPATCH-NORM: the lead room's members, read with the duty engineer
    saves: int = 0  # the version bumps the stepwise dispatch would have made


def can_dispatch_new(ticket: FaultTicket) -> bool:
    """The guard of ``dispatch`` (django-fsm's source state and conditions) on a ticket not yet saved."""
    return ticket.customer_id is not None and not ticket.needs_triage and ticket.lead_room_id is not None \
        and can_proceed(ticket.dispatch)


def dispatch_new(ticket: FaultTicket, *, lead: TicketRoom, by: User | None, via: str, at: datetime) -> NewDispatch:
    """``dispatch`` of a ticket opened in this very transaction and not yet written (ingestion, docs/rules.md
    §3.2): django-fsm applies the transition in memory, so the ticket is inserted once, already dispatched, and
    every other row is built here for one insert per table. ``lead`` is the lead room's row (R-LEAD).

    R-DISPATCH-IMP: the lead room, every related professional room and the support room involved and told now,
    each on the phone checklist; R-ESC-1: the circuit's maintaining vendor stands by; R-BCAST (a): broadcast #1
    (composed from memory: a new ticket has no progress note or arrival) and its R-CUST-UPDATE deadline.
    R-DISPATCH-NORM: the lead room, and the support room's duty engineer (or, with nobody on duty, the whole support
    room and its manager, and the ticket says "no duty engineer"). The notifications are the caller's
    (``notify.dispatch_message`` / ``broadcast_message``), written with ``send_many``.
    """
    plan = NewDispatch()
    ticket.dispatch(at=at)  # django-fsm: NEW → DISPATCHED, or TransitionNotAllowed
    plan.saves += 1
    plan.events.append(event_row(ticket, kind=Transition.DISPATCH, by=by, via=via, from_state=TicketState.NEW,
                                 to_state=ticket.state, at=at))
    if ticket.vendor_id is None and ticket.circuit_id is not None and ticket.circuit.maintenance_vendor_id:
        vendor = ticket.circuit.maintenance_vendor
        ticket.vendor = vendor
        plan.saves += 1
        plan.events.append(event_row(ticket, kind=EventKind.VENDOR_ASSIGNED, by=by, via=via, at=at, note=vendor.name,
                                     data={"vendor": vendor.pk, "from": "circuit", "rule": "R-ESC-1"}))
    lead_room = ticket.lead_room
    lead.notified_at = at
    plan.rooms.append(lead)
    plan.notified_rooms = [lead_room]
    if ticket.important:
        related = _related_rooms(ticket)
        plan.notified_rooms += related
        plan.rooms += [TicketRoom(ticket=ticket, room=room, role=_role(room), notified_at=at) for room in related]
        plan.phones = [PhoneNotification(ticket=ticket, room=room, callee_phone=room.phone)
                       for room in plan.notified_rooms]
        plan.events.append(event_row(ticket, kind=EventKind.ROOM_NOTIFIED, by=by, via=via, at=at,
                                     note="R-DISPATCH-IMP",
                                     data={"rooms": [r.code for r in plan.notified_rooms], "phone": True}))
        if ticket.vendor_id:
            plan.events.append(event_row(ticket, kind=EventKind.VENDOR_STANDBY, by=by, via=via, at=at,
                                         note=ticket.vendor.name, data={"rule": "R-ESC-1", "vendor": ticket.vendor_id}))
        if ticket.policy.get("broadcast_at_dispatch", True):
            plan.broadcast = broadcasts.first_of_new_ticket(ticket, kind=BroadcastKind.DISPATCH, at=at, by=by,
                                                            involvements=plan.rooms)
            plan.events.append(event_row(ticket, kind=EventKind.BROADCAST, by=by, via=via, at=at, note="#1",
                                         data={"seq": 1, "kind": BroadcastKind.DISPATCH, "missed_slots": 0}))
            update = deadlines.customer_update_row(ticket, after=at, sequence=1)
            if update is not None:
                plan.deadlines.append(update)
    else:
        people = notify.people_of_normal_dispatch([lead_room.pk], at)
        plan.duty_engineer = duty = people.duty_engineer
        plan.room_people = people.room_people
        data = {"rooms": [lead_room.code], "duty_engineer": duty.get_username() if duty else None}
        if duty is None:
            plan.extra_people = people.support
            ticket.no_duty_engineer = True
            plan.saves += 1
            data["no_duty_engineer"] = True
            data["told"] = sorted(u.get_username() for u in plan.extra_people)
        plan.events.append(event_row(ticket, kind=EventKind.ROOM_NOTIFIED, by=by, via=via, at=at,
                                     note="R-DISPATCH-NORM", data=data))
    return plan


def _vendor_of_circuit(ticket: FaultTicket, *, by: User | None, via: str, at: datetime) -> None:
    """R-ESC-1: a ticket dispatched with no vendor takes its circuit's maintaining vendor (``Circuit.
    maintenance_vendor``), so that vendor stands by from an important customer's dispatch."""
    if ticket.vendor_id is not None or ticket.circuit_id is None:
        return
    vendor = ticket.circuit.maintenance_vendor
    if vendor is None:
        return
    ticket.vendor = vendor
    save_ticket(ticket, "vendor")
    record_event(ticket, kind=EventKind.VENDOR_ASSIGNED, by=by, via=via, at=at, note=vendor.name,
                 data={"vendor": vendor.pk, "from": "circuit", "rule": "R-ESC-1"})


def deadlines_of_round(ticket: FaultTicket, kind: str):
    return ticket.deadlines.filter(kind=kind, round=ticket.round)


# --------------------------------------------------------------------------- handling
@transaction.atomic
def accept(*, ticket_id: int, by: User | None, via: str = "", expected_version: int | None = None,
           note: str = "") -> FaultTicket:
    """The lead room's engineer takes the ticket (dispatched → lead_handling)."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "accept", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.ACCEPT)
    now = timezone.now()
    _apply(ticket, Transition.ACCEPT, by=by, via=via, note=note, at=now, accepted_by=by)
    return ticket


@transaction.atomic
def start_joint(*, ticket_id: int, by: User | None, reason: str, rule: str = "R-ESC-MANUAL", via: str = "",
                expected_version: int | None = None, at: datetime | None = None) -> FaultTicket:
    """R-ESC-1 / R-ESC-3 / R-ESC-MANUAL: joint handling with every related room, the support room
    and the vendor; the managers are told and the first broadcast goes out (R-BCAST)."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "start_joint", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.START_JOINT)
    if not reason.strip():
        raise ValidationFailed.of("reason", "joint handling needs a reason", code="required")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.of("reason", f"at most {REASON_MAX} characters", code="too_long",
                                  params={"max": REASON_MAX})
    return _start_joint_locked(ticket, by=by, reason=reason, rule=rule, via=via, at=at or timezone.now())


def _start_joint_locked(ticket: FaultTicket, *, by, reason, rule, via, at, data=None) -> FaultTicket:
    _apply(ticket, Transition.START_JOINT, by=by, via=via, note=reason, data={"rule": rule, **(data or {})}, at=at,
           reason=reason[:REASON_MAX])
    rooms = [(room, _role(room)) for room in _related_rooms(ticket)]
    if ticket.lead_room_id:
        rooms.insert(0, (ticket.lead_room, InvolvementRole.LEAD))
    _involve(ticket, rooms, at=at, joint=True)
    try:
        with transaction.atomic():
            Escalation.objects.create(ticket=ticket, kind=EscalationKind.JOINT_HANDLING, round=ticket.round,
                                      rule=rule, at=at, reason=reason, triggered_by=by)
    except IntegrityError:
        pass  # already escalated in this round; the transition itself is what matters
    record_event(ticket, kind=EventKind.ESCALATION, by=by, via=via, at=at, note=reason,
                 data={"rule": rule, **(data or {})})
    # The clock that asked for joint handling is now answered: met if early, breached by the sweep.
    deadlines.pending(ticket, DeadlineKind.JOINT_HANDLING).filter(due_at__gt=at).update(met_at=at)
    every = ticket.policy_duration("broadcast_every")
    next_at = at + every
    broadcasts.publish(ticket, kind=BroadcastKind.SCHEDULED, at=at, by=by, via=via, next_at=next_at)
    deadlines.schedule_broadcast_slot(ticket, due_at=next_at)
    notify.notify_joint_started(ticket, rule=rule, reason=reason)
    return ticket


def _end_broadcast_series(ticket: FaultTicket, *, by, via, at) -> bool:
    """R-BCAST: a running series ends with a final broadcast; its pending slot is cancelled."""
    running = deadlines.pending(ticket, DeadlineKind.BROADCAST)
    if running.exists():
        running.update(cancelled_at=at)
        broadcasts.publish(ticket, kind=BroadcastKind.FINAL, at=at, by=by, via=via)
        return True
    return False


def _require_text(value: str, field: str, message: str) -> str:
    if not (value or "").strip():
        raise ValidationFailed.of(field, message, code="required")
    return value.strip()


@transaction.atomic
def restore(*, ticket_id: int, by: User | None, note: str, via: str = "", expected_version: int | None = None,
            at: datetime | None = None) -> FaultTicket:
    """R-RESTORE-FIRST: service is back (maybe on a temporary route); the cause may still be open."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "restore", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.RESTORE)
    note = _require_text(note, "note", "restore needs a progress note saying how service came back")
    at = at or timezone.now()
    ProgressNote.objects.create(ticket=ticket, room=_room_of(by, ticket), author=by, text=note, at=at)
    _apply(ticket, Transition.RESTORE, by=by, via=via, note=note, at=at)
    deadlines.meet_clock_deadlines(ticket, at=at)
    if not _end_broadcast_series(ticket, by=by, via=via, at=at):
        # R-CUST-UPDATE: the customer is told at restore too (a final broadcast already asks for it).
        restores = ticket.events.filter(kind=EventKind.RESTORE).count()
        deadlines.schedule_customer_update(ticket, after=at, sequence=1_000_000 + restores)
    return ticket


@transaction.atomic
def resolve(*, ticket_id: int, by: User | None, cause_category: str, cause_text: str, note: str = "",
            via: str = "", expected_version: int | None = None, at: datetime | None = None) -> FaultTicket:
    """The root cause is repaired; the cause category and text are required."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "resolve", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.RESOLVE)
    if cause_category not in CauseCategory.values:
        raise ValidationFailed.of("cause_category", f"must be one of {', '.join(CauseCategory.values)}",
                                  code="bad_choice")
    cause_text = _require_text(cause_text, "cause_text", "resolve needs the cause text")
    _check_attribution(ticket, cause_category)
    if ticket.site_lead_required and not ticket.site_lead_exception:
        from .onsite import site_lead_on_site

        if not site_lead_on_site(ticket):
            # R-SITE-1 / R-SITE-2: enforced — the named lead must have checked in at the customer site.
            raise ValidationFailed.of(
                "site_lead", f"R-SITE-1: ticket {ticket.number} cannot be resolved until the named on-site lead "
                             f"has checked in at the customer site (or a manager records an exception)")
    at = at or timezone.now()
    ticket.cause_category, ticket.cause_text = cause_category, cause_text
    was_active = ticket.state in ACTIVE_FAULT_STATES
    _apply(ticket, Transition.RESOLVE, by=by, via=via, note=note or cause_text,
           data={"cause_category": cause_category}, at=at)
    if was_active:
        deadlines.meet_clock_deadlines(ticket, at=at)
    _end_broadcast_series(ticket, by=by, via=via, at=at)
    return ticket


@transaction.atomic
def close(*, ticket_id: int, by: User | None, customer_reply: str, via: str = "",
          expected_version: int | None = None) -> FaultTicket:
    """Close a resolved ticket: the customer's reply is recorded; R-EXPLAIN for important customers."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "close", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.CLOSE)
    ticket.customer_reply = _require_text(customer_reply, "customer_reply", "close needs the customer's reply")
    if not can_proceed(ticket.close):
        raise ValidationFailed.of(
            "explanation", f"R-EXPLAIN: ticket {ticket.number} needs an approved and released explanation"
        )
    _apply(ticket, Transition.CLOSE, by=by, via=via, note=ticket.customer_reply, at=timezone.now())
    return ticket


@transaction.atomic
def cancel(*, ticket_id: int, by: User | None, reason: str, note: str = "", via: str = "",
           expected_version: int | None = None) -> FaultTicket:
    """Cancel a ticket that is not a fault: false alarm, duplicate, or cleared by itself."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "cancel", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.CANCEL)
    if reason not in CancelReason.values:
        raise ValidationFailed.of("reason", f"must be one of {', '.join(CancelReason.values)}", code="bad_choice")
    ticket.cancel_reason = reason
    at = timezone.now()
    _apply(ticket, Transition.CANCEL, by=by, via=via, note=note or reason, data={"reason": reason}, at=at)
    deadlines.cancel_pending(ticket, at=at)
    return ticket


@transaction.atomic
def reopen(*, ticket_id: int, by: User | None, note: str, via: str = "",
           expected_version: int | None = None) -> FaultTicket:
    """The fault came back: back to the lead room, with a new round of clocks from now."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "reopen", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    _require_source(ticket, Transition.REOPEN)
    note = _require_text(note, "note", "reopen needs a note saying how the fault came back")
    if ticket.circuit_ref:
        # One open ticket per circuit: a fault that came back as a new ticket is handled there.
        holder = FaultTicket.objects.filter(circuit_ref=ticket.circuit_ref, state__in=OPEN_STATES).exclude(
            pk=ticket.pk).first()
        if holder is not None:
            raise Conflict(f"cannot reopen ticket {ticket.number}: circuit {ticket.circuit_ref} "
                           f"has open ticket {holder.number}", code="reopen_circuit_busy",
                           params={"circuit": ticket.circuit_ref, "number": holder.number})
    at = timezone.now()
    try:
        with transaction.atomic():
            _apply(ticket, Transition.REOPEN, by=by, via=via, note=note, at=at)
    except IntegrityError:
        # An alarm opened a new ticket on the circuit meanwhile (ticket_one_open_per_circuit).
        raise Conflict(f"cannot reopen ticket {ticket.number}: circuit {ticket.circuit_ref} "
                       f"has a new open ticket", code="reopen_circuit_busy",
                       params={"circuit": ticket.circuit_ref, "number": "—"}) from None
    deadlines.create_clock_deadlines(ticket, start=at)
    return ticket


@transaction.atomic
def refail(*, ticket_id: int, by: User | None, note: str, via: str = "", expected_version: int | None = None,
           at: datetime | None = None) -> FaultTicket:
    """R-RESTORE-FIRST (docs/rules.md): a person (monitoring or the handling room) says the restored service is
    down again: the ticket goes back to lead or joint handling and its clocks run again."""
    ticket = lock_ticket(ticket_id, expected_version=expected_version)
    ensure_can(by, "refail", ticket)
    _require_source(ticket, Transition.REFAIL)
    note = _require_text(note, "note", "refail needs a note saying how the service failed again")
    if len(note) > 2000:
        raise ValidationFailed.of("note", "at most 2000 characters")
    return refail_locked(ticket, by=by, via=via, reason=note, at=at or timezone.now())


def refail_locked(ticket: FaultTicket, *, by: User | None, via: str, reason: str, at: datetime,
                  alarm_id: str | None = None) -> FaultTicket:
    """R-RESTORE-FIRST with the ticket row locked (a person, or a new alarm on the circuit at ingestion).

    The clocks the restore met or cancelled are re-opened from the original occurrence (one already past is
    due at once: the next sweep answers it); in joint handling the hourly broadcasts resume at once.
    """
    restored_at = ticket.restored_at
    from_state = ticket.state
    ticket.refail(at=at)
    save_ticket(ticket)
    reopened = deadlines.reopen_clock_deadlines(ticket, restored_at=restored_at) if restored_at else []
    record_event(
        ticket, kind=EventKind.REFAIL, by=by, via=via, from_state=from_state, to_state=ticket.state, note=reason,
        at=at,
        data={"rule": "R-RESTORE-FIRST", "alarm_id": alarm_id, "restored_at": restored_at.isoformat()
              if restored_at else None, "reopened": sorted({d.kind for d in reopened}),
              "due_now": sorted({d.kind for d in reopened if d.due_at <= at})},
    )
    if ticket.state == TicketState.JOINT_HANDLING:
        next_at = at + ticket.policy_duration("broadcast_every")
        broadcasts.publish(ticket, kind=BroadcastKind.SCHEDULED, at=at, by=by, via=via, next_at=next_at)
        deadlines.schedule_broadcast_slot(ticket, due_at=next_at)
    return ticket


def _check_attribution(ticket: FaultTicket, cause_category: str) -> None:
    """R-OWN-FIRST: the cause may be attributed to the customer side only after the own-network check is
    recorded as clear (the checks themselves run in parallel and never block anyone from recording)."""
    if cause_category == CauseCategory.CUSTOMER_SIDE and not ticket.progress_notes.filter(
            kind=ProgressKind.OWN_NETWORK).exists():
        raise ValidationFailed.of(
            "cause_category", "R-OWN-FIRST: record the own-network check as clear before attributing the cause "
                              "to the customer side")


@transaction.atomic
def confirm_cause(*, ticket_id: int, by: User | None, cause_category: str, cause_text: str, via: str = "",
                  at: datetime | None = None) -> FaultTicket:
    """R-ESC-3 (docs/rules.md): the lead room records the cause as confirmed (category and text); for a normal
    customer this meets the 3 h clock ("3小时内无法确认故障原因")."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "confirm_cause", ticket)
    if ticket.state not in ACTIVE_FAULT_STATES or ticket.state == TicketState.NEW:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: cannot confirm the cause now",
                                   code="ticket_state", params=_state_params(ticket, gettext_lazy("确认故障原因")))
    if cause_category not in CauseCategory.values:
        raise ValidationFailed.of("cause_category", f"must be one of {', '.join(CauseCategory.values)}")
    cause_text = _require_text(cause_text, "cause_text", "the confirmed cause needs a text")
    _check_attribution(ticket, cause_category)
    at = at or timezone.now()
    ticket.cause_category, ticket.cause_text, ticket.cause_confirmed_at = cause_category, cause_text, at
    save_ticket(ticket, "cause_category", "cause_text", "cause_confirmed_at")
    met = 0
    if not ticket.important:
        met = deadlines.pending(ticket, DeadlineKind.JOINT_HANDLING).filter(round=ticket.round,
                                                                            due_at__gte=at).update(met_at=at)
    record_event(ticket, kind=EventKind.CAUSE_CONFIRMED, by=by, via=via, at=at, note=cause_text,
                 data={"rule": "R-ESC-3", "cause_category": cause_category, "clock_met": bool(met)})
    return ticket


@transaction.atomic
def add_joint_room(*, ticket_id: int, by: User | None, room_code: str, reason: str, via: str = "",
                   at: datetime | None = None) -> TicketRoom:
    """R-ESC-1 (docs/rules.md): a room found to be involved later joins the joint handling; for an important
    customer it must arrive by the later of the ticket's 2 h mark and 1 h (policy) after it was added."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "add_joint_room", ticket)
    if ticket.state != TicketState.JOINT_HANDLING:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: rooms join a joint handling",
                                   code="ticket_state", params=_state_params(ticket, gettext_lazy("增加参与室")))
    reason = _require_text(reason, "reason", "say why the room is involved")[:REASON_MAX]
    room = Room.objects.filter(code=room_code).first()
    if room is None:
        raise ValidationFailed.of("room", f"unknown room {room_code!r}")
    existing = TicketRoom.objects.filter(ticket=ticket, room=room, joined_joint_at__isnull=False).first()
    if existing is not None:
        raise ValidationFailed.of("room", f"{room_code} is already in the joint handling")
    at = at or timezone.now()
    _involve(ticket, [(room, _role(room))], at=at, joint=True)
    involvement = TicketRoom.objects.get(ticket=ticket, room=room)
    due = None
    arrival_after = ticket.policy_duration("arrival_after")
    if ticket.important and arrival_after is not None:
        within = ticket.policy_duration("added_room_arrival_within") or timedelta(hours=1)
        mark = ticket.occurred_at + arrival_after
        due = max(mark, at + within)
        main = deadlines_of_round(ticket, DeadlineKind.ARRIVAL).filter(room__isnull=True).first()
        if due > mark or main is None or not main.is_pending:
            Deadline.objects.create(ticket=ticket, kind=DeadlineKind.ARRIVAL, round=ticket.round, room=room,
                                    sequence=room.pk, due_at=due)
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.ROOM_ADDED, by=by, via=via, at=at, note=reason,
                 data={"rule": "R-ESC-1", "room": room.code, "arrival_due": due.isoformat() if due else None})
    notify.notify_dispatch(ticket, rooms=[room])
    return involvement


def _room_of(user: User | None, ticket: FaultTicket) -> Room | None:
    if user is None:
        return ticket.lead_room
    ids = set(user.memberships.values_list("room_id", flat=True))
    if ticket.lead_room_id in ids:
        return ticket.lead_room
    involvement = ticket.involvements.filter(room_id__in=ids).select_related("room").first()
    return involvement.room if involvement else None


@transaction.atomic
def add_progress(*, ticket_id: int, by: User | None, text: str, kind: str = ProgressKind.GENERAL,
                 room_code: str | None = None, via: str = "") -> ProgressNote:
    """A room's progress note. R-OWN-FIRST: checks run in parallel — a customer-side check is recorded whenever
    it is made; only the attribution of the cause to the customer side waits for the own-network check."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "progress", ticket)
    if not ticket.is_open:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: no more progress notes",
                                   code="ticket_not_open", params=_state_params(ticket, EventKind.PROGRESS.label))
    text = _require_text(text, "text", "a progress note needs text")
    if kind not in ProgressKind.values:
        raise ValidationFailed.of("kind", f"must be one of {', '.join(ProgressKind.values)}", code="bad_choice")
    room = _room_of(by, ticket)
    if room_code and by is None:
        # R-BCAST: a room's line in the broadcast is that room's own word; a system (an API client without an
        # acting user) belongs to no room and may not speak for one.
        raise NotPermitted(f"{via or 'the system'} acts for no user and may not write progress for room {room_code}")
    if room_code:
        room = Room.objects.filter(code=room_code).first()
        if room is None:
            raise ValidationFailed.of("room", f"unknown room {room_code!r}", code="bad_choice")
        if by is not None and not by.is_superuser and not by.memberships.filter(room=room).exists():
            # R-BCAST: a room's line in the broadcast is that room's own word.
            raise NotPermitted(f"{by.get_username()} may not write progress for room {room_code}")
    note = ProgressNote.objects.create(ticket=ticket, room=room, author=by, kind=kind, text=text)
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.PROGRESS, by=by, via=via, note=text,
                 data={"kind": kind, "room": room.code if room else None})
    return note
