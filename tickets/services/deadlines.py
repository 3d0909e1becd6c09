"""Deadline rows (docs/rules.md §3.3): created at opening from the ticket's policy snapshot, closed when met."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, Q

from customers.models import EscalationPolicy

from ..choices import DeadlineKind
from ..models import Deadline, FaultTicket

#: R-SITE-2 for a normal customer's ticket a leader flagged "expedite" when no important tier's policy sets an
#: arrival time: the procedure's 2 h (docs/decisions.md).
DEFAULT_IMPORTANT_ARRIVAL = timedelta(hours=2)


def create_clock_deadlines(ticket: FaultTicket, *, start: datetime, skip=()) -> list[Deadline]:
    """R-ESC-1 / R-ESC-3 (joint handling) and R-ESC-2 (arrival) from ``start`` (the occurrence)."""
    return Deadline.objects.bulk_create(clock_deadline_rows(ticket, start=start, skip=skip))


def clock_deadline_rows(ticket: FaultTicket, *, start: datetime, skip=()) -> list[Deadline]:
    """``create_clock_deadlines``' rows, not yet written."""
    rows = []
    if DeadlineKind.JOINT_HANDLING not in skip:
        rows.append(Deadline(
            ticket=ticket, kind=DeadlineKind.JOINT_HANDLING, round=ticket.round,
            due_at=start + ticket.policy_duration("joint_after"),
        ))
    arrival_after = ticket.policy_duration("arrival_after")
    if DeadlineKind.ARRIVAL not in skip and ticket.policy.get("important") and arrival_after is not None:
        rows.append(Deadline(ticket=ticket, kind=DeadlineKind.ARRIVAL, round=ticket.round, due_at=start + arrival_after))
    return rows


def important_arrival_after() -> timedelta:
    """The important customers' arrival time (R-ESC-2; the shortest of the important tiers' policies)."""
    values = [v for v in EscalationPolicy.objects.filter(important=True).values_list("arrival_after", flat=True)
              if v is not None]
    return min(values, default=DEFAULT_IMPORTANT_ARRIVAL)


def ensure_site_lead_deadline(ticket: FaultTicket, *, at: datetime) -> Deadline | None:
    """R-SITE-2: a ticket a centre leader flagged "expedite" gets the on-site lead obligation of R-SITE-1,
    including the breach of a lead not named by the arrival deadline. A ticket whose tier has no arrival clock
    (a normal customer's) gets one: the important customers' arrival time (default 2 h) from the occurrence,
    or the policy's "added room" time (default 1 h) after the flag if that is later (docs/decisions.md).
    The sweep answers it like any arrival row; for such a ticket it judges only the on-site lead."""
    if not ticket.site_lead_required:
        return None
    existing = Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.ARRIVAL, round=ticket.round,
                                       room__isnull=True).first()
    if existing is not None:
        return existing
    within = ticket.policy_duration("added_room_arrival_within") or timedelta(hours=1)
    due_at = max(ticket.occurred_at + important_arrival_after(), at + within)
    row, _ = Deadline.objects.get_or_create(ticket=ticket, kind=DeadlineKind.ARRIVAL, round=ticket.round,
                                            sequence=0, defaults={"due_at": due_at})
    return row


def pending(ticket: FaultTicket, *kinds: str):
    return Deadline.objects.filter(
        ticket=ticket, kind__in=kinds, met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True
    )


def meet_clock_deadlines(ticket: FaultTicket, *, at: datetime) -> int:
    """The fault was restored/resolved.

    R-ESC-1 / R-ESC-3: the joint-handling clock still running is met; one already past due (the sweep had
    not come yet) was breached, and is recorded so, never as met.
    R-ESC-2 (c): an arrival clock not yet due is *cancelled*, not met (an absent room is not on time); one
    already past due stays for the sweep, which judges the arrivals made by its due time.
    """
    joint = pending(ticket, DeadlineKind.JOINT_HANDLING)
    joint.filter(due_at__lt=at).update(breached_at=at)
    met = joint.filter(due_at__gte=at).update(met_at=at)
    pending(ticket, DeadlineKind.ARRIVAL).filter(due_at__gte=at).update(cancelled_at=at)
    return met


def reopen_clock_deadlines(ticket: FaultTicket, *, restored_at: datetime) -> list[Deadline]:
    """R-RESTORE-FIRST: the clocks the failed restore answered (met or cancelled at ``restored_at``) run again,
    still counted from the original occurrence: a row whose due time is past is due at once for the sweep."""
    rows = list(
        Deadline.objects.filter(
            ticket=ticket, round=ticket.round, kind__in=(DeadlineKind.JOINT_HANDLING, DeadlineKind.ARRIVAL),
            breached_at__isnull=True,
        ).filter(Q(met_at=restored_at) | Q(cancelled_at=restored_at))
    )
    Deadline.objects.filter(pk__in=[d.pk for d in rows]).update(met_at=None, cancelled_at=None)
    return rows


def cancel_pending(ticket: FaultTicket, *, at: datetime, kinds=tuple(DeadlineKind.values)) -> int:
    return pending(ticket, *kinds).update(cancelled_at=at)


def schedule_customer_update(ticket: FaultTicket, *, after: datetime, sequence: int) -> Deadline | None:
    """R-CUST-UPDATE: an important customer's technical contact is told within the policy's time (default
    30 min) after a broadcast (``sequence`` = its number) or at restore (numbers from 1,000,000)."""
    if not ticket.important:
        return None
    within = ticket.policy_duration("customer_update_within") or timedelta(minutes=30)
    row, _ = Deadline.objects.get_or_create(ticket=ticket, kind=DeadlineKind.CUSTOMER_UPDATE, round=ticket.round,
                                            sequence=sequence, defaults={"due_at": after + within})
    return row


def schedule_broadcast_slot(ticket: FaultTicket, *, due_at: datetime) -> Deadline:
    """The next hourly broadcast slot (R-BCAST); slots are numbered per ticket across rounds."""
    last = Deadline.objects.filter(ticket=ticket, kind=DeadlineKind.BROADCAST).aggregate(m=Max("sequence"))["m"]
    return Deadline.objects.create(
        ticket=ticket, kind=DeadlineKind.BROADCAST, round=ticket.round, sequence=(last or 0) + 1, due_at=due_at
    )


def customer_update_row(ticket: FaultTicket, *, after: datetime, sequence: int) -> Deadline | None:
    """``schedule_customer_update``'s row, unsaved (R-CUST-UPDATE): written with the other rows of a ticket opened
    in this transaction, or by the sweep with a batch's rows at once, ignoring the ones that exist
    (``deadline_unique_slot``)."""
    if not ticket.important:
        return None
    within = ticket.policy_duration("customer_update_within") or timedelta(minutes=30)
    return Deadline(ticket=ticket, kind=DeadlineKind.CUSTOMER_UPDATE, round=ticket.round, sequence=sequence,
                    due_at=after + within)


def last_broadcast_slots(ticket_ids) -> dict[int, int]:
    """The highest broadcast slot number of each ticket (R-BCAST: slots are numbered per ticket across rounds)."""
    return dict(Deadline.objects.filter(ticket_id__in=list(ticket_ids), kind=DeadlineKind.BROADCAST)
                .order_by().values("ticket_id").annotate(m=Max("sequence")).values_list("ticket_id", "m"))
