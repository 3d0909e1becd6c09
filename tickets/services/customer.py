"""Talking to the customer (docs/rules.md §3.7, docs/rules.md): R-CUST-UPDATE."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from staff.models import User
from supportdesk.core.errors import TransitionNotAllowed, ValidationFailed

from ..choices import ContactChannel, DeadlineKind, EventKind, TicketState
from ..models import CustomerUpdate
from ..permissions import ensure_can
from . import deadlines
from ._common import lock_ticket, record_event, save_ticket


@transaction.atomic
def record_customer_update(*, ticket_id: int, by: User, contact: str, channel: str, text: str,
                           at: datetime | None = None) -> CustomerUpdate:
    """R-CUST-UPDATE (seed 4.3-3(1) "向客户技术人员通报故障处理的进度"): the support room tells the customer's
    technical contact how the handling goes — who, when, channel, what was said.

    It answers every customer update still owed: one due later is met; one already past due was late and is
    recorded as breached at the time of this update (never as met).
    """
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "customer_update", ticket)
    if ticket.state in (TicketState.CLOSED, TicketState.CANCELLED):
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}", code="ticket_not_open",
                                   params={"number": ticket.number, "state": ticket.get_state_display(),
                                           "action": gettext_lazy("通报客户")})
    errors = {}
    contact, text = (contact or "").strip(), (text or "").strip()
    if not contact:
        errors["contact"] = ["say which customer contact was told"]
    elif len(contact) > 120:
        errors["contact"] = ["at most 120 characters"]
    if channel not in ContactChannel.values:
        errors["channel"] = [f"must be one of {', '.join(ContactChannel.values)}"]
    if not text:
        errors["text"] = ["say what the customer was told"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", field_errors=errors)
    at = at or timezone.now()
    update = CustomerUpdate.objects.create(ticket=ticket, round=ticket.round, by=by, at=at, contact=contact,
                                           channel=channel, text=text)
    owed = deadlines.pending(ticket, DeadlineKind.CUSTOMER_UPDATE)
    late = owed.filter(due_at__lt=at).update(breached_at=at)
    met = owed.filter(due_at__gte=at).update(met_at=at)
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.CUSTOMER_UPDATE, by=by, at=at, note=text[:500],
                 data={"rule": "R-CUST-UPDATE", "contact": contact, "channel": channel, "met": met, "late": late})
    return update
