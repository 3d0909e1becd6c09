"""The one place tests make tickets: every ticket is made and moved through the services, as people and NOC
systems make them (``alarm_ticket`` for an alarm's ticket, ``ticket_in(state, crew())`` for a ticket in any
state). ``tests.factories`` makes the rows that need no rule (people, customers, circuits)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from staff.models import User
from tests import factories as f
from tickets import services
from tickets.choices import TicketState
from tickets.models import FaultTicket, TicketEvent

_alarm_numbers = itertools.count(1)


def alarm_in(circuit_id: str, *, alarm_id: str | None = None, category: str = "transmission",
             severity: str = "critical", outage: str = "total", title: str = "LOS on STM-1 port 3",
             raised_at: datetime | None = None, minutes_ago: float = 5, **extra) -> services.AlarmIn:
    """An NMS alarm on ``circuit_id`` raised ``minutes_ago`` (or at ``raised_at``), with a fresh alarm id."""
    return services.AlarmIn(
        alarm_id=alarm_id or f"NMS-TEST-{next(_alarm_numbers):07d}", category=category, severity=severity,
        outage=outage, circuit_id=circuit_id, title=title,
        raised_at=raised_at or timezone.now() - timedelta(minutes=minutes_ago), **extra,
    )


def ingest(circuit_id: str, **kwargs) -> services.IngestResult:
    """``ingest_alarm`` of ``alarm_in(circuit_id, **kwargs)``, ingested when it was raised: the ticket is
    dispatched at once when the circuit is known (docs/rules.md §3.2). Ingesting it when raised keeps R-ESC-1's
    late-ingestion escalation out of tests that are about something else."""
    alarm = alarm_in(circuit_id, **kwargs)
    with time_machine.travel(alarm.raised_at, tick=False):
        return services.ingest_alarm(alarm=alarm)


def alarm_ticket(circuit_id: str | None = None, *, tier: str = "gold", circuit=None, **kwargs) -> FaultTicket:
    """The ticket an alarm opens on ``circuit_id`` (or ``circuit``, or a new circuit of a ``tier`` customer)."""
    if circuit_id is None:
        circuit_id = (circuit or f.CircuitFactory(customer__tier=tier)).circuit_id
    return ingest(circuit_id, **kwargs).ticket


def handed_over() -> int:
    """Every pending delivery marked sent: what the workers would have done with the notifications of tickets
    ingested in the past (``ingest`` travels to the raise time), so a sweep does not hand them over again."""
    from staff.models import Delivery, DeliveryStatus

    return Delivery.objects.filter(status=DeliveryStatus.PENDING).update(status=DeliveryStatus.SENT,
                                                                        sent_at=timezone.now())


def fresh(ticket_or_id) -> FaultTicket:
    """The ticket as stored now (the FSM field is protected, so re-read instead of refresh_from_db)."""
    pk = getattr(ticket_or_id, "pk", ticket_or_id)
    return FaultTicket.objects.get(pk=pk)


def snapshot(ticket_or_id) -> dict:
    """Every column of the ticket row and the number of rows hanging off it."""
    pk = getattr(ticket_or_id, "pk", ticket_or_id)
    row = FaultTicket.objects.filter(pk=pk).values().get()
    ticket = FaultTicket.objects.get(pk=pk)
    row["_counts"] = {
        name: getattr(ticket, name).count()
        for name in ("events", "deadlines", "escalations", "broadcasts", "progress_notes", "involvements",
                     "phone_notifications", "explanations", "site_members", "arrivals", "pre_arrival_checks")
    }
    return row


def event_count(ticket_or_id) -> int:
    return TicketEvent.objects.filter(ticket_id=getattr(ticket_or_id, "pk", ticket_or_id)).count()


@dataclass
class Crew:
    """The people a ticket meets: monitoring, the lead (transport) room, the support room, the manager."""

    op: User
    lead: User
    support: User
    manager: User


def crew() -> Crew:
    return Crew(op=f.monitoring_operator(), lead=f.room_engineer("transport"), support=f.support_engineer(),
                manager=f.support_manager())


def new_ticket(c: Crew, *, tier: str = "normal", outage: str = "total", category: str = "transmission",
               occurred_at: datetime | None = None) -> FaultTicket:
    """A ticket in ``new`` with a matched customer (opened by hand, not yet dispatched)."""
    circuit = f.CircuitFactory(customer__tier=tier)
    return services.create_ticket(
        by=c.op, title="客户来电：专线中断", occurred_at=occurred_at or timezone.now() - timedelta(minutes=10),
        circuit_id=circuit.circuit_id, category=category, outage=outage, dispatch_now=False,
    )


def release_explanation(c: Crew, ticket: FaultTicket) -> None:
    """R-EXPLAIN done properly: drafted by the handling side, approved by the manager, released."""
    drafter = User.objects.get(pk=ticket.site_lead_id) if ticket.site_lead_id else c.support
    exp = services.draft_explanation(ticket_id=ticket.pk, by=drafter, text="光缆被施工挖断，已熔接恢复。")
    services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    services.release_explanation(explanation_id=exp.pk, by=drafter)


def lead_on_site(c: Crew, ticket) -> None:
    """R-SITE-1 / R-SITE-2 done properly: the manager names a support engineer as on-site lead (R-SITE-5), who
    checks in at the customer site."""
    from tickets.services.onsite import site_lead_on_site

    ticket = fresh(ticket)
    if not ticket.site_lead_required or site_lead_on_site(ticket):
        return
    if ticket.site_lead_id is None:
        services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.support.pk)
        ticket = fresh(ticket)
    services.record_arrival(ticket_id=ticket.pk, by=User.objects.get(pk=ticket.site_lead_id), site_kind="customer")


def ticket_in(state: str, c: Crew, *, tier: str = "normal") -> FaultTicket:
    """A ticket brought to ``state`` through the services, the way people would."""
    ticket = new_ticket(c, tier=tier)
    if state == TicketState.NEW:
        return fresh(ticket)
    if state == TicketState.CANCELLED:
        services.cancel(ticket_id=ticket.pk, by=c.op, reason="false_alarm")
        return fresh(ticket)
    services.dispatch(ticket_id=ticket.pk, by=c.op)
    if state == TicketState.DISPATCHED:
        return fresh(ticket)
    services.accept(ticket_id=ticket.pk, by=c.lead)
    if state == TicketState.LEAD_HANDLING:
        return fresh(ticket)
    if state == TicketState.JOINT_HANDLING:
        services.start_joint(ticket_id=ticket.pk, by=c.lead, reason="主导室无法定位")
        return fresh(ticket)
    services.restore(ticket_id=ticket.pk, by=c.lead, note="切换备用路由，业务恢复")
    if state == TicketState.RESTORED:
        return fresh(ticket)
    lead_on_site(c, ticket)
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆被挖断，已熔接")
    if state == TicketState.RESOLVED:
        return fresh(ticket)
    if ticket.important:
        release_explanation(c, fresh(ticket))
    services.close(ticket_id=ticket.pk, by=c.op, customer_reply="客户确认业务恢复")
    assert state == TicketState.CLOSED, state
    return fresh(ticket)
