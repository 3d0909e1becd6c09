"""Plumbing shared by the ticket services: locking, versions and the event log."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from staff.models import User

from ..errors import Conflict, NotFound
from ..models import FaultTicket, TicketEvent


def actor_label(by: User | None, via: str = "") -> str:
    if by is not None:
        return by.get_username()
    return via or "system"


def lock_ticket(ticket_id: int, *, expected_version: int | None = None) -> FaultTicket:
    """Lock the ticket row for this transaction; refuse a caller who saw an older version."""
    try:
        ticket = FaultTicket.objects.select_for_update(of=("self",)).select_related(
            "customer", "lead_room", "circuit"
        ).get(pk=ticket_id)
    except FaultTicket.DoesNotExist:
        raise NotFound(f"ticket {ticket_id} does not exist") from None
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(
            f"ticket {ticket.number} changed under you: version {ticket.version}, you had {expected_version}"
        )
    return ticket


def save_ticket(ticket: FaultTicket, *fields: str) -> None:
    """Save (the given fields, or the whole row) and bump the version (optimistic locking for API callers).

    Call it with the row locked (``lock_ticket``); ``ConcurrentTransitionMixin`` refuses the save
    if the state changed since the row was read.
    """
    ticket.version += 1
    if fields:
        ticket.save(update_fields=sorted({"version", "updated_at", *fields}))
    else:
        ticket.save()


def record_event(
    ticket: FaultTicket,
    *,
    kind: str,
    by: User | None = None,
    via: str = "",
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        at=at or timezone.now(),
        actor=by,
        actor_label=actor_label(by, via),
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
