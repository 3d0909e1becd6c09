"""The verbs of customer visits (SPEC §4): the only door to a write.

Views, the API, the admin actions and the Celery task call these. Each locks what it changes,
checks who may, refuses with a domain error from ``tickets.errors`` and writes one immutable
``VisitEvent`` for every change of the visit.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from staff.choices import RoomCode
from staff.models import User
from staff.selectors import duty_engineer
from tickets.choices import AlarmCategory, Outage, Severity, TicketSource, Tier
from tickets.errors import Conflict, NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.models import Customer, FaultTicket
from tickets.permissions import can as can_on_tickets

from . import notify, selectors
from .choices import (
    CallDirection,
    CheckResult,
    DocumentKind,
    DocumentState,
    ParticipantKind,
    ReminderKind,
    ReviewDecision,
    VisitEventKind,
    VisitKind,
    VisitState,
)
from .models import (
    AppointmentCall,
    ChecklistItem,
    ChecklistTemplate,
    CustomerParticipant,
    DocumentReview,
    DocumentTemplate,
    InspectionResult,
    Visit,
    VisitDocument,
    VisitEvent,
    VisitParticipant,
    VisitPolicy,
    VisitProblem,
    VisitReminder,
)

log = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
MAX_REVIEWERS = 2


# --------------------------------------------------------------------------- plumbing
def ensure_may(user: User | None, perm: str) -> None:
    """``by=None`` is the system itself; people need the visits permission (staff/roles.py)."""
    if user is None:
        return
    if not user.is_active or not user.has_perm(f"visits.{perm}"):
        raise NotPermitted(_("%(who)s 没有权限：%(perm)s") % {"who": user.get_username(), "perm": perm})


def _lock(visit_id: int) -> Visit:
    try:
        return Visit.objects.select_for_update(of=("self",)).select_related("customer").get(pk=visit_id)
    except Visit.DoesNotExist:
        raise NotFound(_("拜访 %(id)s 不存在") % {"id": visit_id}) from None


def _record(visit: Visit, *, kind: str, by: User | None, note: str = "", from_state: str = "", to_state: str = "",
            data: dict | None = None, at: datetime | None = None) -> VisitEvent:
    return VisitEvent.objects.create(
        visit=visit, at=at or timezone.now(), actor=by, actor_label=by.get_username() if by else "system",
        kind=kind, from_state=from_state, to_state=to_state, note=note, data=data or {},
    )


def _fail(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", field_errors=errors)


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _aware(value, field: str, errors: dict, *, required: bool = True, not_future: bool = False) -> datetime | None:
    if value is None:
        if required:
            errors.setdefault(field, []).append(_("必填"))
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors.setdefault(field, []).append(_("须为带时区的时间"))
        return None
    if not_future and value > timezone.now() + CLOCK_SKEW:
        errors.setdefault(field, []).append(_("不能晚于当前时间"))
    return value


def _user(user_id, field: str, errors: dict) -> User | None:
    if user_id in (None, ""):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        errors.setdefault(field, []).append(_("用户 %(id)s 不存在或已停用") % {"id": user_id})
    return user


def _require_upcoming(visit: Visit, what: str) -> None:
    if not visit.is_upcoming:
        raise TransitionNotAllowed(_("拜访 %(number)s 已%(state)s，不能%(what)s") % {
            "number": visit.number, "state": visit.get_state_display(), "what": what})


def _require_not_cancelled(visit: Visit, what: str) -> None:
    if visit.state == VisitState.CANCELLED:
        raise TransitionNotAllowed(_("拜访 %(number)s 已取消，不能%(what)s") % {"number": visit.number, "what": what})


def policy_for(tier: str) -> VisitPolicy:
    """The tier's visit policy; the SPEC §4 defaults if an administrator removed the row."""
    policy = VisitPolicy.objects.filter(tier=tier).first()
    if policy is None:
        policy, _created = VisitPolicy.objects.get_or_create(tier=tier, defaults=VisitPolicy.DEFAULTS[Tier(tier)])
    return policy


def _number(visit: Visit) -> str:
    return f"V{timezone.localtime(visit.created_at):%Y%m%d}-{visit.pk:06d}"


# --------------------------------------------------------------------------- planning
@dataclass
class ParticipantIn:
    user_id: int
    kind: str = ""
    lead_id: int | None = None


@transaction.atomic
def create_visit(
    *,
    by: User | None,
    customer_id: int,
    kind: str,
    planned_at: datetime,
    place: str = "",
    owner_id: int | None = None,
    subject: str = "",
    notes: str = "",
    checklist_template_id: int | None = None,
    ticket_ids: list[int] | tuple = (),
    participants: list[ParticipantIn] | tuple = (),
    customer_participants: list[dict] | tuple = (),
) -> Visit:
    """Plan a visit (state ``planned``). A routine inspection gets the active checklist unless one is named;
    a fault review may name the customer's tickets it reviews."""
    ensure_may(by, "add_visit")
    errors: dict[str, list[str]] = {}
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        errors["customer"] = [_("客户 %(id)s 不存在") % {"id": customer_id} if customer_id else _("必填")]
    if kind not in VisitKind.values:
        errors["kind"] = [_("须为以下之一：%(values)s") % {"values": ", ".join(VisitKind.values)}]
    _aware(planned_at, "planned_at", errors)
    owner = _user(owner_id, "owner", errors) if owner_id else by
    template = None
    if checklist_template_id:
        template = ChecklistTemplate.objects.filter(pk=checklist_template_id, active=True).first()
        if template is None:
            errors["checklist_template"] = [_("巡检模板 %(id)s 不存在或未启用") % {"id": checklist_template_id}]
    elif kind == VisitKind.ROUTINE_INSPECTION:
        template = ChecklistTemplate.objects.filter(active=True).order_by("name").first()
    tickets = _tickets_of(customer, kind, ticket_ids, errors)
    _fail(errors)
    now = timezone.now()
    visit = Visit(
        number=f"TMP-{uuid.uuid4().hex[:24]}", customer=customer, kind=kind, subject=_text(subject)[:200],
        planned_at=planned_at, place=_text(place)[:300], owner=owner, notes=_text(notes),
        checklist_template=template, created_by=by, created_at=now,
    )
    visit.save()
    visit.number = _number(visit)
    visit.save(update_fields=["number"])
    if tickets:
        visit.tickets.add(*tickets)
    _record(visit, kind=VisitEventKind.CREATED, by=by, to_state=visit.state, at=now,
            data={"tickets": [t.number for t in tickets]})
    for p in participants:
        _add_participant(visit, by=by, user_id=p.user_id, kind=p.kind, lead_id=p.lead_id)
    for cp in customer_participants:
        _add_customer_participant(visit, name=cp.get("name", ""), title=cp.get("title", ""), phone=cp.get("phone", ""))
    return visit


def _tickets_of(customer: Customer | None, kind: str, ticket_ids, errors: dict) -> list[FaultTicket]:
    ids = [int(i) for i in ticket_ids or ()]
    if not ids:
        return []
    if kind != VisitKind.FAULT_REVIEW:
        errors.setdefault("tickets", []).append(_("只有故障总结拜访关联故障工单"))
        return []
    tickets = list(FaultTicket.objects.filter(pk__in=ids))
    missing = set(ids) - {t.pk for t in tickets}
    if missing:
        errors.setdefault("tickets", []).append(_("工单不存在：%(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))})
    if customer is not None:
        foreign = [t.number for t in tickets if t.customer_id != customer.pk]
        if foreign:
            errors.setdefault("tickets", []).append(
                _("工单不属于该客户：%(numbers)s") % {"numbers": ", ".join(foreign)})
    return tickets


_EDITABLE_UPCOMING = {"subject", "planned_at", "place", "owner_id", "notes", "checklist_template_id", "kind"}
_EDITABLE_ALWAYS = {"notes", "summary"}


@transaction.atomic
def update_visit(*, visit_id: int, by: User | None, **changes) -> Visit:
    """Change a visit's plan while it is ahead of us; afterwards only the notes and the summary."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    allowed = _EDITABLE_UPCOMING | _EDITABLE_ALWAYS if visit.is_upcoming else _EDITABLE_ALWAYS
    refused = sorted(set(changes) - allowed - {"ticket_ids"})
    if refused:
        raise TransitionNotAllowed(_("拜访 %(number)s 已%(state)s，不能修改：%(fields)s") % {
            "number": visit.number, "state": visit.get_state_display(), "fields": ", ".join(refused)})
    errors: dict[str, list[str]] = {}
    if "kind" in changes and changes["kind"] not in VisitKind.values:
        errors["kind"] = [_("须为以下之一：%(values)s") % {"values": ", ".join(VisitKind.values)}]
    if "planned_at" in changes:
        _aware(changes["planned_at"], "planned_at", errors)
    if "owner_id" in changes:
        changes["owner"] = _user(changes.pop("owner_id"), "owner", errors)
    if "checklist_template_id" in changes:
        tid = changes.pop("checklist_template_id")
        changes["checklist_template"] = ChecklistTemplate.objects.filter(pk=tid).first() if tid else None
        if tid and changes["checklist_template"] is None:
            errors["checklist_template"] = [_("巡检模板 %(id)s 不存在") % {"id": tid}]
    tickets = None
    if "ticket_ids" in changes:
        tickets = _tickets_of(visit.customer, changes.get("kind", visit.kind), changes.pop("ticket_ids"), errors)
    _fail(errors)
    for name in ("subject", "place", "notes", "summary"):
        if name in changes:
            changes[name] = _text(changes[name])
    for name, value in changes.items():
        setattr(visit, name, value)
    visit.save()
    if tickets is not None:
        visit.tickets.set(tickets)
        changes["tickets"] = [t.number for t in tickets]
    _record(visit, kind=VisitEventKind.UPDATED, by=by, data={k: str(v) for k, v in changes.items()})
    return visit


# --------------------------------------------------------------------------- participants (R-VISIT-2)
def _is_our_staff(user: User) -> bool:
    return not user.is_vendor_engineer


@transaction.atomic
def add_participant(*, visit_id: int, by: User | None, user_id: int, kind: str = "",
                    lead_id: int | None = None) -> VisitParticipant:
    """R-VISIT-2: our support-room staff, virtual-team members from other rooms, and vendor engineers —
    a vendor engineer only under a named lead who is one of our own staff on this visit."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_not_cancelled(visit, _("增加参加人员"))
    return _add_participant(visit, by=by, user_id=user_id, kind=kind, lead_id=lead_id)


def _add_participant(visit: Visit, *, by, user_id, kind="", lead_id=None) -> VisitParticipant:
    errors: dict[str, list[str]] = {}
    user = _user(user_id, "user", errors)
    if user is None and "user" not in errors:
        errors["user"] = [_("必填")]
    _fail(errors)
    if kind and kind not in ParticipantKind.values:
        raise ValidationFailed.of("kind", _("须为以下之一：%(values)s") % {"values": ", ".join(ParticipantKind.values)})
    rooms = list(user.rooms.all())
    room = None
    if user.is_vendor_engineer:
        if kind and kind != ParticipantKind.VENDOR:
            raise ValidationFailed.of("kind", _("R-VISIT-2：代维人员只能以代维人员身份参加"))
        kind = ParticipantKind.VENDOR
    elif kind == ParticipantKind.VENDOR:
        raise ValidationFailed.of("kind", _("R-VISIT-2：%(user)s 不是代维人员") % {"user": user})
    elif not kind:
        in_support = any(r.code == RoomCode.SERVICE_SUPPORT for r in rooms) or not rooms
        kind = ParticipantKind.STAFF if in_support else ParticipantKind.VIRTUAL_TEAM
    if kind == ParticipantKind.VIRTUAL_TEAM:
        room = next((r for r in rooms if r.code != RoomCode.SERVICE_SUPPORT), None)
    elif kind == ParticipantKind.STAFF:
        room = next((r for r in rooms if r.code == RoomCode.SERVICE_SUPPORT), None)
    lead = None
    if kind == ParticipantKind.VENDOR:
        if not lead_id:
            raise ValidationFailed.of("lead", _("R-VISIT-2：代维人员须在我方指定的带队负责人带领下参加"))
        lead = User.objects.filter(pk=lead_id, is_active=True).first()
        if lead is None:
            raise ValidationFailed.of("lead", _("带队负责人 %(id)s 不存在或已停用") % {"id": lead_id})
        if not _is_our_staff(lead):
            raise ValidationFailed.of("lead", _("R-VISIT-2：带队负责人须为我方人员，不能是代维人员"))
        on_visit = lead.pk == visit.owner_id or visit.participants.filter(user=lead).exists()
        if not on_visit:
            raise ValidationFailed.of("lead", _("R-VISIT-2：带队负责人 %(lead)s 须是本次拜访的负责人或参加人员") % {
                "lead": lead})
    elif lead_id:
        raise ValidationFailed.of("lead", _("只有代维人员需要带队负责人"))
    try:
        with transaction.atomic():
            participant = VisitParticipant.objects.create(visit=visit, user=user, kind=kind, lead=lead, room=room)
    except IntegrityError:
        raise Conflict(_("%(user)s 已在参加人员中") % {"user": user}) from None
    _record(visit, kind=VisitEventKind.PARTICIPANT, by=by, note=str(user),
            data={"user": user.get_username(), "kind": kind, "lead": lead.get_username() if lead else None})
    return participant


@transaction.atomic
def remove_participant(*, participant_id: int, by: User | None) -> None:
    """Take someone off the visit; a lead still leading vendor engineers stays until they are removed."""
    ensure_may(by, "change_visit")
    participant = VisitParticipant.objects.select_related("visit", "user").filter(pk=participant_id).first()
    if participant is None:
        raise NotFound(_("参加人员 %(id)s 不存在") % {"id": participant_id})
    visit = _lock(participant.visit_id)
    if visit.participants.filter(lead=participant.user).exists():
        raise ValidationFailed.of("lead", _("R-VISIT-2：%(user)s 仍带领代维人员，请先移除代维人员") % {
            "user": participant.user})
    participant.delete()
    _record(visit, kind=VisitEventKind.PARTICIPANT, by=by, note=_("移除 %(user)s") % {"user": participant.user})


@transaction.atomic
def add_customer_participant(*, visit_id: int, by: User | None, name: str, title: str = "",
                             phone: str = "") -> CustomerParticipant:
    """R-VISIT-2: the customer's people (name, title, phone)."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_not_cancelled(visit, _("增加参加人员"))
    cp = _add_customer_participant(visit, name=name, title=title, phone=phone)
    _record(visit, kind=VisitEventKind.PARTICIPANT, by=by, note=str(cp), data={"customer_participant": cp.name})
    return cp


def _add_customer_participant(visit: Visit, *, name, title, phone) -> CustomerParticipant:
    name = _text(name)
    if not name:
        raise ValidationFailed.of("name", _("客户参加人员须填写姓名"))
    return CustomerParticipant.objects.create(visit=visit, name=name[:64], title=_text(title)[:64],
                                              phone=_text(phone)[:32])


# --------------------------------------------------------------------------- the appointment call (R-VISIT-1)
@transaction.atomic
def confirm_visit(
    *,
    visit_id: int,
    by: User,
    callee_name: str,
    callee_phone: str,
    confirmed_time: datetime,
    confirmed_place: str,
    confirmed_participants: str,
    contact_left: str,
    called_at: datetime | None = None,
    direction: str = CallDirection.OUTGOING,
    note: str = "",
) -> AppointmentCall:
    """R-VISIT-1: record the appointment call — who called whom and when, the confirmed time, place and
    participants, and the contact details we left — and confirm the visit (planned → confirmed).

    A call on a visit that is already confirmed reschedules it to the newly confirmed time and place.
    """
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_upcoming(visit, _("预约"))
    errors: dict[str, list[str]] = {}
    called_at = called_at or timezone.now()
    _aware(called_at, "called_at", errors, not_future=True)
    _aware(confirmed_time, "confirmed_time", errors)
    values = {
        "callee_name": _text(callee_name), "callee_phone": _text(callee_phone),
        "confirmed_place": _text(confirmed_place), "confirmed_participants": _text(confirmed_participants),
        "contact_left": _text(contact_left),
    }
    messages = {
        "callee_name": _("须记录与客户哪位通话"),
        "callee_phone": _("须记录客户的电话"),
        "confirmed_place": _("须确认拜访地点"),
        "confirmed_participants": _("须确认参加人员"),
        "contact_left": _("须给客户留下我方联系方式"),
    }
    for name, value in values.items():
        if not value:
            errors.setdefault(name, []).append(messages[name])
    if direction not in CallDirection.values:
        errors["direction"] = [_("须为以下之一：%(values)s") % {"values": ", ".join(CallDirection.values)}]
    if by is None:
        errors["caller"] = [_("须记录我方通话人")]
    _fail(errors)
    call = AppointmentCall.objects.create(
        visit=visit, direction=direction, caller=by, called_at=called_at, confirmed_time=confirmed_time,
        callee_name=values["callee_name"][:64], callee_phone=values["callee_phone"][:32],
        confirmed_place=values["confirmed_place"][:300], confirmed_participants=values["confirmed_participants"],
        contact_left=values["contact_left"][:200], note=_text(note),
    )
    from_state = visit.state
    if visit.state == VisitState.PLANNED:
        visit.confirm(planned_at=confirmed_time, place=call.confirmed_place)
    else:
        visit.planned_at, visit.place = confirmed_time, call.confirmed_place
    visit.save()
    _record(visit, kind=VisitEventKind.CONFIRM, by=by, from_state=from_state, to_state=visit.state,
            note=_("与 %(callee)s 电话确认：%(when)s %(place)s") % {
                "callee": call.callee_name, "when": f"{timezone.localtime(confirmed_time):%Y-%m-%d %H:%M}",
                "place": call.confirmed_place},
            data={"call": call.pk, "rule": "R-VISIT-1"})
    return call


@transaction.atomic
def complete_visit(*, visit_id: int, by: User | None, actual_at: datetime | None = None, summary: str = "") -> Visit:
    """Mark the visit done. R-VISIT-1: not without the appointment call; a routine inspection needs every
    checklist item filled in."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    if not can_proceed(visit.complete, check_conditions=False):
        raise TransitionNotAllowed(_("拜访 %(number)s 已%(state)s，不能标记为完成") % {
            "number": visit.number, "state": visit.get_state_display()})
    if not visit.calls.exists():
        raise ValidationFailed.of("appointment_call", _(
            "R-VISIT-1：拜访 %(number)s 尚无预约电话记录（确认时间、地点、参加人员并留下联系方式），不能标记为完成"
        ) % {"number": visit.number})
    if not can_proceed(visit.complete):
        raise ValidationFailed.of("checklist", _("例行巡检须逐项填写巡检表后才能标记为完成"))
    errors: dict[str, list[str]] = {}
    actual_at = actual_at or timezone.now()
    _aware(actual_at, "actual_at", errors, not_future=True)
    _fail(errors)
    from_state = visit.state
    visit.complete(at=actual_at, summary=_text(summary))
    visit.save()
    _record(visit, kind=VisitEventKind.COMPLETE, by=by, from_state=from_state, to_state=visit.state,
            note=visit.summary)
    return visit


@transaction.atomic
def cancel_visit(*, visit_id: int, by: User | None, reason: str) -> Visit:
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_upcoming(visit, _("取消"))
    reason = _text(reason)
    if not reason:
        raise ValidationFailed.of("reason", _("取消拜访须说明原因"))
    from_state = visit.state
    visit.cancel(reason=reason[:300])
    visit.save()
    _record(visit, kind=VisitEventKind.CANCEL, by=by, from_state=from_state, to_state=visit.state, note=reason)
    return visit


# --------------------------------------------------------------------------- problems (R-VISIT-3)
@transaction.atomic
def add_problem(*, visit_id: int, by: User | None, description: str, solved_on_site: bool = False,
                solution: str = "", owner_id: int | None = None, due_date: date | None = None) -> VisitProblem:
    """R-VISIT-3: one problem collected on site — solved on the spot, or given an owner and a due date."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_not_cancelled(visit, _("记录问题"))
    errors: dict[str, list[str]] = {}
    description = _text(description)
    if not description:
        errors["description"] = [_("须描述问题")]
    owner = None
    if not solved_on_site:
        owner = _user(owner_id, "owner", errors)
        if owner is None and "owner" not in errors:
            errors["owner"] = [_("R-VISIT-3：现场未解决的问题须指定跟进责任人")]
        if due_date is None:
            errors["due_date"] = [_("R-VISIT-3：现场未解决的问题须指定跟进期限")]
        elif not isinstance(due_date, date) or isinstance(due_date, datetime):
            errors["due_date"] = [_("须为日期")]
        elif due_date < timezone.localdate():
            errors["due_date"] = [_("跟进期限不能早于今天")]
    _fail(errors)
    problem = VisitProblem.objects.create(
        visit=visit, description=description, solved_on_site=bool(solved_on_site), solution=_text(solution),
        owner=owner, due_date=None if solved_on_site else due_date, created_by=by,
    )
    _record(visit, kind=VisitEventKind.PROBLEM, by=by, note=description[:200],
            data={"problem": problem.pk, "solved_on_site": problem.solved_on_site, "rule": "R-VISIT-3"})
    return problem


@transaction.atomic
def record_follow_up(*, problem_id: int, by: User | None, note: str, close: bool = False,
                     due_date: date | None = None, owner_id: int | None = None) -> VisitProblem:
    """R-VISIT-3: follow-up on an open problem: a note, optionally a new owner or due date, or closing it."""
    ensure_may(by, "change_visit")
    problem = VisitProblem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("问题 %(id)s 不存在") % {"id": problem_id})
    if not problem.open_follow_up:
        raise TransitionNotAllowed(_("该问题已解决或已完成跟进"))
    note = _text(note)
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("须填写跟进情况")]
    if owner_id:
        problem.owner = _user(owner_id, "owner", errors) or problem.owner
    if due_date is not None:
        if due_date < timezone.localdate():
            errors["due_date"] = [_("跟进期限不能早于今天")]
        else:
            problem.due_date = due_date
    _fail(errors)
    stamp = f"{timezone.localtime():%Y-%m-%d %H:%M} {by.get_username() if by else 'system'}"
    problem.follow_up = f"{problem.follow_up}\n[{stamp}] {note}".strip()
    if close:
        problem.closed_at, problem.closed_by = timezone.now(), by
    problem.save()
    _record(problem.visit, kind=VisitEventKind.FOLLOW_UP, by=by, note=note,
            data={"problem": problem.pk, "closed": bool(close)})
    return problem


@transaction.atomic
def raise_problem_ticket(
    *,
    problem_id: int,
    by: User | None,
    title: str = "",
    circuit_id: str = "",
    category: str = AlarmCategory.OTHER,
    severity: str = Severity.MAJOR,
    outage: str = Outage.PARTIAL,
) -> FaultTicket:
    """R-VISIT-3: a problem collected on a visit becomes a fault ticket (source ``visit``), linked both ways:
    the problem keeps the ticket, the ticket reaches the problem through ``visit_problems``.

    Someone who may open tickets opens (and, if they may, dispatches) it themselves; otherwise it enters
    the queue as a ``new`` ticket for the monitoring room to dispatch (SPEC §3.2).
    """
    from tickets.services import create_ticket

    ensure_may(by, "change_visit")
    problem = VisitProblem.objects.select_for_update().select_related("visit__customer").filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("问题 %(id)s 不存在") % {"id": problem_id})
    if problem.ticket_id is not None:
        raise Conflict(_("该问题已转为故障工单 %(number)s") % {"number": problem.ticket.number})
    visit = problem.visit
    creator = by if by is not None and can_on_tickets(by, "create") else None
    occurred_at = min(visit.actual_at or problem.created_at, timezone.now())
    who = str(by) if by else "system"
    ticket = create_ticket(
        by=creator, title=_text(title) or problem.description[:120], occurred_at=occurred_at,
        source=TicketSource.VISIT, customer_id=visit.customer_id, circuit_id=_text(circuit_id),
        category=category, severity=severity, outage=outage, dispatch_now=creator is not None,
        description=_("拜访 %(number)s 收集的问题（%(who)s 记录）：%(text)s") % {
            "number": visit.number, "who": who, "text": problem.description},
    )
    problem.ticket = ticket
    problem.save(update_fields=["ticket"])
    _record(visit, kind=VisitEventKind.PROBLEM_TICKET, by=by, note=ticket.number,
            data={"problem": problem.pk, "ticket": ticket.number, "rule": "R-VISIT-3"})
    return ticket


# --------------------------------------------------------------------------- fault reviews
@transaction.atomic
def link_ticket(*, visit_id: int, by: User | None, ticket_id: int) -> Visit:
    """A fault-review visit names the customer's tickets it reviews."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    errors: dict[str, list[str]] = {}
    tickets = _tickets_of(visit.customer, visit.kind, [ticket_id], errors)
    _fail(errors)
    visit.tickets.add(*tickets)
    _record(visit, kind=VisitEventKind.TICKET_LINKED, by=by, note=tickets[0].number)
    return visit


def propose_fault_review(ticket_id: int, *, at: datetime | None = None) -> Visit | None:
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
    policy = policy_for(ticket.customer.tier)
    day = timezone.localtime(ticket.resolved_at or at).date() + timedelta(days=policy.fault_review_within_days)
    planned_at = timezone.make_aware(datetime.combine(day, time(10, 0)))
    owner = ticket.site_lead or duty_engineer(RoomCode.SERVICE_SUPPORT, at)
    try:
        with transaction.atomic():
            visit = Visit(
                number=f"TMP-{uuid.uuid4().hex[:24]}", customer=ticket.customer, kind=VisitKind.FAULT_REVIEW,
                subject=(_("故障总结：%(number)s %(title)s") % {"number": ticket.number, "title": ticket.title})[:200],
                planned_at=planned_at, owner=owner, proposed_for=ticket, created_at=at,
                notes=_("重要客户全阻故障已修复，系统建议安排故障总结拜访。"),
            )
            visit.save()
            visit.number = _number(visit)
            visit.save(update_fields=["number"])
            visit.tickets.add(ticket)
            _record(visit, kind=VisitEventKind.CREATED, by=None, to_state=visit.state, at=at,
                    note=_("由工单 %(number)s 建议") % {"number": ticket.number}, data={"ticket": ticket.number})
            VisitReminder.objects.create(kind=ReminderKind.FAULT_REVIEW_PROPOSED, visit=visit, sent_at=at)
            transaction.on_commit(lambda: notify.fault_review_proposed(visit, ticket))
    except IntegrityError:
        return Visit.objects.filter(proposed_for=ticket).first()
    return visit


# --------------------------------------------------------------------------- documents (R-VISIT-4)
@transaction.atomic
def create_document(*, visit_id: int, by: User, kind: str, title: str, template_id: int,
                    reviewer_ids: list[int], body: str = "") -> VisitDocument:
    """R-VISIT-4: a document for the customer on the standard template, with one or two reviewers who are
    not its author."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_not_cancelled(visit, _("增加文档"))
    errors: dict[str, list[str]] = {}
    if by is None:
        errors["author"] = [_("须有撰写人")]
    if kind not in DocumentKind.values:
        errors["kind"] = [_("须为以下之一：%(values)s") % {"values": ", ".join(DocumentKind.values)}]
    title = _text(title)
    if not title:
        errors["title"] = [_("必填")]
    template = DocumentTemplate.objects.filter(pk=template_id, active=True).first() if template_id else None
    if template is None:
        errors["template"] = [_("R-VISIT-4：须使用标准模板")]
    elif template.kind != kind:
        errors["template"] = [_("模板“%(name)s”不是%(kind)s模板") % {"name": template.name, "kind": kind}]
    reviewers = _reviewers(reviewer_ids, author=by, errors=errors)
    _fail(errors)
    document = VisitDocument.objects.create(visit=visit, kind=kind, title=title[:200], template=template,
                                            body=body or template.body, author=by)
    DocumentReview.objects.bulk_create([DocumentReview(document=document, reviewer=r) for r in reviewers])
    _record(visit, kind=VisitEventKind.DOCUMENT, by=by, note=title,
            data={"document": document.pk, "reviewers": [r.get_username() for r in reviewers]})
    return document


def _reviewers(reviewer_ids, *, author, errors) -> list[User]:
    ids = list(dict.fromkeys(int(i) for i in reviewer_ids or ()))
    if not 1 <= len(ids) <= MAX_REVIEWERS:
        errors.setdefault("reviewers", []).append(_("R-VISIT-4：须指定一至两名审核人"))
        return []
    if author is not None and author.pk in ids:
        errors.setdefault("reviewers", []).append(_("R-VISIT-4：撰写人不能审核自己的文档"))
    reviewers = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(reviewers) != len(ids):
        errors.setdefault("reviewers", []).append(_("审核人不存在或已停用"))
    if any(r.is_vendor_engineer for r in reviewers):
        errors.setdefault("reviewers", []).append(_("审核人须为我方人员"))
    return reviewers


def _lock_document(document_id: int) -> VisitDocument:
    document = VisitDocument.objects.select_for_update().select_related("visit").filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("文档 %(id)s 不存在") % {"id": document_id})
    return document


@transaction.atomic
def review_document(*, document_id: int, by: User, approve: bool, note: str = "") -> DocumentReview:
    """R-VISIT-4: an assigned reviewer (never the author) approves the document or returns it with a note.
    Once every reviewer approved, it may be sent."""
    ensure_may(by, "change_visit")
    document = _lock_document(document_id)
    if by is not None and by.pk == document.author_id:
        raise NotPermitted(_("R-VISIT-4：撰写人不能审核自己的文档"))
    review = document.reviews.filter(reviewer=by).first() if by is not None else None
    if review is None:
        raise NotPermitted(_("R-VISIT-4：%(who)s 不是该文档的审核人") % {"who": by})
    if document.state != DocumentState.IN_REVIEW or review.decision != ReviewDecision.PENDING:
        raise TransitionNotAllowed(_("文档“%(title)s”当前%(state)s，没有待您审核的内容") % {
            "title": document.title, "state": document.get_state_display()})
    note = _text(note)
    if not approve and not note:
        raise ValidationFailed.of("note", _("退回修改须写明意见"))
    review.decision = ReviewDecision.APPROVED if approve else ReviewDecision.RETURNED
    review.note, review.decided_at = note[:300], timezone.now()
    review.save()
    if document.reviews_complete:
        document.state = DocumentState.APPROVED
        document.save(update_fields=["state"])
    _record(document.visit, kind=VisitEventKind.DOCUMENT, by=by, note=f"{document.title}: {review.decision}",
            data={"document": document.pk, "decision": review.decision, "rule": "R-VISIT-4"})
    return review


@transaction.atomic
def revise_document(*, document_id: int, by: User, body: str, title: str = "") -> VisitDocument:
    """The author revises a returned document; every reviewer reviews it again."""
    ensure_may(by, "change_visit")
    document = _lock_document(document_id)
    if by is None or by.pk != document.author_id:
        raise NotPermitted(_("只有撰写人可以修改文档"))
    if document.state != DocumentState.IN_REVIEW:
        raise TransitionNotAllowed(_("文档“%(title)s”当前%(state)s，不能修改") % {
            "title": document.title, "state": document.get_state_display()})
    document.body = body or document.body
    document.title = _text(title)[:200] or document.title
    document.save(update_fields=["body", "title"])
    document.reviews.update(decision=ReviewDecision.PENDING, note="", decided_at=None)
    _record(document.visit, kind=VisitEventKind.DOCUMENT, by=by, note=_("修改：%(title)s") % {"title": document.title})
    return document


@transaction.atomic
def send_document(*, document_id: int, by: User | None, notice: str, at: datetime | None = None) -> VisitDocument:
    """R-VISIT-4: a document goes to the customer only after its reviews; the customer is told it was sent."""
    ensure_may(by, "change_visit")
    document = _lock_document(document_id)
    if document.state in (DocumentState.SENT, DocumentState.RECEIVED):
        raise TransitionNotAllowed(_("文档“%(title)s”已发送") % {"title": document.title})
    if document.state != DocumentState.APPROVED or not document.reviews_complete:
        raise ValidationFailed.of("reviews", _("R-VISIT-4：文档“%(title)s”须经审核人全部同意后才能发送") % {
            "title": document.title})
    notice = _text(notice)
    if not notice:
        raise ValidationFailed.of("notice", _("R-VISIT-4：须记录如何告知客户文档已发送"))
    document.state, document.sent_at, document.sent_by = DocumentState.SENT, at or timezone.now(), by
    document.sent_notice = notice[:300]
    document.save(update_fields=["state", "sent_at", "sent_by", "sent_notice"])
    _record(document.visit, kind=VisitEventKind.DOCUMENT, by=by, note=_("已发送：%(title)s") % {"title": document.title},
            data={"document": document.pk, "notice": notice, "rule": "R-VISIT-4"})
    return document


@transaction.atomic
def record_document_received(*, document_id: int, by: User | None, notice: str,
                             at: datetime | None = None) -> VisitDocument:
    """R-VISIT-4: the customer confirmed receipt (who, how)."""
    ensure_may(by, "change_visit")
    document = _lock_document(document_id)
    if document.state != DocumentState.SENT:
        raise TransitionNotAllowed(_("文档“%(title)s”当前%(state)s，不能登记客户收到") % {
            "title": document.title, "state": document.get_state_display()})
    notice = _text(notice)
    if not notice:
        raise ValidationFailed.of("notice", _("须记录客户的收到确认（谁、何种方式）"))
    errors: dict[str, list[str]] = {}
    at = at or timezone.now()
    _aware(at, "received_at", errors, not_future=True)
    _fail(errors)
    document.state, document.received_at, document.received_notice = DocumentState.RECEIVED, at, notice[:300]
    document.save(update_fields=["state", "received_at", "received_notice"])
    _record(document.visit, kind=VisitEventKind.DOCUMENT, by=by, note=_("客户已收到：%(title)s") % {
        "title": document.title}, data={"document": document.pk, "notice": notice})
    return document


# --------------------------------------------------------------------------- routine inspection
@transaction.atomic
def record_inspection(*, visit_id: int, by: User | None, results: list[dict]) -> list[InspectionResult]:
    """Fill in the routine-inspection checklist: each item ok / fault / na; a fault needs a note."""
    ensure_may(by, "change_visit")
    visit = _lock(visit_id)
    _require_not_cancelled(visit, _("填写巡检表"))
    if visit.kind != VisitKind.ROUTINE_INSPECTION or visit.checklist_template_id is None:
        raise ValidationFailed.of("checklist", _("只有带巡检模板的例行巡检拜访可以填写巡检表"))
    items = {i.pk: i for i in ChecklistItem.objects.filter(template_id=visit.checklist_template_id)}
    errors: dict[str, list[str]] = {}
    rows = []
    for n, entry in enumerate(results or []):
        item = items.get(int(entry.get("item_id") or 0))
        result, note = entry.get("result"), _text(entry.get("note", ""))
        if item is None:
            errors.setdefault(f"results[{n}].item_id", []).append(_("不是本拜访巡检模板中的检查项"))
            continue
        if result not in CheckResult.values:
            errors.setdefault(f"results[{n}].result", []).append(
                _("须为以下之一：%(values)s") % {"values": ", ".join(CheckResult.values)})
            continue
        if result == CheckResult.FAULT and not note:
            errors.setdefault(f"results[{n}].note", []).append(_("发现故障须填写说明"))
            continue
        rows.append((item, result, note))
    if not rows and not errors:
        errors["results"] = [_("至少填写一项")]
    _fail(errors)
    saved = []
    for item, result, note in rows:
        obj, _created = InspectionResult.objects.update_or_create(
            visit=visit, item=item, defaults={"result": result, "note": note[:300], "recorded_by": by,
                                              "recorded_at": timezone.now()})
        saved.append(obj)
    _record(visit, kind=VisitEventKind.CHECKLIST, by=by, data={r.item_id: r.result for r in saved})
    return saved


# --------------------------------------------------------------------------- reminders
@dataclass
class ReminderRun:
    call_due: int = 0
    follow_up_tomorrow: int = 0
    follow_up_overdue: int = 0

    @property
    def total(self) -> int:
        return self.call_due + self.follow_up_tomorrow + self.follow_up_overdue


def _once(kind: str, *, visit: Visit | None = None, problem: VisitProblem | None = None, send) -> bool:
    """Claim the reminder row and send in one savepoint: a duplicate claim sends nothing."""
    try:
        with transaction.atomic():
            reminder = VisitReminder.objects.create(kind=kind, visit=visit, problem=problem)
            reminder.notification = send()
            reminder.save(update_fields=["notification"])
    except IntegrityError:
        return False
    return True


def send_reminders(*, now: datetime | None = None) -> ReminderRun:
    """R-VISIT-1 / R-VISIT-3 reminders, each at most once: the appointment call not made before a visit,
    a follow-up due tomorrow, a follow-up overdue."""
    now = now or timezone.now()
    run = ReminderRun()
    for visit in selectors.visits_needing_call_reminder(now):
        run.call_due += _once(ReminderKind.CALL_DUE, visit=visit, send=lambda v=visit: notify.call_due(v))
    for problem in selectors.followups_due_tomorrow(now).exclude(reminders__kind=ReminderKind.FOLLOW_UP_TOMORROW):
        run.follow_up_tomorrow += _once(ReminderKind.FOLLOW_UP_TOMORROW, problem=problem,
                                        send=lambda p=problem: notify.follow_up_tomorrow(p))
    for problem in selectors.overdue_followups(now).exclude(reminders__kind=ReminderKind.FOLLOW_UP_OVERDUE):
        run.follow_up_overdue += _once(ReminderKind.FOLLOW_UP_OVERDUE, problem=problem,
                                       send=lambda p=problem: notify.follow_up_overdue(p))
    if run.total:
        log.info("visit reminders: %s", run)
    return run
