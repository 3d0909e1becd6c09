"""Plumbing shared by the ticket services: the core helpers (``supportdesk.core.services``) bound to tickets."""
from __future__ import annotations

from datetime import datetime

from staff.models import User
from supportdesk.core.services import actor_label, check_row_version, lock_row, save_versioned
from supportdesk.core.services import event_row as _event_row

from ..models import FaultTicket, TicketEvent

__all__ = ["actor_label", "check_version", "event_row", "lock_ticket", "record_event", "save_ticket"]


def lock_ticket(ticket_id: int, *, expected_version: int | None = None) -> FaultTicket:
    """Lock the ticket row for this transaction; refuse a caller who saw an older version."""
    return lock_row(
        FaultTicket.objects.select_related("customer", "lead_room", "circuit"), ticket_id,
        expected_version=expected_version, not_found=f"ticket {ticket_id} does not exist",
        conflict="ticket {obj.number} changed under you: version {version}, you had {expected}",
    )


def check_version(ticket: FaultTicket, expected_version: int | None) -> None:
    """Refuse a caller who saw an older version. Call it after the permission check, so that someone who may
    not act on the ticket learns nothing about it (number, version) from a 409."""
    check_row_version(ticket, expected_version,
                      conflict="ticket {obj.number} changed under you: version {version}, you had {expected}")


def save_ticket(ticket: FaultTicket, *fields: str) -> None:
    """Save (the given fields, or the whole row) and bump the version (optimistic locking for API callers).

    Call it with the row locked (``lock_ticket``); ``ConcurrentTransitionMixin`` refuses the save
    if the state changed since the row was read.
    """
    save_versioned(ticket, *fields)


def event_row(
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
    """One event of the ticket's log, not yet written: for a path that inserts its events in one statement."""
    return _event_row(TicketEvent, ticket=ticket, kind=kind, by=by, via=via, from_state=from_state,
                      to_state=to_state, note=note, data=data, at=at)


def record_event(ticket: FaultTicket, **fields) -> TicketEvent:
    """``event_row`` (same keywords) written now."""
    row = event_row(ticket, **fields)
    row.save(force_insert=True)
    return row
