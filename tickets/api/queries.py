"""The reads behind the ticket endpoints: a fixed number of queries whatever the number of rows."""
from __future__ import annotations

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from customers.choices import TIER_RANK

from ..choices import OPEN_STATES, DeadlineKind
from ..models import (
    Alarm,
    Arrival,
    Broadcast,
    Deadline,
    Escalation,
    Explanation,
    FaultTicket,
    ProgressNote,
    TicketEvent,
    TicketRoom,
)

CLOCK_KINDS = (DeadlineKind.JOINT_HANDLING, DeadlineKind.ARRIVAL)


def _pending_clocks():
    return Deadline.objects.filter(
        kind__in=CLOCK_KINDS, met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True
    )


def tickets() -> QuerySet[FaultTicket]:
    """Tickets with everything the API shows, in R-PRIO order: tier (diamond, gold, normal), then the
    nearest pending deadline, then the oldest fault."""
    next_due = _pending_clocks().filter(ticket=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    return (
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
        .annotate(
            tier_rank=Case(*[When(tier=t, then=Value(r)) for t, r in TIER_RANK.items()], default=Value(9),
                           output_field=IntegerField()),
            next_due_at=Subquery(next_due),
        )
        .order_by("tier_rank", F("next_due_at").asc(nulls_last=True), "occurred_at", "id")
    )


def ticket_summary(ticket_id: int) -> FaultTicket:
    """One ticket with what its summary shows (two queries, whatever its history)."""
    return (
        FaultTicket.objects.select_related("customer", "lead_room")
        .prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.filter(kind__in=CLOCK_KINDS).order_by("due_at", "id"),
                     to_attr="clock_deadlines"),
        )
        .get(pk=ticket_id)
    )


def overdue_condition(now=None) -> Q:
    """An open ticket with a joint-handling or arrival deadline past due and not met, or already breached."""
    now = now or timezone.now()
    late = Deadline.objects.filter(ticket=OuterRef("pk"), kind__in=CLOCK_KINDS, cancelled_at__isnull=True).filter(
        Q(due_at__lt=now, met_at__isnull=True) | Q(breached_at__isnull=False)
    )
    return Q(state__in=OPEN_STATES) & Q(Exists(late))
