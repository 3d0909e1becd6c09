"""Planning and recording a visit: the plan, participants (R-VISIT-2), the appointment call (R-VISIT-1),
completion, cancellation and the routine-inspection checklist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer
from staff.choices import RoomCode
from staff.models import User
from supportdesk.core.errors import Conflict, NotFound, TransitionNotAllowed, ValidationFailed, label_for
from tickets.models import FaultTicket

from ..choices import (
    CallDirection,
    CheckResult,
    ParticipantKind,
    VisitEventKind,
    VisitKind,
    VisitState,
)
from ..models import (
    AppointmentCall,
    ChecklistItem,
    ChecklistTemplate,
    CustomerParticipant,
    InspectionResult,
    Visit,
    VisitParticipant,
)
from ._common import (
    _aware,
    _fail,
    _lock,
    _number,
    _record,
    _require_not_cancelled,
    _require_upcoming,
    _save,
    _text,
    _user,
    ensure_may,
)


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
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        customer=customer,
        kind=kind,
        subject=_text(subject)[:200],
        planned_at=planned_at,
        place=_text(place)[:300],
        owner=owner,
        notes=_text(notes),
        checklist_template=template,
        created_by=by,
        created_at=now,
    )
    visit.save()
    visit.number = _number(visit)
    visit.save(update_fields=["number"])
    if tickets:
        visit.tickets.add(*tickets)
    _record(
        visit, kind=VisitEventKind.CREATED, by=by, to_state=visit.state, at=now, data={"tickets": [t.number for t in tickets]}
    )
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
            errors.setdefault("tickets", []).append(_("工单不属于该客户：%(numbers)s") % {"numbers": ", ".join(foreign)})
    return tickets


_EDITABLE_UPCOMING = {"subject", "planned_at", "place", "owner_id", "notes", "checklist_template_id", "kind"}
_EDITABLE_ALWAYS = {"notes", "summary"}


class _Unchanged:
    def __repr__(self):
        return "UNCHANGED"


UNCHANGED = _Unchanged()  # a field the caller does not change


@transaction.atomic
def update_visit(
    *,
    visit_id: int,
    by: User | None,
    expected_version: int | None = None,
    kind=UNCHANGED,
    subject=UNCHANGED,
    planned_at=UNCHANGED,
    place=UNCHANGED,
    owner_id=UNCHANGED,
    checklist_template_id=UNCHANGED,
    notes=UNCHANGED,
    summary=UNCHANGED,
    ticket_ids=UNCHANGED,
) -> Visit:
    """Change a visit's plan while it is ahead of us; afterwards only the notes and the summary.

    Only the fields given change. ``expected_version`` (the version the editor saw) refuses the change with
    ``Conflict`` when someone else changed the visit in between.
    """
    given = dict(kind=kind, subject=subject, planned_at=planned_at, place=place, owner_id=owner_id,
                 checklist_template_id=checklist_template_id, notes=notes, summary=summary, ticket_ids=ticket_ids)
    changes = {name: value for name, value in given.items() if value is not UNCHANGED}
    visit = _lock(visit_id, expected_version=expected_version)
    ensure_may(by, "change_visit", visit)
    allowed = _EDITABLE_UPCOMING | _EDITABLE_ALWAYS if visit.is_upcoming else _EDITABLE_ALWAYS
    refused = sorted(set(changes) - allowed - {"ticket_ids"})
    if refused:
        raise TransitionNotAllowed(
            _("拜访 %(number)s 已%(state)s，不能修改：%(fields)s")
            % {"number": visit.number, "state": visit.get_state_display(), "fields": ", ".join(refused)},
            code="visit_fields_locked",
            params={"number": visit.number, "state": visit.get_state_display(),
                    "fields": "、".join(label_for(name) for name in refused)},
        )
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
    _save(visit)
    if tickets is not None:
        visit.tickets.set(tickets)
        changes["tickets"] = [t.number for t in tickets]
    _record(visit, kind=VisitEventKind.UPDATED, by=by, data={k: str(v) for k, v in changes.items()})
    return visit


# --------------------------------------------------------------------------- participants (R-VISIT-2)
def _is_our_staff(user: User) -> bool:
    return not user.is_vendor_engineer


@transaction.atomic
def add_participant(
    *, visit_id: int, by: User | None, user_id: int, kind: str = "", lead_id: int | None = None
) -> VisitParticipant:
    """R-VISIT-2: our support-room staff, virtual-team members from other rooms, and vendor engineers —
    a vendor engineer only under a named lead who is one of our own staff on this visit."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_not_cancelled(visit, _("增加参加人员"))
    return _add_participant(visit, by=by, user_id=user_id, kind=kind, lead_id=lead_id)


def _add_participant(visit: Visit, *, by, user_id, kind="", lead_id=None) -> VisitParticipant:
    errors: dict[str, list[str]] = {}
    user = _user(user_id, "user", errors)
    if user is None and "user" not in errors:
        errors["user"] = [_("必填")]
    _fail(errors)
    if kind and kind not in ParticipantKind.values:
        raise ValidationFailed.of("kind", _("须为以下之一：%(values)s") % {"values": ", ".join(ParticipantKind.values)},
                                  code="bad_choice")
    rooms = list(user.rooms.all())
    room = None
    if user.is_vendor_engineer:
        if kind and kind != ParticipantKind.VENDOR:
            raise ValidationFailed.of("kind", _("R-VISIT-2：代维人员只能以代维人员身份参加"), code="vendor_as_vendor")
        kind = ParticipantKind.VENDOR
    elif kind == ParticipantKind.VENDOR:
        raise ValidationFailed.of("kind", _("R-VISIT-2：%(user)s 不是代维人员") % {"user": user},
                                  code="not_vendor", params={"who": str(user)})
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
            raise ValidationFailed.of("lead", _("R-VISIT-2：代维人员须在我方指定的带队负责人带领下参加"),
                                      code="vendor_needs_lead")
        lead = User.objects.filter(pk=lead_id, is_active=True).first()
        if lead is None:
            raise ValidationFailed.of("lead", _("带队负责人 %(id)s 不存在或已停用") % {"id": lead_id},
                                      code="lead_not_found")
        if not _is_our_staff(lead):
            raise ValidationFailed.of("lead", _("R-VISIT-2：带队负责人须为我方人员，不能是代维人员"),
                                      code="lead_is_vendor")
        on_visit = lead.pk == visit.owner_id or visit.participants.filter(user=lead).exists()
        if not on_visit:
            raise ValidationFailed.of("lead", _("R-VISIT-2：带队负责人 %(lead)s 须是本次拜访的负责人或参加人员") % {"lead": lead},
                                      code="lead_not_on_visit", params={"who": str(lead)})
    elif lead_id:
        raise ValidationFailed.of("lead", _("只有代维人员需要带队负责人"), code="lead_only_for_vendor")
    try:
        with transaction.atomic():
            participant = VisitParticipant.objects.create(visit=visit, user=user, kind=kind, lead=lead, room=room)
    except IntegrityError:
        raise Conflict(_("%(user)s 已在参加人员中") % {"user": user}, code="already_participant",
                       params={"who": str(user)}) from None
    _record(
        visit,
        kind=VisitEventKind.PARTICIPANT,
        by=by,
        note=str(user),
        data={"user": user.get_username(), "kind": kind, "lead": lead.get_username() if lead else None},
    )
    return participant


@transaction.atomic
def remove_participant(*, participant_id: int, by: User | None) -> None:
    """Take someone off the visit; a lead still leading vendor engineers stays until they are removed."""
    participant = VisitParticipant.objects.select_related("visit", "user").filter(pk=participant_id).first()
    if participant is None:
        raise NotFound(_("参加人员 %(id)s 不存在") % {"id": participant_id}, code="participant_not_found")
    visit = _lock(participant.visit_id)
    ensure_may(by, "change_visit", visit)
    if visit.participants.filter(lead=participant.user).exists():
        raise ValidationFailed.of("lead", _("R-VISIT-2：%(user)s 仍带领代维人员，请先移除代维人员") % {"user": participant.user},
                                  code="still_leads_vendors", params={"who": str(participant.user)})
    participant.delete()
    _record(visit, kind=VisitEventKind.PARTICIPANT, by=by, note=_("移除 %(user)s") % {"user": participant.user})


@transaction.atomic
def add_customer_participant(
    *, visit_id: int, by: User | None, name: str, title: str = "", phone: str = ""
) -> CustomerParticipant:
    """R-VISIT-2: the customer's people (name, title, phone)."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_not_cancelled(visit, _("增加参加人员"))
    cp = _add_customer_participant(visit, name=name, title=title, phone=phone)
    _record(visit, kind=VisitEventKind.PARTICIPANT, by=by, note=str(cp), data={"customer_participant": cp.name})
    return cp


def _add_customer_participant(visit: Visit, *, name, title, phone) -> CustomerParticipant:
    name = _text(name)
    if not name:
        raise ValidationFailed.of("name", _("客户参加人员须填写姓名"), code="customer_name_required")
    return CustomerParticipant.objects.create(visit=visit, name=name[:64], title=_text(title)[:64], phone=_text(phone)[:32])


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
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_upcoming(visit, _("预约"))
    errors: dict[str, list[str]] = {}
    called_at = called_at or timezone.now()
    _aware(called_at, "called_at", errors, not_future=True)
    _aware(confirmed_time, "confirmed_time", errors)
    values = {
        "callee_name": _text(callee_name),
        "callee_phone": _text(callee_phone),
        "confirmed_place": _text(confirmed_place),
        "confirmed_participants": _text(confirmed_participants),
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
        visit=visit,
        direction=direction,
        caller=by,
        called_at=called_at,
        confirmed_time=confirmed_time,
        callee_name=values["callee_name"][:64],
        callee_phone=values["callee_phone"][:32],
        confirmed_place=values["confirmed_place"][:300],
        confirmed_participants=values["confirmed_participants"],
        contact_left=values["contact_left"][:200],
        note=_text(note),
    )
    from_state = visit.state
    if visit.state == VisitState.PLANNED:
        visit.confirm(planned_at=confirmed_time, place=call.confirmed_place)
    else:
        visit.planned_at, visit.place = confirmed_time, call.confirmed_place
    _save(visit)
    _record(
        visit,
        kind=VisitEventKind.CONFIRM,
        by=by,
        from_state=from_state,
        to_state=visit.state,
        note=_("与 %(callee)s 电话确认：%(when)s %(place)s")
        % {
            "callee": call.callee_name,
            "when": f"{timezone.localtime(confirmed_time):%Y-%m-%d %H:%M}",
            "place": call.confirmed_place,
        },
        data={"call": call.pk, "rule": "R-VISIT-1"},
    )
    return call


@transaction.atomic
def complete_visit(*, visit_id: int, by: User | None, actual_at: datetime | None = None, summary: str = "") -> Visit:
    """Mark the visit done. R-VISIT-1: not without the appointment call; a routine inspection needs every
    checklist item filled in."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    if not can_proceed(visit.complete, check_conditions=False):
        raise TransitionNotAllowed(
            _("拜访 %(number)s 已%(state)s，不能标记为完成") % {"number": visit.number, "state": visit.get_state_display()},
            code="visit_state",
            params={"number": visit.number, "state": visit.get_state_display(), "action": _("标记为完成")},
        )
    if not visit.calls.exists():
        raise ValidationFailed.of(
            "appointment_call",
            _("R-VISIT-1：拜访 %(number)s 尚无预约电话记录（确认时间、地点、参加人员并留下联系方式），不能标记为完成")
            % {"number": visit.number},
            code="appointment_call_missing", params={"number": visit.number},
        )
    if not can_proceed(visit.complete):
        raise ValidationFailed.of("checklist", _("例行巡检须逐项填写巡检表后才能标记为完成"), code="checklist_incomplete")
    errors: dict[str, list[str]] = {}
    actual_at = actual_at or timezone.now()
    _aware(actual_at, "actual_at", errors, not_future=True)
    _fail(errors)
    from_state = visit.state
    visit.complete(at=actual_at, summary=_text(summary))
    _save(visit)
    _record(visit, kind=VisitEventKind.COMPLETE, by=by, from_state=from_state, to_state=visit.state, note=visit.summary)
    return visit


@transaction.atomic
def cancel_visit(*, visit_id: int, by: User | None, reason: str) -> Visit:
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_upcoming(visit, _("取消"))
    reason = _text(reason)
    if not reason:
        raise ValidationFailed.of("reason", _("取消拜访须说明原因"), code="cancel_reason_required")
    from_state = visit.state
    visit.cancel(reason=reason[:300])
    _save(visit)
    _record(visit, kind=VisitEventKind.CANCEL, by=by, from_state=from_state, to_state=visit.state, note=reason)
    return visit


# --------------------------------------------------------------------------- routine inspection
@transaction.atomic
def record_inspection(*, visit_id: int, by: User | None, results: list[dict]) -> list[InspectionResult]:
    """Fill in the routine-inspection checklist: each item ok / fault / na; a fault needs a note."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_not_cancelled(visit, _("填写巡检表"))
    if visit.kind != VisitKind.ROUTINE_INSPECTION or visit.checklist_template_id is None:
        raise ValidationFailed.of("checklist", _("只有带巡检模板的例行巡检拜访可以填写巡检表"), code="no_checklist")
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
                _("须为以下之一：%(values)s") % {"values": ", ".join(CheckResult.values)}
            )
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
            visit=visit,
            item=item,
            defaults={"result": result, "note": note[:300], "recorded_by": by, "recorded_at": timezone.now()},
        )
        saved.append(obj)
    _record(visit, kind=VisitEventKind.CHECKLIST, by=by, data={r.item_id: r.result for r in saved})
    return saved
