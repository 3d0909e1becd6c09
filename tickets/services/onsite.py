"""On site (docs/rules.md §3.5) and the monitoring room's records (dial tests, phone calls, broadcasts)."""
from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from staff.choices import RoomCode
from staff.models import Room, User, Vendor
from supportdesk.core.errors import Conflict, NotPermitted, TransitionNotAllowed, ValidationFailed, raise_field_errors
from supportdesk.core.services import in_future

from .. import notify
from ..choices import (
    ACTIVE_FAULT_STATES,
    BroadcastKind,
    DeadlineKind,
    DialTestMethod,
    DialTestResult,
    EventKind,
    PhoneChannel,
    SiteKind,
    TicketState,
)
from ..models import Arrival, DialTest, FaultTicket, PhoneNotification, PreArrivalCheck, SiteMember
from ..permissions import ensure_can
from . import broadcasts, deadlines
from ._common import lock_ticket, record_event, save_ticket
from .ingest import site_lead_required


def _require_open(ticket: FaultTicket, what: str) -> None:
    if not ticket.is_open:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: cannot {what}", code="ticket_not_open",
                                   params={"number": ticket.number, "state": ticket.get_state_display(),
                                           "action": gettext_lazy("执行此操作")})


def _is_support_engineer(user: User) -> bool:
    return not user.is_vendor_engineer and user.memberships.filter(room__code=RoomCode.SERVICE_SUPPORT).exists()


@transaction.atomic
def flag_expedite(*, ticket_id: int, by: User, note: str = "") -> FaultTicket:
    """R-SITE-2: a centre leader asks for the fault to be handled at once; a support-room lead goes on site."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "expedite", ticket)
    _require_open(ticket, "expedite")
    if ticket.expedite:
        return ticket
    ticket.expedite, ticket.expedite_by = True, by
    ticket.site_lead_required = site_lead_required(ticket)
    save_ticket(ticket, "expedite", "expedite_by", "site_lead_required")
    lead_deadline = deadlines.ensure_site_lead_deadline(ticket, at=timezone.now())
    record_event(ticket, kind=EventKind.EXPEDITE, by=by, note=note or "R-SITE-2",
                 data={"rule": "R-SITE-2", "site_lead_due_at": lead_deadline.due_at.isoformat()}
                 if lead_deadline is not None else {"rule": "R-SITE-2"})
    return ticket


@transaction.atomic
def assign_vendor(*, ticket_id: int, by: User | None, vendor_id: int) -> FaultTicket:
    """R-SITE-3: the handling lead sends a vendor; its engineers work under the on-site lead."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "assign_vendor", ticket)
    _require_open(ticket, "assign a vendor")
    vendor = Vendor.objects.filter(pk=vendor_id).first()
    if vendor is None:
        raise ValidationFailed.of("vendor", f"vendor {vendor_id} does not exist")
    ticket.vendor = vendor
    save_ticket(ticket, "vendor")
    record_event(ticket, kind=EventKind.VENDOR_ASSIGNED, by=by, note=vendor.name, data={"vendor": vendor.pk})
    if ticket.important and ticket.state != TicketState.NEW:
        # R-ESC-1: a vendor assigned to an important customer's ticket after its dispatch stands by (待命) at once,
        # as it would have from the dispatch.
        record_event(ticket, kind=EventKind.VENDOR_STANDBY, by=by, note=vendor.name,
                     data={"rule": "R-ESC-1", "vendor": vendor.pk, "after_dispatch": True})
        notify.notify_vendor_standby(ticket, vendor=vendor)
    return ticket


@transaction.atomic
def designate_site_lead(*, ticket_id: int, by: User | None, user_id: int, note: str = "") -> FaultTicket:
    """R-SITE-1/2/5: exactly one on-site lead; where required it is a support-room engineer, never a vendor."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "site_lead", ticket)
    _require_open(ticket, "designate the on-site lead")
    lead = User.objects.filter(pk=user_id, is_active=True).first()
    if lead is None:
        raise ValidationFailed.of("user", f"user {user_id} does not exist")
    if by is not None and by.pk == lead.pk and not by.is_superuser:
        # R-SITE-5: "请示领导确定一个现场负责人" — the lead is named by a leader, never by himself.
        raise NotPermitted(f"R-SITE-5: {by.get_username()} cannot name himself the on-site lead")
    if ticket.site_lead_required and not _is_support_engineer(lead):
        raise ValidationFailed.of(
            "user",
            f"R-SITE-1: ticket {ticket.number} needs a support-room engineer as on-site lead; "
            f"{lead.get_username()} is not one",
            code="site_lead_support_room",
        )
    if lead.is_vendor_engineer and not ticket.site_lead_required:
        # R-SITE-3: vendors work under a lead of ours; they are members, never the lead.
        raise ValidationFailed.of("user", f"a vendor engineer ({lead.get_username()}) cannot be the on-site lead",
                                  code="vendor_not_site_lead", params={"who": str(lead)})
    previous = ticket.site_lead
    if previous is not None and previous.pk == lead.pk:
        return ticket
    ticket.site_lead = lead
    save_ticket(ticket, "site_lead")
    SiteMember.objects.filter(ticket=ticket, user=lead).delete()
    if previous is not None:
        # R-SITE-5: the former lead stays on site and follows the new one.
        SiteMember.objects.get_or_create(ticket=ticket, user=previous, defaults={"added_by": by})
    record_event(ticket, kind=EventKind.SITE_LEAD, by=by, note=note or lead.get_username(),
                 data={"lead": lead.get_username(), "previous": previous.get_username() if previous else None})
    return ticket


@transaction.atomic
def record_site_lead_exception(*, ticket_id: int, by: User, reason: str) -> FaultTicket:
    """R-SITE-1 / R-SITE-2: a manager lets the fault be resolved without the named lead's check-in at the
    customer site, with a recorded reason."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "site_lead_exception", ticket)
    _require_open(ticket, "record an on-site lead exception")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.of("reason", "an exception needs a reason")
    if len(reason) > 300:
        raise ValidationFailed.of("reason", "at most 300 characters")
    ticket.site_lead_exception, ticket.site_lead_exception_by = reason, by
    save_ticket(ticket, "site_lead_exception", "site_lead_exception_by")
    record_event(ticket, kind=EventKind.SITE_LEAD_EXCEPTION, by=by, note=reason, data={"rule": "R-SITE-1"})
    return ticket


def site_lead_on_site(ticket: FaultTicket) -> bool:
    """R-SITE-1 / R-SITE-2: the named lead has checked in at the customer site in this round."""
    return ticket.site_lead_id is not None and ticket.arrivals.filter(
        user_id=ticket.site_lead_id, site_kind=SiteKind.CUSTOMER, round=ticket.round).exists()


@transaction.atomic
def add_site_member(*, ticket_id: int, by: User | None, user_id: int) -> SiteMember:
    """R-SITE-3 / R-SITE-5: someone else on site follows the on-site lead (vendors only under a lead)."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "site_member", ticket)
    _require_open(ticket, "add people on site")
    member = User.objects.filter(pk=user_id, is_active=True).first()
    if member is None:
        raise ValidationFailed.of("user", f"user {user_id} does not exist")
    if ticket.site_lead_id is None:
        raise ValidationFailed.of("user", "designate the on-site lead first: everyone else on site follows that lead",
                                  code="site_lead_first")
    if member.pk == ticket.site_lead_id:
        raise ValidationFailed.of("user", f"{member.get_username()} is already the on-site lead",
                                  code="already_site_lead", params={"who": str(member)})
    row, created = SiteMember.objects.get_or_create(ticket=ticket, user=member, defaults={"added_by": by})
    if created:
        save_ticket(ticket)
        record_event(ticket, kind=EventKind.SITE_MEMBER, by=by, note=member.get_username(),
                     data={"user": member.get_username(), "vendor": member.vendor_id})
    return row


@transaction.atomic
def record_pre_arrival(*, ticket_id: int, by: User, contact_name: str, contact_phone: str,
                       confirmed_arrangements: str = "", equipment_state: str = "", eta: datetime | None = None,
                       told_engineer_details: bool = False, tools: dict[str, bool] | None = None,
                       uniform_and_badge: bool = False) -> PreArrivalCheck:
    """R-SITE-4: the call to the customer's technical contact, the tool list, the uniform and badge."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "pre_arrival", ticket)
    _require_open(ticket, "record a pre-arrival check")
    errors = {}
    if not contact_name.strip():
        errors["contact_name"] = ["required"]
    if not contact_phone.strip():
        errors["contact_phone"] = ["required"]
    unknown = set(tools or {}) - set(PreArrivalCheck.TOOLS)
    if unknown:
        errors["tools"] = [f"unknown tools: {', '.join(sorted(unknown))}"]
    raise_field_errors(errors)
    values = dict(contact_name=contact_name.strip(), contact_phone=contact_phone.strip(),
                  confirmed_arrangements=confirmed_arrangements, equipment_state=equipment_state, eta=eta,
                  told_engineer_details=told_engineer_details, called_at=timezone.now(),
                  uniform_and_badge=bool(uniform_and_badge),
                  **{t: bool((tools or {}).get(t)) for t in PreArrivalCheck.TOOLS})
    check, _ = PreArrivalCheck.objects.update_or_create(ticket=ticket, engineer=by, defaults=values)
    missing = [t for t in PreArrivalCheck.TOOLS if not values[t]]
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.PRE_ARRIVAL, by=by, note=contact_name,
                 data={"missing_tools": missing, "uniform_and_badge": bool(uniform_and_badge)})
    return check


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371000.0
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def site_with_position(ticket: FaultTicket):
    """The circuit's first site with coordinates (for the distance shown at check-in)."""
    circuit = ticket.circuit
    if circuit is None:
        return None
    for site in (circuit.a_site, circuit.z_site):
        if site is not None and site.latitude is not None and site.longitude is not None:
            return site
    return None


@transaction.atomic
def record_arrival(*, ticket_id: int, by: User, site_kind: str | None = None, latitude=None, longitude=None,
                   accuracy_m: float | None = None, at: datetime | None = None) -> Arrival:
    """R-ESC-2: a field engineer checks in on site (with the phone's position when it was granted)."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "arrival", ticket)
    _require_open(ticket, "check in")
    if (latitude is None) != (longitude is None):
        raise ValidationFailed.of("latitude", "give both latitude and longitude, or neither", code="position_pair")
    if latitude is not None:
        try:
            latitude, longitude = Decimal(str(latitude)).quantize(Decimal("0.000001")), Decimal(
                str(longitude)).quantize(Decimal("0.000001"))
        except Exception:  # noqa: BLE001
            raise ValidationFailed.of("latitude", "latitude and longitude must be numbers") from None
        if not (-90 <= latitude <= 90) or not (-180 <= longitude <= 180):
            raise ValidationFailed.of("latitude", "latitude must be within ±90 and longitude within ±180")
    # R-ESC-2 (b): the arrival time is the time the server receives the check-in; an engineer whose phone
    # was offline may state an earlier time, by at most the policy's limit; both times are stored.
    received = timezone.now()
    stated = at
    at = at or received
    if in_future(at, now=received):
        raise ValidationFailed.of("at", "is in the future", code="in_future")
    if at < ticket.occurred_at:
        raise ValidationFailed.of("at", "is before the fault occurred")
    limit = ticket.policy_duration("arrival_backdate_limit")
    if limit is None:
        limit = timezone.timedelta(minutes=15)  # tickets opened before the policy had the limit
    if at < received - limit:
        raise ValidationFailed.of(
            "at", f"R-ESC-2: at most {int(limit.total_seconds() // 60)} min before the check-in is received")
    involvement_rooms = {i.room_id: i for i in ticket.involvements.select_related("room")}
    room = None
    for membership in by.memberships.select_related("room"):
        if membership.room_id in involvement_rooms or membership.room_id == ticket.lead_room_id:
            room = membership.room
            break
    vendor = by.vendor if by.vendor_id and by.vendor_id == ticket.vendor_id else None
    if site_kind is None:
        inv = involvement_rooms.get(room.pk) if room else None
        site_kind = (inv.site_kind if inv and inv.site_kind else
                     SiteKind.CUSTOMER if (vendor or (room and room.code == RoomCode.SERVICE_SUPPORT))
                     else SiteKind.EQUIPMENT)
    if site_kind not in SiteKind.values:
        raise ValidationFailed.of("site_kind", f"must be one of {', '.join(SiteKind.values)}")
    # R-SITE-4: a customer-site check-in without a recorded pre-arrival call is accepted, marked as a deviation.
    no_call = site_kind == SiteKind.CUSTOMER and not ticket.pre_arrival_checks.filter(engineer=by).exists()
    distance = None
    site = site_with_position(ticket)
    if latitude is not None and site is not None:
        distance = round(distance_m(latitude, longitude, site.latitude, site.longitude), 1)
    try:
        with transaction.atomic():
            arrival = Arrival.objects.create(
                ticket=ticket, round=ticket.round, room=room, vendor=vendor, user=by, site_kind=site_kind, at=at,
                received_at=received, stated_at=stated, without_pre_arrival_call=no_call, latitude=latitude,
                longitude=longitude, accuracy_m=accuracy_m, distance_m=distance,
            )
    except IntegrityError:
        raise Conflict(f"{by.get_username()} has already checked in on ticket {ticket.number}",
                       code="already_checked_in", params={"who": str(by), "number": ticket.number}) from None
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.ARRIVAL, by=by, at=at, note=site_kind,
                 data={"room": room.code if room else None, "vendor": vendor.pk if vendor else None,
                       "distance_m": distance, "received_at": received.isoformat(),
                       "stated_at": stated.isoformat() if stated else None,
                       "deviation": "R-SITE-4: no pre-arrival call" if no_call else None})
    return arrival


@transaction.atomic
def record_dial_test(*, ticket_id: int, by: User | None, result: str, detail: str = "",
                     method: str = DialTestMethod.PING) -> DialTest:
    """Monitoring's dial test (拨测), before or after dispatch."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "dial_test", ticket)
    _require_open(ticket, "record a dial test")
    if result not in DialTestResult.values:
        raise ValidationFailed.of("result", f"must be one of {', '.join(DialTestResult.values)}")
    if method not in DialTestMethod.values:
        raise ValidationFailed.of("method", f"must be one of {', '.join(DialTestMethod.values)}")
    test = DialTest.objects.create(ticket=ticket, result=result, method=method, detail=detail, by=by)
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.DIAL_TEST, by=by, note=f"{method} {result}", data={"detail": detail[:500]})
    return test


@transaction.atomic
def record_phone_call(*, ticket_id: int, by: User | None, room_code: str, answered: bool, callee: str = "",
                      callee_phone: str = "", note: str = "", channel: str = PhoneChannel.PHONE) -> PhoneNotification:
    """R-DISPATCH-IMP: tick a line of the phone checklist (who called whom, when, answered or not)."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "phone", ticket)
    row = PhoneNotification.objects.select_for_update().filter(ticket=ticket, room__code=room_code).first()
    if row is None:

        room = Room.objects.filter(code=room_code).first()
        if room is None:
            raise ValidationFailed.of("room", f"unknown room {room_code!r}")
        row = PhoneNotification.objects.create(ticket=ticket, room=room)
    if answered and not callee.strip():
        raise ValidationFailed.of("callee", "say who answered", code="required")
    row.called_by, row.called_at, row.answered = by, timezone.now(), answered
    row.callee, row.callee_phone = callee.strip(), callee_phone.strip() or row.callee_phone
    row.attempts += 1
    row.note, row.channel = note, channel
    row.save()
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.PHONE_CALL, by=by, note=f"{room_code}: {callee or '-'}",
                 data={"room": room_code, "answered": answered, "attempt": row.attempts})
    return row


def _manual_broadcast_text(ticket: FaultTicket, by: User | None, text: str) -> str:
    """R-BCAST (c): who may publish, on an open fault only, and the operator's own text (at most 2,000
    characters) — the same for a publication and its preview."""
    ensure_can(by, "broadcast", ticket)
    if ticket.state not in ACTIVE_FAULT_STATES:
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}: the broadcasts have ended",
                                   code="ticket_not_open", params={"number": ticket.number,
                                                                   "state": ticket.get_state_display(),
                                                                   "action": gettext_lazy("发布信息")})
    text = (text or "").strip()
    if len(text) > 2000:
        raise ValidationFailed.of("text", "at most 2000 characters", code="too_long", params={"max": 2000})
    return text


@transaction.atomic
def publish_manual_broadcast(*, ticket_id: int, by: User | None, text: str = "") -> broadcasts.Broadcast:
    """R-BCAST (c): monitoring publishes a broadcast now (outside the hourly schedule), with its own text added."""
    ticket = lock_ticket(ticket_id)
    text = _manual_broadcast_text(ticket, by, text)
    slot = deadlines.pending(ticket, DeadlineKind.BROADCAST).order_by("due_at").first()
    return broadcasts.publish(ticket, kind=BroadcastKind.MANUAL, by=by, next_at=slot.due_at if slot else None,
                              operator_text=text)


def preview_manual_broadcast(*, ticket_id: int, by: User | None, text: str = "") -> dict[str, str]:
    """R-BCAST (c): the manual broadcast as it would go out now with the operator's own text, in both languages;
    nothing is written (the number and times are those of a publication at this moment)."""
    ticket = FaultTicket.objects.select_related("customer", "lead_room", "vendor", "site_lead").get(pk=ticket_id)
    text = _manual_broadcast_text(ticket, by, text)
    now = timezone.now()
    previous = ticket.broadcasts.order_by("-seq").first()
    slot = deadlines.pending(ticket, DeadlineKind.BROADCAST).order_by("due_at").first()
    common = {"at": now, "since": previous.at if previous else None, "next_at": slot.due_at if slot else None,
              "kind": BroadcastKind.MANUAL, "operator_text": text}
    return {"zh_hans": broadcasts.compose(ticket, language="zh-hans", **common),
            "en": broadcasts.compose(ticket, language="en", **common)}
