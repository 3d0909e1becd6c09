"""The stage transitions of R-CMP-FLOW, each the only door to its stage change.

Every function locks the complaint row, checks who may, refuses a transition that does not start from
the current stage (``TransitionNotAllowed``) or whose guard fails (``ValidationFailed``), saves with a new
version, writes one immutable event, answers the ending stage's deadline and starts the next one's
(R-CMP-LIMITS).
"""
from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from staff.models import User
from tickets.choices import OPEN_STATES, AlarmCategory, Outage, Severity, TicketSource
from tickets.models import FaultTicket
from tickets.services.ingest import open_ticket
from tickets.services.transitions import dispatch

from ..choices import ComplaintStage, CustomerReaction, DeadlineStage, EventKind, Finding, RouteCode, Transition
from ..errors import TransitionNotAllowed, ValidationFailed
from ..models import Complaint, Reply, Route
from ..permissions import ensure_can
from ..workcalendar import WorkCalendar
from . import deadlines
from ._common import actor_label, lock_complaint, record_event, save_complaint

NOTE_MAX = 2000

# R-LEAD-like: which room leads the fault ticket raised from a complaint routed to it.
ROUTE_ALARM_CATEGORY = {
    RouteCode.TRANSPORT: AlarmCategory.TRANSMISSION, RouteCode.DATACOM: AlarmCategory.DATACOM,
    RouteCode.CORE: AlarmCategory.CORE, RouteCode.WIRELESS: AlarmCategory.WIRELESS, RouteCode.POWER: AlarmCategory.POWER,
}


def _require_source(complaint: Complaint, name: str) -> None:
    if not can_proceed(getattr(complaint, name), check_conditions=False):
        raise TransitionNotAllowed(
            f"cannot {name} complaint {complaint.number}: it is {complaint.stage} ({complaint.get_stage_display()})",
            code="complaint_stage",
            params={"number": complaint.number, "state": complaint.get_stage_display(),
                    "action": Transition(name).label if name in Transition.values else name},
        )


def _apply(complaint: Complaint, name: str, *, by, via, at, note="", data=None) -> None:
    from_stage = complaint.stage
    getattr(complaint, name)(at=at)
    save_complaint(complaint)
    record_event(complaint, kind=name, by=by, via=via, from_stage=from_stage, to_stage=complaint.stage,
                 note=note, data=data, at=at)


def _begin(complaint: Complaint, by, action: str) -> None:
    """Permission on the locked complaint, then the stage machine's source."""
    ensure_can(by, action, complaint)
    _require_source(complaint, action)


@transaction.atomic
def sort(*, complaint_id: int, by: User | None, route_to: str, importance: str = "", via: str = "",
         expected_version: int | None = None) -> Complaint:
    """R-CMP-FLOW 接单分拣: accept, classify and route to the responsible room or department."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.SORT)
    route = Route.objects.filter(code=route_to).first() if route_to else None
    if route is None:
        raise ValidationFailed.of("route_to", code="bad_choice", message=f"must be one of {', '.join(RouteCode.values)}")
    if importance and importance != complaint.importance:
        from ..choices import Importance

        if importance not in Importance.values:
            raise ValidationFailed.of("importance", code="bad_choice", message=f"must be one of {', '.join(Importance.values)}")
        complaint.importance = importance
    now = timezone.now()
    complaint.route = route
    _apply(complaint, Transition.SORT, by=by, via=via, at=now, note=route.code,
           data={"route_to": route.code, "importance": complaint.importance})
    deadlines.meet(complaint, DeadlineStage.SORTING, at=now)
    deadlines.start_deadline(complaint, DeadlineStage.ANALYSIS, start=now)
    return complaint


@transaction.atomic
def analyse(*, complaint_id: int, by: User | None, finding: str, note: str = "", other_department: bool = False,
            via: str = "", expected_version: int | None = None) -> Complaint:
    """R-CMP-FLOW 分析定位; R-CMP-FAULT: an equipment fault raises a fault ticket or links the open one."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.ANALYSE)
    if finding not in Finding.values:
        raise ValidationFailed.of("finding", code="bad_choice", message=f"must be one of {', '.join(Finding.values)}")
    if len(note or "") > NOTE_MAX:
        raise ValidationFailed.of("note", f"at most {NOTE_MAX} characters", code="too_long", params={"max": NOTE_MAX})
    now = timezone.now()
    complaint.finding = finding
    complaint.analysis_note = (note or "").strip()
    complaint.other_department = bool(other_department)
    _apply(complaint, Transition.ANALYSE, by=by, via=via, at=now, note=complaint.analysis_note,
           data={"finding": finding, "other_department": complaint.other_department})
    deadlines.meet(complaint, DeadlineStage.ANALYSIS, at=now)
    calendar = WorkCalendar.load()
    deadlines.start_deadline(complaint, DeadlineStage.HANDLING, start=now, calendar=calendar)
    if complaint.other_department and complaint.round == 1:
        # "3 (6)" / "7.5 (12.5)": a plan by another department takes the longer total, from the receipt.
        deadlines.start_deadline(complaint, DeadlineStage.TOTAL, start=complaint.received_at, calendar=calendar)
    if finding == Finding.EQUIPMENT_FAULT:
        _raise_or_link_fault(complaint, by=by, via=via, at=now)
    return complaint


def _raise_or_link_fault(complaint: Complaint, *, by, via, at: datetime) -> None:
    """R-CMP-FAULT: link the open fault ticket on the complaint's circuit, or raise one through the tickets
    service (dispatched at once, as an alarm's would be)."""
    circuit_ref = complaint.circuit.circuit_id if complaint.circuit_id else None
    ticket = None
    if circuit_ref:
        ticket = FaultTicket.objects.filter(circuit_ref=circuit_ref, state__in=OPEN_STATES).first()
    if ticket is not None:
        complaint.fault_ticket = ticket
        save_complaint(complaint, "fault_ticket")
        record_event(complaint, kind=EventKind.FAULT_LINKED, by=by, via=via, at=at, note=ticket.number,
                     data={"ticket": ticket.pk, "number": ticket.number})
        return
    category = ROUTE_ALARM_CATEGORY.get(complaint.route.code if complaint.route_id else "", AlarmCategory.OTHER)
    title = f"{complaint.number} {complaint.get_category_display()}：{complaint.description[:120]}"
    try:
        with transaction.atomic():
            ticket = open_ticket(
                title=title, occurred_at=complaint.received_at, category=category, severity=Severity.MAJOR,
                outage=Outage.PARTIAL, source=TicketSource.COMPLAINT, circuit_ref=circuit_ref,
                circuit=complaint.circuit, customer=complaint.customer, by=None,
                via=f"complaint {complaint.number}",
                description=f"{complaint.description}\n\n{complaint.analysis_note}".strip(),
            )
    except IntegrityError:
        # An alarm opened the circuit's ticket meanwhile (ticket_one_open_per_circuit): link that one.
        ticket = FaultTicket.objects.filter(circuit_ref=circuit_ref, state__in=OPEN_STATES).first()
        if ticket is None:
            raise
        complaint.fault_ticket = ticket
        save_complaint(complaint, "fault_ticket")
        record_event(complaint, kind=EventKind.FAULT_LINKED, by=by, via=via, at=at, note=ticket.number,
                     data={"ticket": ticket.pk, "number": ticket.number})
        return
    if ticket.lead_room_id is not None:
        ticket = dispatch(ticket_id=ticket.pk, by=None, via=f"complaint {complaint.number}")
    complaint.fault_ticket = ticket
    save_complaint(complaint, "fault_ticket")
    record_event(complaint, kind=EventKind.FAULT_RAISED, by=by, via=via, at=at, note=ticket.number,
                 data={"ticket": ticket.pk, "number": ticket.number})


def _fault_restored(complaint: Complaint) -> bool:
    ticket = complaint.fault_ticket
    return ticket is not None and ticket.restored_at is not None


@transaction.atomic
def handle(*, complaint_id: int, by: User | None, note: str = "", via: str = "",
           expected_version: int | None = None) -> Complaint:
    """R-CMP-FLOW 问题处理 done. R-CMP-FAULT: with an equipment fault, only once its fault ticket is restored."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.HANDLE)
    if complaint.finding == Finding.EQUIPMENT_FAULT and not _fault_restored(complaint):
        number = complaint.fault_ticket.number if complaint.fault_ticket_id else "-"
        raise ValidationFailed.of("fault_ticket", f"fault ticket {number} is not restored yet",
                                  code="fault_ticket_not_restored", params={"number": number})
    if len(note or "") > NOTE_MAX:
        raise ValidationFailed.of("note", f"at most {NOTE_MAX} characters", code="too_long", params={"max": NOTE_MAX})
    now = timezone.now()
    complaint.handling_note = (note or "").strip()
    _apply(complaint, Transition.HANDLE, by=by, via=via, at=now, note=complaint.handling_note)
    deadlines.meet(complaint, DeadlineStage.HANDLING, at=now)
    return complaint


@transaction.atomic
def reply(*, complaint_id: int, by: User | None, text: str, customer_reaction: str = "", via: str = "",
          expected_version: int | None = None) -> Complaint:
    """R-CMP-LOOP: the result goes back to the customer; a dissatisfied customer reopens the complaint."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.REPLY)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.of("text", "required: the result told to the customer", code="reply_text_required")
    if customer_reaction and customer_reaction not in CustomerReaction.values:
        raise ValidationFailed.of("customer_reaction", f"must be one of {', '.join(CustomerReaction.values)}",
                                  code="bad_choice")
    now = timezone.now()
    Reply.objects.create(complaint=complaint, round=complaint.round, at=now, by=by, by_label=actor_label(by, via),
                         text=text, customer_reaction=customer_reaction or "")
    _apply(complaint, Transition.REPLY, by=by, via=via, at=now, note=text[:500],
           data={"customer_reaction": customer_reaction or None})
    deadlines.meet(complaint, DeadlineStage.TOTAL, at=now)
    if customer_reaction == CustomerReaction.DISSATISFIED:
        _reopen_locked(complaint, by=by, via=via, at=now, note="R-CMP-LOOP: customer dissatisfied")
    return complaint


@transaction.atomic
def record_reaction(*, complaint_id: int, by: User | None, customer_reaction: str, via: str = "",
                    expected_version: int | None = None) -> Complaint:
    """R-CMP-LOOP: the customer's confirmation or dissatisfaction given after the reply."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    ensure_can(by, "reply", complaint)
    if customer_reaction not in CustomerReaction.values:
        raise ValidationFailed.of("customer_reaction", f"must be one of {', '.join(CustomerReaction.values)}",
                                  code="bad_choice")
    last = complaint.replies.filter(round=complaint.round).order_by("-at", "-id").first()
    if last is None or complaint.stage not in (ComplaintStage.REPLIED, ComplaintStage.CLOSED):
        raise TransitionNotAllowed(f"complaint {complaint.number} has no reply to react to", code="no_reply_to_react",
                                   params={"number": complaint.number})
    Reply.objects.filter(pk=last.pk).update(customer_reaction=customer_reaction)
    if customer_reaction == CustomerReaction.DISSATISFIED:
        _reopen_locked(complaint, by=by, via=via, at=timezone.now(), note="R-CMP-LOOP: customer dissatisfied")
    return complaint


@transaction.atomic
def record_opinion(*, complaint_id: int, by: User | None, opinion: str, via: str = "",
                   expected_version: int | None = None) -> Complaint:
    """R-CMP-REPEAT: the construction department or the responsible room's leader records a clear opinion."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    ensure_can(by, "opinion", complaint)
    opinion = (opinion or "").strip()
    if len(opinion) < 4:
        raise ValidationFailed.of("opinion", "a clear handling opinion is required (at least a few words)",
                                  code="opinion_required")
    now = timezone.now()
    complaint.handling_opinion = opinion
    complaint.opinion_by = by
    complaint.opinion_at = now
    save_complaint(complaint, "handling_opinion", "opinion_by", "opinion_at")
    record_event(complaint, kind=EventKind.OPINION, by=by, via=via, at=now, note=opinion[:500])
    return complaint


@transaction.atomic
def close(*, complaint_id: int, by: User | None, opinion: str = "", via: str = "",
          expected_version: int | None = None) -> Complaint:
    """R-CMP-LOOP: no close without a recorded reply; R-CMP-REPEAT: a repeat complaint needs the opinion."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.CLOSE)
    if opinion and complaint.repeat:
        ensure_can(by, "opinion", complaint)
        complaint.handling_opinion = opinion.strip()
        complaint.opinion_by = by
        complaint.opinion_at = timezone.now()
        record_event(complaint, kind=EventKind.OPINION, by=by, via=via, note=complaint.handling_opinion[:500])
    if not complaint.replies.filter(round=complaint.round).exists():
        raise ValidationFailed.of("reply", f"complaint {complaint.number} has no recorded reply (R-CMP-LOOP)",
                                  code="close_without_reply", params={"number": complaint.number})
    if complaint.repeat and not complaint.handling_opinion.strip():
        raise ValidationFailed.of(
            "opinion", f"complaint {complaint.number} is a repeat complaint: a clear handling opinion is required",
            code="repeat_needs_opinion", params={"number": complaint.number},
        )
    now = timezone.now()
    _apply(complaint, Transition.CLOSE, by=by, via=via, at=now)
    deadlines.cancel_open(complaint, at=now)
    return complaint


def _reopen_locked(complaint: Complaint, *, by, via, at: datetime, note: str) -> None:
    deadlines.cancel_open(complaint, at=at)
    _apply(complaint, Transition.REOPEN, by=by, via=via, at=at, note=note)
    calendar = WorkCalendar.load()
    deadlines.start_deadline(complaint, DeadlineStage.ANALYSIS, start=at, calendar=calendar)
    deadlines.start_deadline(complaint, DeadlineStage.TOTAL, start=at, calendar=calendar)


@transaction.atomic
def reopen(*, complaint_id: int, by: User | None, note: str = "", via: str = "",
           expected_version: int | None = None) -> Complaint:
    """R-CMP-LOOP: the customer is not satisfied: analyse and handle again (a new round of clocks)."""
    complaint = lock_complaint(complaint_id, expected_version=expected_version)
    _begin(complaint, by, Transition.REOPEN)
    _reopen_locked(complaint, by=by, via=via, at=timezone.now(), note=(note or "").strip()[:500])
    return complaint


TRANSITIONS = {
    Transition.SORT: sort, Transition.ANALYSE: analyse, Transition.HANDLE: handle, Transition.REPLY: reply,
    Transition.CLOSE: close, Transition.REOPEN: reopen,
}


def fault_restored(*, ticket_id: int, at: datetime) -> int:
    """R-CMP-FAULT: the fault ticket of an equipment-fault complaint is restored: the complaint's handling is
    met, and a complaint waiting in ``analysed`` moves to ``handled``. Called inside the ticket's transaction."""
    done = 0
    for complaint_id in Complaint.objects.filter(
        fault_ticket_id=ticket_id, stage=ComplaintStage.ANALYSED, finding=Finding.EQUIPMENT_FAULT
    ).values_list("pk", flat=True):
        complaint = lock_complaint(complaint_id)
        if complaint.stage != ComplaintStage.ANALYSED:
            continue
        record_event(complaint, kind=EventKind.FAULT_RESTORED, via="R-CMP-FAULT", at=at,
                     note=complaint.fault_ticket.number, data={"ticket": ticket_id})
        complaint.handling_note = complaint.handling_note or f"fault ticket {complaint.fault_ticket.number} restored"
        _apply(complaint, Transition.HANDLE, by=None, via="R-CMP-FAULT", at=at, note=complaint.handling_note)
        deadlines.meet(complaint, DeadlineStage.HANDLING, at=at)
        done += 1
    return done
