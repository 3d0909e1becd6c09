"""The questions the pages and the API ask about tickets: the only reads (writes go through ``tickets.services``)."""
from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from customers.choices import Tier
from customers.selectors import tier_rank
from staff.choices import RoomCode
from staff.models import User
from supportdesk.core.errors import NotFound

from .choices import OPEN_STATES, DeadlineKind, EscalationKind, ExplanationState, TicketState
from .models import (
    Alarm,
    Arrival,
    Broadcast,
    DashboardFigures,
    Deadline,
    Escalation,
    Explanation,
    FaultTicket,
    PhoneNotification,
    PreArrivalCheck,
    ProgressNote,
    SiteMember,
    SweepRun,
    TicketEvent,
    TicketRoom,
)
from .permissions import visible_tickets

# A countdown turns to a warning colour this close to its deadline.
DUE_SOON = timedelta(minutes=15)



# The queue orders by the fault's own clocks (and broadcast slots); an owed customer update (R-CUST-UPDATE) has its
# own overdue list on the console and the dashboard.
QUEUE_DEADLINE_KINDS = ("joint_handling", "arrival", "broadcast")


def _pending_deadlines() -> QuerySet:
    return Deadline.objects.filter(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True,
                                   kind__in=QUEUE_DEADLINE_KINDS)


def by_priority(qs: QuerySet) -> QuerySet:
    """R-PRIO, the one ordering of every work queue and of the API's ticket list: diamond before gold before
    normal, then the nearest pending deadline of the queue's kinds (clocks and broadcast slots; none: last), then
    the oldest fault. Annotates ``tier_rank`` and ``next_due``.

    The nearest pending deadline is kept on the ticket row (``FaultTicket.next_due_at``, maintained by the
    database on every write of a deadline row, see migration ``0011_ticket_next_due_at``), so the order is
    read from ``ticket_prio_idx`` (open tickets) or ``ticket_list_prio_idx`` (all), not computed per ticket."""
    return qs.annotate(tier_rank=tier_rank(), next_due=F("next_due_at")).order_by(
        "tier_rank", F("next_due_at").asc(nulls_last=True), "occurred_at", "pk")


def _with_deadline_state(qs: QuerySet) -> QuerySet:
    """R-PRIO order (``next_due``), and ``has_breach``: a deadline of this round was breached."""
    breached = Deadline.objects.filter(ticket=OuterRef("pk"), round=OuterRef("round"),
                                       breached_at__isnull=False).exclude(kind="customer_update")
    return by_priority(qs).annotate(has_breach=Exists(breached))


def open_queue() -> QuerySet:
    """R-PRIO: open tickets, diamond before gold before normal, then the nearest pending deadline first."""
    qs = FaultTicket.objects.filter(state__in=OPEN_STATES).select_related("customer", "lead_room")
    return _with_deadline_state(qs)


def triage_queue() -> QuerySet:
    """Alarm tickets whose circuit is unknown: an operator matches them to a customer (docs/rules.md §3.1)."""
    return FaultTicket.objects.filter(state=TicketState.NEW, needs_triage=True).order_by("occurred_at")


def undispatched() -> QuerySet:
    """New tickets with a customer that still wait for dispatch."""
    return (FaultTicket.objects.filter(state=TicketState.NEW, needs_triage=False)
            .select_related("customer", "lead_room").order_by("occurred_at"))


def pending_phone_calls() -> QuerySet:
    """R-DISPATCH-IMP: checklist lines not yet answered, on tickets still open."""
    return (PhoneNotification.objects.filter(ticket__state__in=OPEN_STATES)
            .exclude(answered=True)
            .select_related("ticket", "ticket__customer", "room")
            .order_by("ticket__occurred_at", "room_id"))


def recent_broadcasts(user=None) -> QuerySet:
    """Status broadcasts, newest first; given a person, only those of the tickets they may see."""
    qs = Broadcast.objects.select_related("ticket", "ticket__customer", "published_by").order_by("-at", "-pk")
    if user is not None:
        qs = qs.filter(ticket__in=visible_tickets(user, FaultTicket.objects.all()))
    return qs


# --------------------------------------------------------------------------- the field engineer
def _worked_on_by(user: User) -> Q:
    room_ids = list(user.memberships.values_list("room_id", flat=True))
    q = (Q(lead_room_id__in=room_ids) | Q(involvements__room_id__in=room_ids) | Q(site_lead=user)
         | Q(site_members__user=user))
    if user.vendor_id:
        q |= Q(vendor_id=user.vendor_id)
    return q


def engineer_tickets(user: User) -> tuple[list[FaultTicket], list[FaultTicket]]:
    """The engineer's own open tickets (accepted, on-site lead or member, checked in) and their rooms' others."""
    ids = set(FaultTicket.objects.filter(state__in=OPEN_STATES).filter(_worked_on_by(user)).values_list("pk", flat=True))
    mine_q = (Q(accepted_by=user) | Q(site_lead=user) | Q(site_members__user=user) | Q(arrivals__user=user)
              | Q(progress_notes__author=user))
    mine_ids = set(FaultTicket.objects.filter(pk__in=ids).filter(mine_q).values_list("pk", flat=True))
    qs = _with_deadline_state(FaultTicket.objects.filter(pk__in=ids).select_related("customer", "lead_room"))
    tickets = list(qs)
    return [t for t in tickets if t.pk in mine_ids], [t for t in tickets if t.pk not in mine_ids]


# --------------------------------------------------------------------------- the ticket page
def ticket_for(user, pk, *, qs: QuerySet | None = None) -> FaultTicket:
    """The ticket ``pk`` if ``user`` may see it (``tickets.permissions.visible_tickets``), else ``NotFound``.

    The one visibility gate of every page, page action and API endpoint about one ticket: a hidden ticket
    answers 404 exactly like a missing one, before any input is read. ``qs`` chooses what is loaded with it.
    """
    ticket = visible_tickets(user, qs if qs is not None else FaultTicket.objects.all()).filter(pk=pk).first()
    if ticket is None:
        raise NotFound(f"ticket {pk} does not exist")
    return ticket


def site_lead_candidates(ticket: FaultTicket, limit: int = 200) -> list[User]:
    """Who may be named on-site lead: people of the involved rooms and the support room, the vendor's engineers."""
    room_ids = {i.room_id for i in ticket.involvements.all()}
    if ticket.lead_room_id:
        room_ids.add(ticket.lead_room_id)
    qs = User.objects.filter(is_active=True).filter(
        Q(memberships__room_id__in=room_ids) | Q(memberships__room__code=RoomCode.SERVICE_SUPPORT)
    )
    if ticket.vendor_id:
        qs = qs | User.objects.filter(is_active=True, vendor_id=ticket.vendor_id)
    return list(qs.distinct().order_by("username")[:limit])


def technical_contact(ticket: FaultTicket):
    """The customer's first technical contact (for the pre-arrival call), or None."""
    return ticket.customer.contacts.filter(is_technical=True).first() if ticket.customer_id else None


def pre_arrival_check_of(ticket: FaultTicket, user) -> PreArrivalCheck | None:
    return ticket.pre_arrival_checks.filter(engineer=user).first()


def arrival_of(ticket: FaultTicket, user) -> Arrival | None:
    """The person's check-in in the ticket's current round, if any."""
    return ticket.arrivals.filter(user=user, round=ticket.round).first()


def ticket_by_number(number: str) -> FaultTicket | None:
    return FaultTicket.objects.filter(number=number).first()


def ticket_for_page(user, pk) -> FaultTicket:
    """``ticket_for`` with what the ticket page shows."""
    return ticket_for(user, pk, qs=FaultTicket.objects.select_related(
        "customer", "circuit", "circuit__a_site", "circuit__z_site", "lead_room", "vendor", "site_lead",
        "accepted_by").prefetch_related(Prefetch("involvements", queryset=TicketRoom.objects.select_related("room"))))


# --------------------------------------------------------------------------- the API's ticket bodies
CLOCK_KINDS = (DeadlineKind.JOINT_HANDLING, DeadlineKind.ARRIVAL)


def ticket_summary(ticket_id: int) -> FaultTicket:
    """One ticket with what its summary (the alarm answer) shows: two queries, whatever its history."""
    return (
        FaultTicket.objects.select_related("customer", "lead_room")
        .prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.filter(kind__in=CLOCK_KINDS).order_by("due_at", "id"),
                     to_attr="clock_deadlines"),
        )
        .get(pk=ticket_id)
    )


def api_tickets(user=None) -> QuerySet:
    """Tickets with everything the API body shows, in R-PRIO order (``by_priority``), a fixed number of queries
    whatever the number of rows; given a person, only the tickets they may see. ``clock_due_at`` is the body's
    ``next_due_at`` field: the nearest pending clock (joint handling, arrival)."""
    clock = _pending_deadlines().filter(ticket=OuterRef("pk"), kind__in=CLOCK_KINDS).order_by("due_at")
    qs = (
        FaultTicket.objects.select_related("customer", "lead_room", "site_lead", "vendor")
        .prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.filter(kind__in=CLOCK_KINDS).order_by("due_at", "id"),
                     to_attr="clock_deadlines"),
            Prefetch("escalations", queryset=Escalation.objects.select_related("room").order_by("at", "id")),
            Prefetch("broadcasts", queryset=Broadcast.objects.order_by("seq")),
            Prefetch("arrivals", queryset=Arrival.objects.select_related("room", "user", "vendor").order_by("at", "id")),
            Prefetch("events", queryset=TicketEvent.objects.order_by("at", "id")),
            Prefetch("involvements", queryset=TicketRoom.objects.select_related("room").order_by("room_id")),
            Prefetch("alarms", queryset=Alarm.objects.order_by("raised_at", "id")),
            Prefetch("progress_notes",
                     queryset=ProgressNote.objects.select_related("room", "author").order_by("at", "id")),
            Prefetch("explanations", queryset=Explanation.objects.select_related(
                "drafted_by", "reviewed_by", "released_by").order_by("drafted_at", "id")),
        )
        .annotate(clock_due_at=Subquery(clock.values("due_at")[:1]))
    )
    if user is not None:
        qs = visible_tickets(user, qs)
    return by_priority(qs)


def overdue_condition(now=None) -> Q:
    """An open ticket with a joint-handling or arrival deadline past due and not met, or already breached."""
    now = now or timezone.now()
    late = Deadline.objects.filter(ticket=OuterRef("pk"), kind__in=CLOCK_KINDS, cancelled_at__isnull=True).filter(
        Q(due_at__lt=now, met_at__isnull=True) | Q(breached_at__isnull=False)
    )
    return Q(state__in=OPEN_STATES) & Q(Exists(late))


def mine_condition(user) -> Q:
    """The person's own tickets: accepted by them, they lead on site, or they are on site."""
    if not isinstance(user, User):  # an API client (NOC token) has no tickets of its own
        return Q(pk__in=[])
    return (Q(accepted_by=user) | Q(site_lead=user)
            | Q(Exists(SiteMember.objects.filter(ticket=OuterRef("pk"), user=user))))


def my_room_condition(user) -> Q:
    """Tickets of the person's rooms: led by one of them, or one of them is involved."""
    if not isinstance(user, User):
        return Q(pk__in=[])
    rooms = list(user.memberships.values_list("room_id", flat=True))
    return Q(lead_room_id__in=rooms) | Q(Exists(TicketRoom.objects.filter(ticket=OuterRef("pk"), room_id__in=rooms)))


def search_condition(text: str) -> Q:
    """Search by ticket number, circuit, customer name (parts of them) or customer code."""
    text = text.strip()
    return (Q(number__icontains=text) | Q(circuit_ref__icontains=text) | Q(customer__name__icontains=text)
            | Q(customer__code__iexact=text))


def breached_since_condition(since: datetime) -> Q:
    """Tickets with a deadline breached at or after ``since`` (any offset; a year outside 2000–2100 reads as
    "ever" or "never")."""
    if since.year < 2000:
        return Q(Exists(Deadline.objects.filter(ticket=OuterRef("pk"), breached_at__isnull=False)))
    if since.year > 2100:
        return Q(pk__in=[])
    since = since.astimezone(UTC)  # PostgreSQL takes offsets of at most ±15:59
    return Q(Exists(Deadline.objects.filter(ticket=OuterRef("pk"), breached_at__gte=since)))


def explanation(pk) -> Explanation | None:
    return Explanation.objects.select_related("ticket").filter(pk=pk).first()


def ticket_explanations(ticket: FaultTicket) -> QuerySet:
    return Explanation.objects.filter(ticket=ticket).select_related(
        "drafted_by", "reviewed_by", "released_by").order_by("drafted_at", "id")


def ticket_phone_notifications(ticket: FaultTicket) -> QuerySet:
    return PhoneNotification.objects.filter(ticket=ticket).select_related("room", "called_by").order_by("room_id")


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # event, deadline, escalation, broadcast, arrival, progress, explanation
    title: str
    body: str = ""
    actor: str = ""
    css: str = ""
    extra: dict = field(default_factory=dict)


def ticket_timeline(ticket: FaultTicket) -> list[TimelineItem]:
    """Everything that happened to the ticket, newest first: events, deadlines, escalations, broadcasts,
    arrivals, progress notes and explanations."""
    from django.utils.translation import gettext as _

    items: list[TimelineItem] = []
    labels = dict(TicketState.choices)
    for e in ticket.events.all():
        change = ""
        if e.to_state and e.from_state != e.to_state:
            change = f"{labels.get(e.from_state, e.from_state or '—')} → {labels.get(e.to_state, e.to_state)}"
        items.append(TimelineItem(e.at, "event", e.get_kind_display(), e.note, e.actor_label, extra={"change": change}))
    for d in ticket.deadlines.all():
        if d.breached_at:
            items.append(TimelineItem(d.breached_at, "deadline", _("%(kind)s 超时") % {"kind": d.get_kind_display()},
                                      _("到期 %(due)s") % {"due": _local(d.due_at)}, css="is-breached"))
        elif d.met_at:
            items.append(TimelineItem(d.met_at, "deadline", _("%(kind)s 达成") % {"kind": d.get_kind_display()},
                                      _("到期 %(due)s") % {"due": _local(d.due_at)}, css="is-met"))
    for x in ticket.escalations.select_related("room"):
        title = x.get_kind_display() + (f" · {x.room}" if x.room_id else "")
        items.append(TimelineItem(x.at, "escalation", title, f"{x.rule} {x.reason}",
                                  css="is-breached" if x.kind == EscalationKind.ARRIVAL_BREACH else "is-warn"))
    for b in ticket.broadcasts.select_related("published_by"):
        items.append(TimelineItem(b.at, "broadcast", _("信息发布 第 %(seq)d 期") % {"seq": b.seq},
                                  b.body, b.published_by.get_username() if b.published_by else "system",
                                  extra={"body_en": b.body_en}))
    for a in ticket.arrivals.select_related("room", "user", "vendor"):
        body = a.get_site_kind_display()
        if a.distance_m is not None:
            body += " · " + _("距站点 %(m)d 米") % {"m": round(a.distance_m)}
        elif a.latitude is None:
            body += " · " + _("未提供定位")
        items.append(TimelineItem(a.at, "arrival", _("到场签到：%(who)s") % {"who": a.room or a.vendor or ""},
                                  body, a.user.get_username(), css="is-met"))
    for p in ticket.progress_notes.select_related("room", "author"):
        items.append(TimelineItem(p.at, "progress", f"{p.get_kind_display()} · {p.room or ''}", p.text,
                                  p.author.get_username() if p.author else ""))
    for x in ticket.explanations.select_related("drafted_by", "reviewed_by"):
        items.append(TimelineItem(x.drafted_at, "explanation", _("故障解释（%(state)s）") % {
            "state": x.get_state_display()}, x.text, x.drafted_by.get_username(),
            extra={"review_note": x.review_note}))
    # Newest first; of two facts at the same instant the later-recorded one comes first.
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda i: (i.at, order[id(i)]), reverse=True)
    return items


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%m-%d %H:%M")


# --------------------------------------------------------------------------- the manager's dashboard
OPEN_STATE_COLUMNS = [s for s in TicketState if s in OPEN_STATES]
TIER_ROWS = [Tier.DIAMOND, Tier.GOLD, Tier.NORMAL]


def open_counts_by_tier_and_state() -> dict:
    """Open tickets by tier × state: ``{"rows": [(tier, [n per state], total)], "totals": [...], "total": n}``."""
    counts = {(r["tier"], r["state"]): r["n"] for r in
              FaultTicket.objects.filter(state__in=OPEN_STATES).values("tier", "state").annotate(n=Count("pk"))}
    rows = []
    for tier in TIER_ROWS:
        cells = [counts.get((tier, s), 0) for s in OPEN_STATE_COLUMNS]
        rows.append({"tier": tier, "label": tier.label, "cells": cells, "total": sum(cells),
                     "pairs": list(zip(OPEN_STATE_COLUMNS, cells, strict=True))})
    totals = [sum(r["cells"][i] for r in rows) for i in range(len(OPEN_STATE_COLUMNS))]
    return {"columns": OPEN_STATE_COLUMNS, "rows": rows, "totals": totals, "total": sum(totals),
            "total_pairs": list(zip(OPEN_STATE_COLUMNS, totals, strict=True)),
            "by_state": dict(zip(OPEN_STATE_COLUMNS, totals, strict=True))}


@dataclass
class RoomStatus:
    room: object
    role: str
    must_arrive: bool
    site_kind: str
    latest: ProgressNote | None
    arrived_at: datetime | None


def joint_handling_tickets(limit: int = 50) -> list[tuple[FaultTicket, list[RoomStatus]]]:
    """Tickets in joint handling (the ``limit`` most important, R-PRIO) with each room's latest progress
    note and arrival (R-ESC-1/2, R-BCAST)."""
    tickets = list(_with_deadline_state(
        FaultTicket.objects.filter(state=TicketState.JOINT_HANDLING).select_related("customer", "lead_room")
    )[:limit])
    ids = [t.pk for t in tickets]
    involvements = TicketRoom.objects.filter(ticket_id__in=ids).select_related("room").order_by("ticket_id", "room_id")
    latest: dict[tuple[int, int], ProgressNote] = {}
    for note in ProgressNote.objects.filter(ticket_id__in=ids).order_by("at", "pk"):
        latest[(note.ticket_id, note.room_id)] = note
    arrived: dict[tuple[int, int], datetime] = {}
    for a in Arrival.objects.filter(ticket_id__in=ids).order_by("at"):
        arrived.setdefault((a.ticket_id, a.room_id), a.at)
    per_ticket: dict[int, list[RoomStatus]] = {pk: [] for pk in ids}
    for inv in involvements:
        key = (inv.ticket_id, inv.room_id)
        per_ticket[inv.ticket_id].append(RoomStatus(
            inv.room, inv.get_role_display(), inv.must_arrive, inv.get_site_kind_display() if inv.site_kind else "",
            latest.get(key), arrived.get(key)))
    return [(t, per_ticket[t.pk]) for t in tickets]


def start_of_day(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def start_of_week(now: datetime | None = None) -> datetime:
    day = start_of_day(now)
    return day - timedelta(days=day.weekday())


def breaches_since(since: datetime, limit: int = 100) -> dict:
    """Arrival breaches (R-ESC-2 escalations) and breached deadline rows since ``since``: the counts,
    and the ``limit`` latest of each to list."""
    arrival_qs = Escalation.objects.filter(kind=EscalationKind.ARRIVAL_BREACH, at__gte=since)
    deadline_qs = Deadline.objects.filter(breached_at__gte=since)
    # Only the columns a list of breaches shows (the ticket's number, customer and vendor; its state, which
    # django-fsm reads as the instance is built): a ticket row is wide.
    arrival = list(arrival_qs.select_related("ticket", "ticket__customer", "ticket__vendor", "room")
                   .only(*_BREACH_ROW, "at", "room", "ticket__vendor__name").order_by("-at")[:limit])
    deadlines = list(deadline_qs.select_related("ticket", "ticket__customer")
                     .only(*_BREACH_ROW, "breached_at", "due_at", "round").order_by("-breached_at")[:limit])
    count = bounded_count(arrival, arrival_qs, limit) + bounded_count(deadlines, deadline_qs, limit)
    return {"arrival": arrival, "deadlines": deadlines, "count": count,
            "listed": len(arrival) + len(deadlines)}


_BREACH_ROW = ("kind", "ticket__number", "ticket__state", "ticket__tier", "ticket__circuit_ref", "ticket__customer__name",
               "ticket__customer__code", "ticket__customer__tier")


def breach_count_since(since: datetime) -> int:
    """How many arrival breaches (R-ESC-2) and breached deadline rows there have been since ``since``."""
    return (Escalation.objects.filter(kind=EscalationKind.ARRIVAL_BREACH, at__gte=since).count()
            + Deadline.objects.filter(breached_at__gte=since).count())


def tier_stats(days: int, now: datetime | None = None) -> list[dict]:
    """Per tier over the last ``days``: tickets opened, median time to restore, share of deadlines met."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    opened = {r["tier"]: r["n"] for r in FaultTicket.objects.filter(occurred_at__gte=since)
              .exclude(state=TicketState.CANCELLED).values("tier").annotate(n=Count("pk"))}
    median_restore = _median_restore_minutes(since)
    dl = {r["ticket__tier"]: r for r in Deadline.objects.filter(due_at__gte=since, due_at__lte=now)
          .values("ticket__tier").annotate(met=Count("pk", filter=Q(met_at__isnull=False)),
                                          breached=Count("pk", filter=Q(breached_at__isnull=False)))}
    rows = []
    for tier in TIER_ROWS:
        d = dl.get(tier, {"met": 0, "breached": 0})
        decided = d["met"] + d["breached"]
        rows.append({
            "tier": tier, "label": tier.label, "tickets": opened.get(tier, 0),
            "median_restore_min": median_restore.get(tier),
            "met": d["met"], "breached": d["breached"],
            "met_share": round(100 * d["met"] / decided) if decided else None,
        })
    return rows


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median is computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _median_restore_minutes(since: datetime) -> dict[str, int]:
    """Median time from occurrence to restore per tier, for tickets that occurred since ``since``."""
    qs = FaultTicket.objects.filter(occurred_at__gte=since, restored_at__isnull=False)
    if connection.vendor == "postgresql":
        rows = qs.values("tier").annotate(m=_Median(ExpressionWrapper(
            F("restored_at") - F("occurred_at"), output_field=DurationField())))
        return {r["tier"]: round(r["m"].total_seconds() / 60) for r in rows if r["m"] is not None}
    minutes: dict[str, list[float]] = {}
    for tier, occurred, restored in qs.values_list("tier", "occurred_at", "restored_at"):
        minutes.setdefault(tier, []).append((restored - occurred).total_seconds() / 60)
    return {tier: round(statistics.median(values)) for tier, values in minutes.items()}


@dataclass
class Series:
    points: list[tuple[datetime, int, int]]  # (time, open, breached)
    start: datetime
    end: datetime
    peak: int


def open_and_breached_series(days: int = 7, step_hours: int = 6, now: datetime | None = None) -> Series:
    """Open and breached tickets sampled every ``step_hours`` over the last ``days`` (for the chart).

    A ticket is open from its occurrence until it is resolved, closed or cancelled; it counts as breached
    from its first breached deadline while it is still open.
    """
    now = now or timezone.now()
    start = now - timedelta(days=days)
    rows = list(FaultTicket.objects.filter(occurred_at__lte=now)
                .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
                .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
                .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=start))
                .annotate(first_breach=Min("deadlines__breached_at"))
                .values_list("occurred_at", "resolved_at", "closed_at", "cancelled_at", "first_breach"))
    spans = []
    for occurred, resolved, closed, cancelled, first_breach in rows:
        ends = [t for t in (resolved, closed, cancelled) if t is not None]
        spans.append((occurred, min(ends) if ends else None, first_breach))
    points = []
    t = start
    step = timedelta(hours=step_hours)
    while True:
        open_n = breached_n = 0
        for occurred, ended, first_breach in spans:
            if occurred <= t and (ended is None or ended > t):
                open_n += 1
                if first_breach is not None and first_breach <= t:
                    breached_n += 1
        points.append((t, open_n, breached_n))
        if t >= now:
            break
        t = min(t + step, now)
    return Series(points, start, now, max([p[1] for p in points] + [1]))


def explanations_awaiting() -> dict:
    """R-EXPLAIN: drafts waiting for the manager's approval, and approved ones not yet released."""
    qs = Explanation.objects.select_related("ticket", "ticket__customer", "drafted_by", "reviewed_by")
    return {
        "drafts": list(qs.filter(state=ExplanationState.DRAFT).order_by("drafted_at")),
        "approved": list(qs.filter(state=ExplanationState.APPROVED).order_by("reviewed_at")),
    }


def sweep_stale_after() -> timedelta:
    return timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)


def last_sweep(now: datetime | None = None) -> dict:
    """When the deadline sweep last finished, and whether that is stale: older than
    ``SWEEP_STALE_AFTER_SECONDS`` (a lost beat), or no sweep at all. The one answer for /health/ and the dashboard."""
    now = now or timezone.now()
    run = SweepRun.objects.order_by("-finished_at").first()
    at = run.finished_at if run else None
    age = None if at is None else now - at
    return {"run": run, "at": at, "age": age, "stale": age is None or age > sweep_stale_after()}


def sweep_is_stale(now: datetime | None = None) -> bool:
    return last_sweep(now)["stale"]


def bounded_count(listed: list, qs: QuerySet, limit: int) -> int:
    """How many rows ``qs`` has, asking the database only when the list was cut at ``limit``."""
    return len(listed) if len(listed) < limit else qs.count()


def breached_open_tickets() -> QuerySet:
    """Open tickets with a breached deadline in this round, most important first (R-PRIO)."""
    return open_queue().filter(has_breach=True)


def overdue_customer_updates(limit: int = 50, now: datetime | None = None) -> list[Deadline]:
    """R-CUST-UPDATE: customer updates owed and not made in time — breached with no update since, or past due
    before the sweep came — on tickets not yet closed, oldest first."""
    from .models import CustomerUpdate

    now = now or timezone.now()
    told_since = CustomerUpdate.objects.filter(ticket=OuterRef("ticket"), at__gte=OuterRef("breached_at"))
    rows = (
        Deadline.objects.filter(kind=DeadlineKind.CUSTOMER_UPDATE, cancelled_at__isnull=True, met_at__isnull=True)
        .exclude(ticket__state__in=[TicketState.CLOSED, TicketState.CANCELLED])
        .filter((Q(breached_at__isnull=False) & ~Exists(told_since)) | Q(breached_at__isnull=True, due_at__lt=now))
        .select_related("ticket", "ticket__customer")
        .order_by("due_at")
    )
    return list(rows[:limit])


DEADLINE_KINDS_SHOWN = (DeadlineKind.JOINT_HANDLING, DeadlineKind.ARRIVAL, DeadlineKind.BROADCAST,
                        DeadlineKind.CUSTOMER_UPDATE)


def deadlines_met_by_kind(days: int, now: datetime | None = None) -> list[dict]:
    """Dashboard: "deadlines met" per deadline kind over the last ``days`` (joint handling, arrival, broadcast,
    customer update), read from the Deadline rows. A cancelled row (R-ESC-2 (c)) counts neither way."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    counts = {r["kind"]: r for r in Deadline.objects.filter(due_at__gte=since, due_at__lte=now)
              .values("kind").annotate(met=Count("pk", filter=Q(met_at__isnull=False)),
                                       breached=Count("pk", filter=Q(breached_at__isnull=False)),
                                       cancelled=Count("pk", filter=Q(cancelled_at__isnull=False)))}
    rows = []
    for kind in DEADLINE_KINDS_SHOWN:
        c = counts.get(kind, {"met": 0, "breached": 0, "cancelled": 0})
        decided = c["met"] + c["breached"]
        rows.append({"kind": kind, "label": DeadlineKind(kind).label, "met": c["met"], "breached": c["breached"],
                     "cancelled": c["cancelled"], "decided": decided,
                     "met_share": round(100 * c["met"] / decided) if decided else None})
    return rows


# --------------------------------------------------------------------------- the dashboard's window figures
WINDOW_FIGURES_KEY = "window"


def compute_window_figures(now: datetime) -> dict:
    """The dashboard's figures over a window of days: tier figures and deadlines met per kind, of 7 and 30 days,
    and the 7-day chart."""
    return {"stats": [(7, tier_stats(7, now)), (30, tier_stats(30, now))],
            "met_by_kind": [(7, deadlines_met_by_kind(7, now)), (30, deadlines_met_by_kind(30, now))],
            "series": open_and_breached_series(days=7, step_hours=6, now=now), "at": now}


def encode_window_figures(figures: dict) -> dict:
    """JSON for ``DashboardFigures.data``."""
    series = figures["series"]
    return {
        "stats": [[days, [{k: v for k, v in row.items() if k != "label"} for row in rows]]
                  for days, rows in figures["stats"]],
        "met_by_kind": [[days, [{k: v for k, v in row.items() if k != "label"} for row in rows]]
                        for days, rows in figures["met_by_kind"]],
        "series": {"points": [[t.isoformat(), o, b] for t, o, b in series.points], "start": series.start.isoformat(),
                   "end": series.end.isoformat(), "peak": series.peak},
    }


def _decode_window_figures(data: dict, at: datetime) -> dict:
    s = data["series"]
    series = Series([(datetime.fromisoformat(t), o, b) for t, o, b in s["points"]],
                    datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), s["peak"])
    stats = [(days, [{**row, "tier": Tier(row["tier"]), "label": Tier(row["tier"]).label} for row in rows])
             for days, rows in data["stats"]]
    met = [(days, [{**row, "kind": DeadlineKind(row["kind"]), "label": DeadlineKind(row["kind"]).label}
                   for row in rows]) for days, rows in data["met_by_kind"]]
    return {"stats": stats, "met_by_kind": met, "series": series, "at": at}


def window_figures(now: datetime | None = None, max_age: timedelta | None = None) -> dict:
    """The dashboard's window figures from the summary row beat keeps (``DashboardFigures``) when it is at most
    ``max_age`` old (setting ``DASHBOARD_FIGURES_MAX_AGE_SECONDS``); computed on the spot otherwise (no beat,
    or a max age of 0). ``at``: when they were computed."""
    from django.conf import settings

    now = now or timezone.now()
    if max_age is None:
        max_age = timedelta(seconds=getattr(settings, "DASHBOARD_FIGURES_MAX_AGE_SECONDS", 0))
    if max_age > timedelta(0):
        row = DashboardFigures.objects.filter(key=WINDOW_FIGURES_KEY, computed_at__gte=now - max_age).first()
        if row is not None:
            return _decode_window_figures(row.data, row.computed_at)
    return compute_window_figures(now)


def changes_since(ticket: FaultTicket, since: datetime, limit: int = 5) -> list:
    """What happened to the ticket after ``since`` (the moment a page was drawn), oldest first."""
    return list(TicketEvent.objects.filter(ticket=ticket, at__gt=since).select_related("actor")
                .order_by("at", "id")[:limit])


def ticket_version(pk: int) -> int:
    return FaultTicket.objects.filter(pk=pk).values_list("version", flat=True).first() or 0


def returned_explanations(user: User, limit: int = 20) -> list:
    """R-EXPLAIN: explanations the person drafted that a manager returned, with no newer draft since,
    on tickets not yet closed: they need the person's attention."""
    newer = Explanation.objects.filter(ticket=OuterRef("ticket"), pk__gt=OuterRef("pk"))
    return list(Explanation.objects.filter(drafted_by=user, state=ExplanationState.RETURNED)
                .exclude(ticket__state__in=[TicketState.CLOSED, TicketState.CANCELLED])
                .exclude(Exists(newer)).select_related("ticket", "reviewed_by").order_by("-reviewed_at")[:limit])


def console_view_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """How many open tickets each console view holds (one query): all, mine, my room, overdue, needs triage,
    and per tier."""
    return FaultTicket.objects.filter(state__in=OPEN_STATES).aggregate(
        all=Count("pk"),
        mine=Count("pk", filter=mine_condition(user)),
        my_room=Count("pk", filter=my_room_condition(user)),
        overdue=Count("pk", filter=overdue_condition(now)),
        needs_triage=Count("pk", filter=Q(needs_triage=True)),
        **{f"tier_{t}": Count("pk", filter=Q(tier=t)) for t in Tier.values},
    )


def ticket_list(user) -> QuerySet:
    """Every ticket the person may see, in R-PRIO order with ``next_due`` and ``has_breach`` (the list page and
    its CSV; the filters narrow it)."""
    return _with_deadline_state(visible_tickets(user, FaultTicket.objects.select_related("customer", "lead_room")))


def ticket_deadlines(ticket: FaultTicket) -> list[Deadline]:
    return list(ticket.deadlines.order_by("due_at", "id"))


def change_marker(*parts) -> str:
    """A short fingerprint of "anything new?" for the polled parts of the pages: the newest ticket event and
    sweep run, and the current minute (countdowns and "updated at"), with the caller's ``parts``."""
    newest_event = TicketEvent.objects.aggregate(n=Max("id"))["n"]
    newest_sweep = SweepRun.objects.aggregate(n=Max("id"))["n"]
    minute = timezone.now().replace(second=0, microsecond=0).isoformat()
    text = "|".join(str(p) for p in (*parts, newest_event, newest_sweep, minute))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


def help_requests_for_attention(user: User, limit: int = 20) -> dict[str, list]:
    """R-HELP on the phone view: the person's own requests still waiting for an answer, and those addressed to
    them (as a room or centre leader) that they have not answered."""
    from staff import help as help_service
    from staff.models import HelpRequest

    mine = list(HelpRequest.objects.filter(asked_by=user, answered_at__isnull=True).select_related("room")
                .order_by("asked_at")[:limit])
    to_answer = list(help_service.unanswered_for(user).order_by("asked_at")[:limit])
    return {"mine": mine, "to_answer": to_answer}
