"""Where tickets come from (docs/rules.md §3.1): NMS alarms and people; triage; alarm clears; re-routing."""
from __future__ import annotations

import functools
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.choices import Tier
from customers.models import Circuit, Customer
from customers.selectors import policy_for
from staff.models import Room, User, Vendor
from staff.notify import send_many
from staff.selectors import room_by_code
from supportdesk.core import timebounds
from supportdesk.core.errors import Conflict, NotFound, TransitionNotAllowed, ValidationFailed, raise_field_errors
from supportdesk.core.rows import Columns, cache_related, fetch_built, hot_cursor, insert_all
from supportdesk.core.services import in_future

from .. import notify
from ..choices import (
    ACTIVE_FAULT_STATES,
    OPEN_STATES,
    AlarmCategory,
    DeadlineKind,
    DialTestResult,
    EventKind,
    InvolvementRole,
    Outage,
    Severity,
    TicketSource,
    TicketState,
    Transition,
)
from ..models import Alarm, Deadline, DialTest, FaultTicket, TicketEvent, TicketRoom
from ..permissions import ensure_can
from ..selectors import CLOCK_KINDS
from ..signals import ticket_transitioned
from . import deadlines
from ._common import check_version, event_row, lock_ticket, record_event, save_ticket
from .routing import lead_room_code
from .transitions import NewDispatch, can_dispatch_new, dispatch, dispatch_new, escalate_late_ingestion, restore

log = logging.getLogger(__name__)

_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2, Severity.WARNING: 3}
_OUTAGE_RANK = {Outage.TOTAL: 0, Outage.PARTIAL: 1, Outage.NONE: 2}


@dataclass
class AlarmIn:
    """An alarm as a NOC system sends it (CONTRACT.md), already parsed."""

    alarm_id: str
    category: str
    severity: str
    outage: str
    circuit_id: str
    title: str
    raised_at: datetime
    dial_test: dict | None = None
    source: str = ""
    payload: dict = field(default_factory=dict)


@dataclass
class IngestResult:
    alarm: Alarm
    ticket: FaultTicket
    created: bool  # a new ticket was opened for this alarm
    duplicate: bool = False  # this alarm_id was seen before
    correlated: bool = False  # an open ticket on the circuit absorbed it
    refailed: bool = False  # R-RESTORE-FIRST: it hit a restored ticket, which went back to handling


class Refusal(str):
    """A field's error message that also names its stable code (the API's ``errors[].code``)."""

    code: str

    def __new__(cls, message: str, code: str) -> Refusal:
        refusal = super().__new__(cls, message)
        refusal.code = code
        return refusal


ALARM_ID_MAX, CIRCUIT_ID_MAX, TITLE_MAX, DIAL_TEST_DETAIL_MAX = 128, 64, 300, 2000


def alarm_errors(data: AlarmIn, *, now: datetime | None = None) -> dict[str, list[Refusal]]:
    """The one place an alarm's rules live (CONTRACT.md ``POST /api/v1/alarms/``), for the API, Alertmanager,
    the quality warnings and the demo alike: field → refusals (message + code), every wrong field at once.

    The API's serializer checks only the JSON shape and types and then asks this function."""
    now = now or timezone.now()
    errors: dict[str, list[Refusal]] = {}

    def bad(name, code, message):
        errors.setdefault(name, []).append(Refusal(message, code))

    def text(name, value, max_length):
        if value is None:
            bad(name, "required", "This field is required.")
        elif not isinstance(value, str):
            bad(name, "invalid", "Not a valid string.")
        elif not value.strip():
            bad(name, "blank", "This field may not be blank.")
        elif max_length and len(value) > max_length:
            bad(name, "max_length", f"Ensure this field has no more than {max_length} characters.")

    def choice(name, value, choices):
        if value not in choices:
            bad(name, "invalid_choice", f'"{value}" is not a valid choice; one of {", ".join(choices)}.')

    text("alarm_id", data.alarm_id, ALARM_ID_MAX)
    choice("category", data.category, AlarmCategory.values)
    choice("severity", data.severity, Severity.values)
    choice("outage", data.outage, Outage.values)
    text("circuit_id", data.circuit_id, CIRCUIT_ID_MAX)
    text("title", data.title, TITLE_MAX)
    if not isinstance(data.raised_at, datetime):
        bad("raised_at", "required" if data.raised_at is None else "invalid", "An ISO 8601 time is required.")
    elif timezone.is_naive(data.raised_at):
        bad("raised_at", "naive", "An ISO 8601 time with an offset (e.g. +08:00) is required.")
    elif in_future(data.raised_at, now=now):
        bad("raised_at", "future", "is in the future")
    elif data.raised_at < timebounds.EARLIEST:
        bad("raised_at", "too_old", "is before 2000-01-01.")
    if data.dial_test is not None:
        if not isinstance(data.dial_test, dict):
            bad("dial_test", "invalid", 'must be {"result": "pass" | "fail", "detail": "..."}')
        else:
            choice("dial_test.result", data.dial_test.get("result"), DialTestResult.values)
            detail = data.dial_test.get("detail", "")
            if not isinstance(detail, str):
                bad("dial_test.detail", "invalid", "Not a valid string.")
            elif len(detail) > DIAL_TEST_DETAIL_MAX:
                bad("dial_test.detail", "max_length",
                    f"Ensure this field has no more than {DIAL_TEST_DETAIL_MAX} characters.")
    return errors


def validate_alarm(data: AlarmIn, *, now: datetime | None = None) -> None:
    """Every wrong field named at once (``alarm_errors``); nothing is stored when any is wrong."""
    raise_field_errors(alarm_errors(data, now=now))


def _number(ticket: FaultTicket) -> str:
    return f"FT{timezone.localtime(ticket.created_at):%Y%m%d}-{ticket.pk:06d}"


def open_ticket(
    *,
    title: str,
    occurred_at: datetime,
    category: str,
    severity: str,
    outage: str,
    source: str,
    circuit_ref: str | None,
    circuit: Circuit | None,
    customer: Customer | None,
    by: User | None = None,
    via: str = "",
    description: str = "",
) -> FaultTicket:
    """Open a ticket: R-LEAD lead room, the tier's policy snapshot, the deadline rows.

    An earlier ticket on the circuit that is resolved or closed is linked as the one this recurs.
    """
    previous = None
    if circuit_ref:
        # Locked now, not only by the (deferred) foreign-key check at commit: a ``reopen`` of that ticket
        # then waits for this ticket instead of deadlocking with it on ``ticket_one_open_per_circuit``.
        previous = (
            FaultTicket.objects.select_for_update(no_key=True)
            .filter(circuit_ref=circuit_ref, state__in=[TicketState.RESOLVED, TicketState.CLOSED])
            .order_by("-occurred_at").only("pk").first()
        )
    new = _new_ticket(title=title, occurred_at=occurred_at, category=category, severity=severity, outage=outage,
                      source=source, circuit_ref=circuit_ref, circuit=circuit, customer=customer, by=by, via=via,
                      description=description, previous=previous)
    ticket = new.ticket
    ticket.save()
    ticket.number = _number(ticket)
    ticket.save(update_fields=["number"])
    _write(ticket, new.events, [new.lead] if new.lead else [], new.clocks)
    return ticket


@dataclass
class _NewTicket:
    ticket: FaultTicket
    events: list
    lead: TicketRoom | None
    clocks: list


def _new_ticket(*, title, occurred_at, category, severity, outage, source, circuit_ref, circuit, customer, by, via,
                description, previous, ticket_id: int | None = None) -> _NewTicket:
    """A new ticket and its first rows, in memory (R-LEAD lead room, the tier's policy snapshot, the clocks of
    R-ESC-1/2/3 from the occurrence); with ``ticket_id`` (reserved from the id sequence) its number too."""
    tier = customer.tier if customer else Tier.NORMAL
    policy = policy_for(tier)
    lead = room_by_code(lead_room_code(category))
    now = timezone.now()
    ticket = FaultTicket(
        id=ticket_id, number=f"TMP-{uuid.uuid4().hex[:24]}",
        source=source, title=title[:300], description=description,
        customer=customer, circuit=circuit, circuit_ref=circuit_ref or None,
        needs_triage=customer is None, tier=tier, important=policy.important,
        category=category, severity=severity, outage=outage, policy=policy.snapshot(),
        lead_room=lead, occurred_at=occurred_at, reported_by=by, created_at=now, recurrence_of=previous,
    )
    if ticket_id is not None:
        ticket.number = _number(ticket)
    ticket.site_lead_required = site_lead_required(ticket)
    events = [event_row(ticket, kind=EventKind.CREATED, by=by, via=via, to_state=ticket.state, at=now, note=title,
                        data={"source": source, "recurrence_of": previous.pk if previous else None})]
    room = None
    if lead is not None:
        room = TicketRoom(ticket=ticket, room=lead, role=InvolvementRole.LEAD)
        events.append(event_row(ticket, kind=EventKind.LEAD_ROOM_SET, by=by, via=via, at=now, note="R-LEAD",
                                data={"room": lead.code, "category": category}))
    return _NewTicket(ticket, events, room, deadlines.clock_deadline_rows(ticket, start=occurred_at))


def _write(ticket: FaultTicket, events, rooms, deadline_rows) -> None:
    """The rows of a ticket just inserted, one ``INSERT`` per table."""
    insert_all(events)
    insert_all(rooms)
    insert_all(deadline_rows)


def site_lead_required(ticket: FaultTicket) -> bool:
    """R-SITE-1 (important + total outage) and R-SITE-2 (diamond, or a leader's "expedite")."""
    policy = ticket.policy
    if ticket.expedite:
        return True
    if policy.get("site_lead_on_any_fault"):
        return True
    return bool(policy.get("site_lead_on_total_outage")) and ticket.outage == Outage.TOTAL


def ingest_alarm(*, alarm: AlarmIn, via: str = "") -> IngestResult:
    """Take one NMS alarm; never lose it, never duplicate it.

    Idempotent on ``alarm_id``; an open ticket on the same circuit absorbs it; an unknown
    circuit opens a ``new`` ticket marked for triage; a matched customer's ticket is dispatched
    at once (R-DISPATCH-*). Concurrent calls meet at the unique constraints and re-read the winner.

    The result's ticket carries what the answer shows (customer, lead room, ``clock_deadlines``), from what the
    transaction wrote or read. The whole API request of a new alarm of a matched customer is 14 queries, a
    correlated one 6, a duplicate 3 (``tests/bench/test_budgets.py``, docs/performance.md).
    """
    validate_alarm(alarm)
    for attempt in range(5):
        circuit = _circuit_of(alarm)
        existing = _seen(alarm.alarm_id) if circuit is None or circuit.seen_alarm is not None else None
        if existing is not None:
            return IngestResult(alarm=existing, ticket=existing.ticket, created=False, duplicate=True,
                                correlated=existing.correlated, refailed=bool(existing.refailed))
        try:
            with transaction.atomic():
                return _ingest_new(alarm, circuit, via=via)
        except IntegrityError:
            # Another request stored this alarm, or opened the circuit's ticket, first: read it back.
            log.info("ingest race on %s (attempt %s), reading the winner", alarm.alarm_id, attempt + 1)
            continue
    raise Conflict(f"could not store alarm {alarm.alarm_id} after 5 attempts; send it again", code="alarm_retry")


# The ticket's clock deadlines (the answer's ``deadlines``) read with the ticket in one query, on PostgreSQL.
_CLOCKS_SQL = (
    "SELECT json_agg(json_build_array(d.id, d.kind, d.round, d.due_at, d.met_at, d.breached_at, d.cancelled_at)"
    " ORDER BY d.due_at, d.id)::text FROM tickets_deadline d WHERE d.ticket_id = {ticket} AND d.kind IN ({kinds})"
)


def _clocks_column(ticket_column: str) -> RawSQL | None:
    if connection.vendor != "postgresql":
        return None
    kinds = ", ".join(f"'{k}'" for k in CLOCK_KINDS)
    return RawSQL(_CLOCKS_SQL.format(ticket=ticket_column, kinds=kinds), (), output_field=TextField())


def _attach_clocks(ticket: FaultTicket, raw: str | None, *, read: bool) -> None:
    """``ticket.clock_deadlines`` from the column ``_clocks_column`` read, or (``read``) from a query."""
    if read:
        ticket.clock_deadlines = list(Deadline.objects.filter(ticket=ticket, kind__in=CLOCK_KINDS)
                                      .order_by("due_at", "id"))
        return
    stamp = datetime.fromisoformat
    ticket.clock_deadlines = [
        Deadline(id=pk, ticket_id=ticket.pk, kind=kind, round=round_, due_at=stamp(due),
                 met_at=met and stamp(met), breached_at=breached and stamp(breached),
                 cancelled_at=cancelled and stamp(cancelled))
        for pk, kind, round_, due, met, breached, cancelled in json.loads(raw or "[]")
    ]


def _seen(alarm_id: str) -> Alarm | None:
    """The alarm already stored under this id, with its ticket as the answer shows it — one query on PostgreSQL."""
    clocks = _clocks_column('"tickets_alarm"."ticket_id"')
    refailed = Exists(TicketEvent.objects.filter(ticket=OuterRef("ticket_id"), kind=EventKind.REFAIL,
                                                 data__alarm_id=alarm_id))
    qs = Alarm.objects.select_related("ticket__customer", "ticket__lead_room").annotate(refailed=refailed)
    if clocks is not None:
        qs = qs.annotate(clocks=clocks)
    existing = qs.filter(alarm_id=alarm_id).first()
    if existing is not None:
        _attach_clocks(existing.ticket, getattr(existing, "clocks", None), read=clocks is None)
    return existing


def _circuit_of(data: AlarmIn) -> Circuit | None:
    """The alarm's circuit with its customer and maintaining vendor, read before the transaction with what decides
    the path, in one query: ``seen_alarm`` (an alarm already stored under this id, or None), ``ticket_states``
    (0: the circuit has an open ticket, 1: only resolved or closed ones, None: none) and, on PostgreSQL when the
    alarm will likely open a ticket, ``next_ticket_id`` reserved from the id sequence (its number is then known
    before its one INSERT). None for an unknown circuit.

    On PostgreSQL the statement is written once per process (``_circuit_sql``): no ORM compilation per alarm."""
    if connection.vendor == "postgresql":
        sql, *columns = _circuit_sql()
        found = fetch_built(sql, {"circuit": data.circuit_id, "alarm": data.alarm_id}, *columns)
        if found is None:
            return None
        (circuit, customer, vendor), extra = found
        cache_related(circuit, "customer", customer)
        cache_related(circuit, "maintenance_vendor", vendor)
        circuit.seen_alarm, circuit.ticket_states, circuit.next_ticket_id = extra
        return circuit
    qs = (
        Circuit.objects.select_related("customer", "maintenance_vendor").filter(circuit_id=data.circuit_id)
        .annotate(seen_alarm=RawSQL(_SEEN_SQL, (data.alarm_id,), output_field=IntegerField()),
                  ticket_states=RawSQL(_states_sql('"tickets_circuit"."circuit_id"'), (),
                                       output_field=IntegerField()))
    )
    return qs.first()


_SEEN_SQL = "(SELECT a.id FROM tickets_alarm a WHERE a.alarm_id = %s)"


def _states_sql(circuit_column: str) -> str:
    open_states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    circuit_states = ", ".join(f"'{state}'" for state in _CIRCUIT_STATES)
    return (f"(SELECT min(CASE WHEN t.state IN ({open_states}) THEN 0 ELSE 1 END) FROM tickets_faultticket t "
            f"WHERE t.circuit_ref = {circuit_column} AND t.state IN ({circuit_states}))")


@functools.cache
def _circuit_sql():
    """``_circuit_of``'s statement on PostgreSQL and the column lists it reads (circuit, customer, vendor)."""
    circuit, customer, vendor = Columns(Circuit, "c"), Columns(Customer, "k"), Columns(Vendor, "v")
    seen = "(SELECT a.id FROM tickets_alarm a WHERE a.alarm_id = %(alarm)s)"
    states = _states_sql("c.circuit_id")
    sql = (
        f"SELECT {circuit.sql}, {customer.sql}, {vendor.sql}, {seen}, {states}, "
        f"CASE WHEN {seen} IS NULL AND coalesce({states}, 1) = 1 "
        "THEN nextval(pg_get_serial_sequence('tickets_faultticket', 'id')) END "
        f"FROM {Circuit._meta.db_table} c "
        f"LEFT JOIN {Customer._meta.db_table} k ON k.id = c.customer_id "
        f"LEFT JOIN {Vendor._meta.db_table} v ON v.id = c.maintenance_vendor_id "
        "WHERE c.circuit_id = %(circuit)s LIMIT 1"
    )
    return sql, circuit, customer, vendor


def _circuit_ticket(circuit_ref: str) -> FaultTicket | None:
    """The circuit's open ticket, else its latest resolved or closed one (the one a new ticket recurs), locked;
    one query. The open ticket comes with what the answer shows. On PostgreSQL the statement is written once per
    process (``_circuit_ticket_sql``)."""
    if connection.vendor == "postgresql":
        sql, *columns = _circuit_ticket_sql()
        found = fetch_built(sql, {"circuit": circuit_ref}, *columns)
        if found is None:
            return None
        (ticket, customer, room), extra = found
        cache_related(ticket, "customer", customer)
        cache_related(ticket, "lead_room", room)
        ticket.closed, ticket.clocks = extra
        return ticket
    qs = (
        FaultTicket.objects.select_for_update(no_key=True, of=("self",)).select_related("customer", "lead_room")
        .filter(circuit_ref=circuit_ref, state__in=_CIRCUIT_STATES)
        .annotate(closed=Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)))
    )
    return qs.order_by("closed", "-occurred_at").first()


@functools.cache
def _circuit_ticket_sql():
    """``_circuit_ticket``'s statement on PostgreSQL and the column lists it reads (ticket, customer, lead room):
    the ORM's query (select_related, ``FOR NO KEY UPDATE OF`` the ticket) written out."""
    ticket, customer, room = Columns(FaultTicket, "t"), Columns(Customer, "k"), Columns(Room, "r")
    open_states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    circuit_states = ", ".join(f"'{state}'" for state in _CIRCUIT_STATES)
    kinds = ", ".join(f"'{k}'" for k in CLOCK_KINDS)
    sql = (
        f"SELECT {ticket.sql}, {customer.sql}, {room.sql}, "
        f"CASE WHEN t.state IN ({open_states}) THEN 0 ELSE 1 END AS closed, "
        f"({_CLOCKS_SQL.format(ticket='t.id', kinds=kinds)}) "
        f"FROM {FaultTicket._meta.db_table} t "
        f"LEFT JOIN {Customer._meta.db_table} k ON k.id = t.customer_id "
        f"LEFT JOIN {Room._meta.db_table} r ON r.id = t.lead_room_id "
        f"WHERE t.circuit_ref = %(circuit)s AND t.state IN ({circuit_states}) "
        "ORDER BY closed, t.occurred_at DESC LIMIT 1 FOR NO KEY UPDATE OF t"
    )
    return sql, ticket, customer, room


_CIRCUIT_STATES = [*OPEN_STATES, TicketState.RESOLVED, TicketState.CLOSED]


def _ingest_new(data: AlarmIn, circuit: Circuit | None, *, via: str) -> IngestResult:
    """``circuit``: from ``_circuit_of``. A circuit that had no ticket a moment ago has nothing to lock; a ticket
    opened on it since meets this one at ``ticket_one_open_per_circuit`` (the caller reads it back)."""
    found = None
    if circuit is None or circuit.ticket_states is not None:
        found = _circuit_ticket(data.circuit_id)
    if found is not None and found.state in OPEN_STATES:
        return _correlate(found, data, via=via)
    customer = circuit.customer if circuit else None
    new = _new_ticket(
        title=data.title, occurred_at=data.raised_at, category=data.category, severity=data.severity,
        outage=data.outage, source=TicketSource.ALARM, circuit_ref=data.circuit_id, circuit=circuit,
        customer=customer, by=None, via=via, description="", previous=found,
        ticket_id=getattr(circuit, "next_ticket_id", None),
    )
    ticket = new.ticket
    reserved = ticket.pk is not None
    if not reserved:  # no sequence to reserve from (SQLite): the number after the insert
        ticket.save()
        ticket.number = _number(ticket)
    plan = None
    if customer is not None:
        if can_dispatch_new(ticket):
            plan = dispatch_new(ticket, lead=new.lead, by=None, via=via or "auto-dispatch", at=timezone.now())
            ticket.version += plan.saves
        else:
            # The alarm and its ticket are still stored, for monitoring.
            log.warning("automatic dispatch of %s failed: no lead room", ticket.number)
    deadline_rows = new.clocks + (plan.deadlines if plan else [])
    if reserved:
        # The deadlines first (the foreign key is checked at commit), then the ticket's one INSERT with its reserved
        # id: the ticket is written with its nearest deadline (``next_due_at``, tickets/0014) and never updated for it.
        insert_all(deadline_rows)
        deadline_rows = []
        insert_all([ticket])
        ticket._update_initial_state()  # as django-fsm's save() does: later saves check the state just written
    else:
        ticket.save()
    rooms = plan.rooms if plan else [new.lead] if new.lead else []
    events = new.events + (plan.events if plan else [])
    dial = None
    if data.dial_test:
        dial = DialTest(ticket=ticket, result=data.dial_test["result"],
                        detail=str(data.dial_test.get("detail", ""))[:2000])
        events.append(event_row(ticket, kind=EventKind.DIAL_TEST, via=via, note=data.dial_test["result"],
                                data={"alarm_id": data.alarm_id}, at=timezone.now()))
    _write(ticket, events, rooms, deadline_rows)
    alarm = _store_alarm(data, ticket, circuit_id=circuit.pk if circuit else None, correlated=False, via=via)
    if dial is not None:
        dial.save()
    ticket.clock_deadlines = sorted(new.clocks, key=lambda d: (d.due_at, d.pk))
    if plan is not None:
        _dispatched(ticket, plan, via=via)
    return IngestResult(alarm=alarm, ticket=ticket, created=True)


def _store_alarm(data: AlarmIn, ticket: FaultTicket, *, circuit_id, correlated: bool, via: str) -> Alarm:
    alarm = _alarm_row(data, ticket, circuit_id=circuit_id, correlated=correlated, via=via)
    insert_all([alarm])
    return alarm


def _alarm_row(data: AlarmIn, ticket: FaultTicket, *, circuit_id, correlated: bool, via: str) -> Alarm:
    return Alarm(
        alarm_id=data.alarm_id, ticket=ticket, source=data.source or via, category=data.category,
        severity=data.severity, outage=data.outage, circuit_ref=data.circuit_id, circuit_id=circuit_id,
        title=data.title[:300], raised_at=data.raised_at, correlated=correlated, payload=data.payload,
    )


def _dispatched(ticket: FaultTicket, plan: NewDispatch, *, via: str) -> None:
    """The rest of a new ticket's dispatch (docs/rules.md §3.2), its rows built by ``dispatch_new``: the phone
    checklist, broadcast #1, the notifications (the dispatch's and the broadcast's in one ``send_many``, their
    recipients in one query), the receivers of ``ticket_transitioned``; then R-ESC-1 / R-ESC-3 late ingestion: a
    fault whose joint-handling clock ran out before its alarm arrived escalates at once."""
    insert_all(plan.phones)
    if ticket.important:
        concerned, managers = notify.people_of_dispatch([r.pk for r in plan.notified_rooms], vendor_id=ticket.vendor_id)
        messages = [notify.dispatch_message(ticket, concerned)]
        if plan.broadcast is not None:
            insert_all([plan.broadcast])
            messages.append(notify.broadcast_message(ticket, plan.broadcast, concerned + managers))
        send_many(messages)
    else:
        notify.notify_dispatch(ticket, rooms=plan.notified_rooms, duty_engineer=plan.duty_engineer,
                               extra=plan.extra_people, people=plan.room_people)
    ticket_transitioned.send(sender=FaultTicket, ticket=ticket, transition=str(Transition.DISPATCH),
                             source=TicketState.NEW, target=ticket.state, by=None)
    now = timezone.now()
    if ticket.occurred_at + ticket.policy_duration("joint_after") > now:
        return
    joint = [d for d in ticket.clock_deadlines if d.kind == DeadlineKind.JOINT_HANDLING]
    if joint:
        escalate_late_ingestion(ticket, joint[0], by=None, via=via or "auto-dispatch", at=now)
        _attach_clocks(ticket, None, read=True)


def _correlate(ticket: FaultTicket, data: AlarmIn, *, via: str) -> IngestResult:
    """The circuit's open ticket (locked) absorbs the alarm: the alarm, an ``UPDATE`` of the changed columns and
    the event, in one statement on PostgreSQL."""
    alarm = _alarm_row(data, ticket, circuit_id=ticket.circuit_id, correlated=True, via=via)
    refailed = _absorb(ticket, alarm, via=via)
    if data.dial_test:
        DialTest.objects.create(ticket=ticket, result=data.dial_test["result"],
                                detail=str(data.dial_test.get("detail", ""))[:2000])
        record_event(ticket, kind=EventKind.DIAL_TEST, via=via, note=data.dial_test["result"],
                     data={"alarm_id": data.alarm_id})
    # R-RESTORE-FIRST reopens the clocks: read them again then.
    _attach_clocks(ticket, getattr(ticket, "clocks", None), read=refailed or not hasattr(ticket, "clocks"))
    return IngestResult(alarm=alarm, ticket=ticket, created=False, correlated=True, refailed=refailed)


def _absorb(ticket: FaultTicket, alarm: Alarm, *, via: str) -> bool:
    """Correlation: the open ticket takes the alarm (not yet written); a worse outage or severity raises the
    ticket's.

    R-RESTORE-FIRST: a new alarm on a *restored* ticket's circuit means the temporary restore failed: the
    ticket is refailed (returns True)."""
    changed = []
    if _OUTAGE_RANK[alarm.outage] < _OUTAGE_RANK[ticket.outage]:
        ticket.outage = alarm.outage
        changed.append("outage")
    if _SEVERITY_RANK[alarm.severity] < _SEVERITY_RANK[ticket.severity]:
        ticket.severity = alarm.severity
        changed.append("severity")
    if changed:
        required = site_lead_required(ticket)
        if required != ticket.site_lead_required:
            ticket.site_lead_required = required
            changed.append("site_lead_required")
    if ticket.alarm_cleared_at is not None or ticket.restore_proposed_at is not None:
        # An uncleared alarm again: a pending restore proposal is withdrawn; the next clear renews it.
        ticket.alarm_cleared_at = None
        changed.append("alarm_cleared_at")
        if ticket.state in ACTIVE_FAULT_STATES:
            ticket.restore_proposed_at = None
            changed.append("restore_proposed_at")
    event = event_row(ticket, kind=EventKind.ALARM_ABSORBED, via=via, note=alarm.alarm_id, at=timezone.now(),
                      data={"alarm_id": alarm.alarm_id, "outage": alarm.outage, "severity": alarm.severity})
    if ticket.state != TicketState.RESTORED and connection.vendor == "postgresql":
        _write_absorbed(ticket, changed, alarm, event)
        return False
    alarm.save(force_insert=True)
    save_ticket(ticket, *(changed or ["version"]))  # the changed columns only
    event.save(force_insert=True)
    if ticket.state != TicketState.RESTORED:
        return False
    from .transitions import refail_locked

    refail_locked(ticket, by=None, via=via or "alarm", at=timezone.now(), alarm_id=alarm.alarm_id,
                  reason=f"R-RESTORE-FIRST: new alarm {alarm.alarm_id} on circuit {alarm.circuit_ref} "
                         f"after the restore ({alarm.title[:200]})")
    return True


def _insert_sql(obj) -> tuple[str, list]:
    """``INSERT … RETURNING id`` of a new row, with Django's values for it (defaults, ``auto_now_add``, JSON)."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return (f"INSERT INTO {connection.ops.quote_name(obj._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id", params)


def _write_absorbed(ticket: FaultTicket, changed: list[str], alarm: Alarm, event: TicketEvent) -> None:
    """The alarm, the ticket's changed columns (and its version, ``save_ticket``) and the event, in one statement
    (PostgreSQL's data-modifying ``WITH``); the ticket row is locked by this transaction."""
    ticket.version += 1
    ticket.updated_at = timezone.now()
    fields = [FaultTicket._meta.get_field(name) for name in ("version", "updated_at", *changed)]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    alarm_sql, alarm_params = _insert_sql(alarm)
    event_sql, event_params = _insert_sql(event)
    sql = (f"WITH alarm AS ({alarm_sql}), ticket AS (UPDATE tickets_faultticket SET {assignments} "
           f"WHERE id = %s AND state = %s RETURNING id) {event_sql}, (SELECT id FROM alarm), (SELECT id FROM ticket)")
    params = [*alarm_params, *[f.get_db_prep_save(getattr(ticket, f.attname), connection) for f in fields],
              ticket.pk, ticket.state, *event_params]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        event.pk, alarm.pk, updated = cursor.fetchone()
    if updated is None:  # as ``ConcurrentTransitionMixin`` refuses a save whose state changed under it
        raise Conflict(f"ticket {ticket.number} changed under the alarm {alarm.alarm_id}", code="alarm_retry")
    event._state.adding = alarm._state.adding = False
    event._state.db = alarm._state.db = connection.alias


@transaction.atomic
def clear_alarm(*, alarm_id: str, cleared_at: datetime, via: str = "", source: str | None = None) -> Alarm:
    """Record an alarm's clear; when the ticket's last alarm clears, propose restore to the lead room
    (or restore at once where the policy says so). Never closes a ticket; repeating it changes nothing.

    ``source``: the system clearing it; when given, only an alarm that system raised is found (another
    system's alarm is as unknown to it as one never raised). None: anyone allowed to clear any alarm."""
    if not isinstance(cleared_at, datetime) or timezone.is_naive(cleared_at):
        raise ValidationFailed.of("cleared_at", "an ISO 8601 time with an offset is required")
    if in_future(cleared_at):
        raise ValidationFailed.of("cleared_at", "is in the future")
    alarm = Alarm.objects.filter(alarm_id=alarm_id).first()
    if alarm is not None and source is not None and alarm.source != source:
        alarm = None
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} does not exist")
    ticket = lock_ticket(alarm.ticket_id)
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if alarm.cleared_at is not None:
        return alarm
    if cleared_at < alarm.raised_at:
        raise ValidationFailed.of("cleared_at", "is before the alarm was raised")
    alarm.cleared_at = cleared_at
    alarm.save(update_fields=["cleared_at"])
    record_event(ticket, kind=EventKind.ALARM_CLEARED, via=via, note=alarm_id, data={"alarm_id": alarm_id})
    if ticket.alarms.filter(cleared_at__isnull=True).exists():
        save_ticket(ticket)
        return alarm
    ticket.alarm_cleared_at = cleared_at
    if ticket.state in ACTIVE_FAULT_STATES and ticket.restore_proposed_at is None:
        ticket.restore_proposed_at = timezone.now()
        save_ticket(ticket, "alarm_cleared_at", "restore_proposed_at")
        if ticket.policy.get("auto_restore_on_clear") and ticket.state in (
            TicketState.LEAD_HANDLING, TicketState.JOINT_HANDLING
        ):

            restore(ticket_id=ticket.pk, by=None, via=via or "alarm-clear",
                    note=f"告警 {alarm_id} 已清除，按策略自动抢通", at=cleared_at)
        else:
            record_event(ticket, kind=EventKind.RESTORE_PROPOSED, via=via, note=alarm_id)
            notify.notify_restore_proposed(ticket)
    else:
        save_ticket(ticket, "alarm_cleared_at")
    return alarm


@transaction.atomic
def create_ticket(
    *,
    by: User,
    title: str,
    occurred_at: datetime,
    source: str = TicketSource.PHONE,
    customer_id: int | None = None,
    circuit_id: str = "",
    category: str = AlarmCategory.OTHER,
    severity: str = Severity.MAJOR,
    outage: str = Outage.PARTIAL,
    description: str = "",
    dispatch_now: bool = True,
) -> FaultTicket:
    """A monitoring operator opens a ticket by hand (customer phoned, complaint, dial-test failure)."""
    ensure_can(by, "create")
    errors: dict[str, list[str]] = {}
    codes: dict[str, tuple[str, dict]] = {}
    if not title.strip():
        errors["title"] = ["required"]
        codes["title"] = ("required", {})
    if in_future(occurred_at):
        errors["occurred_at"] = ["is in the future"]
        codes["occurred_at"] = ("in_future", {})
    elif occurred_at < timebounds.EARLIEST:
        errors["occurred_at"] = ["is before 2000-01-01"]
        codes["occurred_at"] = ("too_early", {})
    for name, value, choices in (("source", source, TicketSource.values), ("category", category, AlarmCategory.values),
                                 ("severity", severity, Severity.values), ("outage", outage, Outage.values)):
        if value not in choices:
            errors[name] = [f"must be one of {', '.join(choices)}"]
            codes[name] = ("bad_choice", {})
    circuit = None
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer_id and customer is None:
        errors["customer"] = [f"customer {customer_id} does not exist"]
        codes["customer"] = ("not_found", {})
    if circuit_id:
        circuit = Circuit.objects.select_related("customer").filter(circuit_id=circuit_id).first()
        if circuit is None:
            errors["circuit_id"] = [f"unknown circuit {circuit_id}"]
            codes["circuit_id"] = ("unknown_circuit", {"circuit": circuit_id})
        elif customer is not None and circuit.customer_id != customer.pk:
            errors["circuit_id"] = [f"circuit {circuit_id} belongs to {circuit.customer.code}"]
            codes["circuit_id"] = ("circuit_of_other_customer", {"circuit": circuit_id,
                                                                 "customer": circuit.customer.name})
        else:
            customer = circuit.customer
            clash = FaultTicket.objects.filter(circuit_ref=circuit_id, state__in=OPEN_STATES).first()
            if clash is not None:
                errors["circuit_id"] = [f"circuit {circuit_id} already has open ticket {clash.number}"]
                codes["circuit_id"] = ("circuit_has_open_ticket", {"circuit": circuit_id, "number": clash.number})
    if customer is None and "customer" not in errors:
        errors["customer"] = ["choose the customer (or a circuit of theirs)"]
        codes["customer"] = ("choose_customer", {})
    raise_field_errors(errors, codes)
    try:
        with transaction.atomic():
            ticket = open_ticket(
                title=title, occurred_at=occurred_at, category=category, severity=severity, outage=outage,
                source=source, circuit_ref=circuit_id or None, circuit=circuit, customer=customer, by=by,
                description=description,
            )
    except IntegrityError:
        # An alarm opened the circuit's ticket after the check above (ticket_one_open_per_circuit).
        raise ValidationFailed.of("circuit_id", f"circuit {circuit_id} already has an open ticket",
                                  code="circuit_has_open_ticket", params={"circuit": circuit_id, "number": "—"}) from None
    if dispatch_now and by.has_perm("tickets.dispatch_ticket"):

        ticket = dispatch(ticket_id=ticket.pk, by=by)
    return ticket


@transaction.atomic
def match_customer(*, ticket_id: int, by: User | None, customer_id: int, circuit_id: str = "",
                   via: str = "") -> FaultTicket:
    """Triage: an operator matches an unknown-circuit ticket to a customer; its tier's policy applies
    from then on, with the clocks still counted from the fault's occurrence."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "match_customer", ticket)
    if ticket.state != TicketState.NEW:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: only a new ticket is triaged",
                                   code="ticket_state", params={"number": ticket.number,
                                                                "state": ticket.get_state_display(),
                                                                "action": gettext_lazy("匹配客户")})
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ValidationFailed.of("customer", f"customer {customer_id} does not exist", code="not_found")
    circuit = None
    if circuit_id:
        circuit = Circuit.objects.filter(circuit_id=circuit_id, customer=customer).first()
        if circuit is None:
            other = Circuit.objects.select_related("customer").filter(circuit_id=circuit_id).first()
            raise ValidationFailed.of(
                "circuit_id", f"circuit {circuit_id} is not one of {customer.code}'s",
                code="circuit_of_other_customer" if other else "unknown_circuit",
                params={"circuit": circuit_id, "customer": other.customer.name if other else ""})
    policy = policy_for(customer.tier)
    ticket.customer, ticket.circuit, ticket.needs_triage = customer, circuit, False
    ticket.tier, ticket.important, ticket.policy = customer.tier, policy.important, policy.snapshot()
    ticket.site_lead_required = site_lead_required(ticket)
    save_ticket(ticket, "customer", "circuit", "needs_triage", "tier", "important", "policy", "site_lead_required")
    _replace_clock_deadlines(ticket)
    record_event(ticket, kind=EventKind.CUSTOMER_MATCHED, by=by, via=via, note=customer.code,
                 data={"customer": customer.code, "tier": customer.tier})
    return ticket


def _replace_clock_deadlines(ticket: FaultTicket) -> None:

    clocks = Deadline.objects.filter(ticket=ticket, round=ticket.round, kind__in=["joint_handling", "arrival"])
    clocks.filter(met_at__isnull=True, breached_at__isnull=True).delete()
    # A clock that already ran out stays as it was; the others follow the matched customer's tier.
    answered = set(clocks.values_list("kind", flat=True))
    deadlines.create_clock_deadlines(ticket, start=ticket.occurred_at, skip=answered)


@transaction.atomic
def override_lead_room(*, ticket_id: int, by: User | None, room_code: str, reason: str, via: str = "",
                       expected_version: int | None = None) -> FaultTicket:
    """R-LEAD override: monitoring re-routes the ticket to another lead room, with a logged reason."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "override_lead_room", ticket)
    check_version(ticket, expected_version)  # permission first: a 403 never reveals the version
    if ticket.state not in (TicketState.NEW, TicketState.DISPATCHED, TicketState.LEAD_HANDLING):
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: the lead room can no longer change",
                                   code="ticket_state", params={"number": ticket.number,
                                                                "state": ticket.get_state_display(),
                                                                "action": gettext_lazy("改派主导室")})
    if not reason.strip():
        raise ValidationFailed.of("reason", "re-routing needs a reason", code="required")
    if len(reason.strip()) > 300:  # FaultTicket.lead_room_override_reason
        raise ValidationFailed.of("reason", "at most 300 characters", code="too_long", params={"max": 300})
    room = Room.objects.filter(code=room_code).first()
    if room is None:
        raise ValidationFailed.of("lead_room", f"unknown room {room_code!r}")
    if room.pk == ticket.lead_room_id:
        raise ValidationFailed.of("lead_room", f"{room_code} already leads ticket {ticket.number}",
                                  code="room_already_leads", params={"room": str(room), "number": ticket.number})
    old = ticket.lead_room
    ticket.lead_room, ticket.lead_room_override_reason = room, reason.strip()
    save_ticket(ticket, "lead_room", "lead_room_override_reason")
    if old is not None:
        TicketRoom.objects.filter(ticket=ticket, room=old).update(role=InvolvementRole.PROFESSIONAL)
    involvement, _ = TicketRoom.objects.get_or_create(ticket=ticket, room=room,
                                                      defaults={"role": InvolvementRole.LEAD})
    if involvement.role != InvolvementRole.LEAD:
        involvement.role = InvolvementRole.LEAD
        involvement.save(update_fields=["role"])
    record_event(ticket, kind=EventKind.LEAD_ROOM_OVERRIDDEN, by=by, via=via, note=reason,
                 data={"from": old.code if old else None, "to": room.code})
    if ticket.state != TicketState.NEW:
        notify.notify_dispatch(ticket, rooms=[room])
    return ticket
