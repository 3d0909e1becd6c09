"""Fault-review visits: linking tickets, and the proposal after an important customer's total outage."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.choices import RoomCode
from staff.models import User
from staff.selectors import duty_engineer
from tickets.choices import Outage
from tickets.models import FaultTicket

from .. import notify
from ..choices import (
    ReminderKind,
    VisitEventKind,
    VisitKind,
)
from ..models import (
    Visit,
    VisitReminder,
)
from ..selectors import visit_policy_for
from ._common import (
    _fail,
    _lock,
    _number,
    _record,
    ensure_may,
)
from .planning import _tickets_of


# --------------------------------------------------------------------------- fault reviews
@transaction.atomic
def link_ticket(*, visit_id: int, by: User | None, ticket_id: int) -> Visit:
    """A fault-review visit names the customer's tickets it reviews."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    errors: dict[str, list[str]] = {}
    tickets = _tickets_of(visit.customer, visit.kind, [ticket_id], errors)
    _fail(errors)
    visit.tickets.add(*tickets)
    _record(visit, kind=VisitEventKind.TICKET_LINKED, by=by, note=tickets[0].number)
    return visit


def propose_fault_review(*, ticket_id: int, at: datetime | None = None) -> Visit | None:
    """After an important customer's total-outage ticket is resolved, propose a fault-review visit.

    Idempotent: one proposal per ticket (a unique one-to-one, read back if another call won the race).
    Anything else (a normal customer, a partial outage, no customer) proposes nothing.
    """
    ticket = FaultTicket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.customer_id is None or not ticket.important or ticket.outage != Outage.TOTAL:
        return None
    existing = Visit.objects.filter(proposed_for=ticket).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    policy = visit_policy_for(ticket.customer.tier)
    day = timezone.localtime(ticket.resolved_at or at).date() + timedelta(days=policy.fault_review_within_days)
    planned_at = timezone.make_aware(datetime.combine(day, time(10, 0)))
    owner = ticket.site_lead or duty_engineer(RoomCode.SERVICE_SUPPORT, at)
    try:
        with transaction.atomic():
            visit = Visit(
                number=f"TMP-{uuid.uuid4().hex[:24]}",
                customer=ticket.customer,
                kind=VisitKind.FAULT_REVIEW,
                subject=(_("故障总结：%(number)s %(title)s") % {"number": ticket.number, "title": ticket.title})[:200],
                planned_at=planned_at,
                owner=owner,
                proposed_for=ticket,
                created_at=at,
                notes=_("重要客户全阻故障已修复，系统建议安排故障总结拜访。"),
            )
            visit.save()
            visit.number = _number(visit)
            visit.save(update_fields=["number"])
            visit.tickets.add(ticket)
            _record(
                visit,
                kind=VisitEventKind.CREATED,
                by=None,
                to_state=visit.state,
                at=at,
                note=_("由工单 %(number)s 建议") % {"number": ticket.number},
                data={"ticket": ticket.number},
            )
            VisitReminder.objects.create(kind=ReminderKind.FAULT_REVIEW_PROPOSED, visit=visit, sent_at=at)
            notify.fault_review_proposed(visit, ticket)
    except IntegrityError:
        return Visit.objects.filter(proposed_for=ticket).first()
    return visit
