"""Taking a complaint (R-CMP-FLOW): from the customer-service department over the API, or by our staff.

Idempotent on the customer-service department's ``complaint_id``: concurrent posts of one id meet on the
unique constraint and read the winner back. The sorting and total clocks start at once (R-CMP-LIMITS);
the third complaint about the same problem in the window is a repeat complaint (R-CMP-REPEAT); a problem
quality monitoring found first is linked (R-CMP-PROACTIVE, through the ``COMPLAINTS_PROACTIVE_FINDER`` hook).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from customers.choices import Tier
from customers.models import Circuit, Customer
from staff.models import User
from supportdesk.core.services import in_future

from ..choices import Channel, ComplaintCategory, ComplaintStage, DeadlineStage, EventKind, Importance
from ..errors import ValidationFailed
from ..models import Complaint
from ..permissions import ensure_can
from ..workcalendar import WorkCalendar
from . import deadlines
from ._common import record_event

log = logging.getLogger(__name__)
IMPORTANT_TIERS = (Tier.DIAMOND, Tier.GOLD)


@dataclass
class ComplaintIn:
    customer_code: str
    category: str
    description: str
    received_at: datetime
    complaint_id: str = ""
    circuit_id: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    channel: str = Channel.CUSTOMER_SERVICE
    importance: str = ""


@dataclass
class IntakeResult:
    complaint: Complaint
    created: bool


def _validate(data: ComplaintIn) -> tuple[Customer, Circuit | None]:
    errors: dict[str, list[str]] = {}
    codes: dict[str, tuple[str, dict]] = {}
    customer = Customer.objects.filter(code=(data.customer_code or "").strip()).first()
    if not (data.customer_code or "").strip():
        errors["customer_code"] = ["required"]
        codes["customer_code"] = ("required", {})
    elif customer is None:
        errors["customer_code"] = [f"unknown customer {data.customer_code}"]
        codes["customer_code"] = ("unknown_customer", {"customer": data.customer_code})
    circuit = None
    if data.circuit_id:
        circuit = Circuit.objects.filter(circuit_id=data.circuit_id.strip()).first()
        if circuit is None:
            errors["circuit_id"] = [f"unknown circuit {data.circuit_id}"]
            codes["circuit_id"] = ("unknown_circuit", {"circuit": data.circuit_id})
        elif customer is not None and circuit.customer_id != customer.pk:
            errors["circuit_id"] = [f"circuit {data.circuit_id} does not belong to {customer.code}"]
            codes["circuit_id"] = ("circuit_not_of_customer", {"circuit": data.circuit_id, "customer": customer.name})
    if data.category not in ComplaintCategory.values:
        errors["category"] = [f"must be one of {', '.join(ComplaintCategory.values)}"]
        codes["category"] = ("bad_choice", {})
    if not (data.description or "").strip():
        errors["description"] = ["required"]
        codes["description"] = ("required", {})
    if data.channel not in Channel.values:
        errors["channel"] = [f"must be one of {', '.join(Channel.values)}"]
        codes["channel"] = ("bad_choice", {})
    if data.importance and data.importance not in Importance.values:
        errors["importance"] = [f"must be one of {', '.join(Importance.values)}"]
        codes["importance"] = ("bad_choice", {})
    if data.received_at is None:
        errors["received_at"] = ["required"]
        codes["received_at"] = ("required", {})
    elif in_future(data.received_at):
        errors["received_at"] = ["is in the future"]
        codes["received_at"] = ("in_future", {})
    if len(data.complaint_id or "") > 64:
        errors["complaint_id"] = ["at most 64 characters"]
        codes["complaint_id"] = ("too_long", {"max": 64})
    if errors:
        raise ValidationFailed.from_errors(errors, codes=codes)
    return customer, circuit


def importance_of(customer: Customer, asked: str = "") -> str:
    """Important when the customer-service department says so or the customer is an important customer."""
    if asked:
        return asked
    return Importance.IMPORTANT if customer.tier in IMPORTANT_TIERS else Importance.GENERAL


def receive_complaint(*, data: ComplaintIn, by: User | None = None, via: str = "") -> IntakeResult:
    """R-CMP-FLOW: take a complaint (idempotent on ``complaint_id``)."""
    ensure_can(by, "create")
    complaint_id = (data.complaint_id or "").strip() or None
    if complaint_id:
        existing = Complaint.objects.filter(complaint_id=complaint_id).first()
        if existing is not None:
            return IntakeResult(existing, False)
    customer, circuit = _validate(data)
    try:
        with transaction.atomic():
            complaint = _create(data, customer=customer, circuit=circuit, complaint_id=complaint_id, by=by, via=via)
    except IntegrityError:
        if complaint_id is None:
            raise
        winner = Complaint.objects.filter(complaint_id=complaint_id).first()
        if winner is None:
            raise
        return IntakeResult(winner, False)
    return IntakeResult(complaint, True)


def _create(data: ComplaintIn, *, customer, circuit, complaint_id, by, via) -> Complaint:
    now = timezone.now()
    complaint = Complaint(
        number=f"TMP-{uuid.uuid4().hex[:24]}", complaint_id=complaint_id,
        importance=importance_of(customer, data.importance), channel=data.channel, customer=customer,
        circuit=circuit, category=data.category, description=data.description.strip(),
        contact_name=(data.contact_name or "").strip()[:64], contact_phone=(data.contact_phone or "").strip()[:32],
        received_at=data.received_at, created_at=now, taken_by=by,
    )
    complaint.save()
    complaint.number = f"TS{timezone.localtime(complaint.received_at):%Y%m%d}-{complaint.pk:06d}"
    complaint.save(update_fields=["number"])
    record_event(complaint, kind=EventKind.RECEIVED, by=by, via=via, to_stage=ComplaintStage.RECEIVED, at=now,
                 note=complaint.description[:200],
                 data={"channel": complaint.channel, "complaint_id": complaint_id, "importance": complaint.importance})
    calendar = WorkCalendar.load()
    policy = deadlines.policy_for(complaint.importance)
    deadlines.start_deadline(complaint, DeadlineStage.SORTING, start=complaint.received_at, calendar=calendar,
                             policy=policy)
    deadlines.start_deadline(complaint, DeadlineStage.TOTAL, start=complaint.received_at, calendar=calendar,
                             policy=policy)
    _mark_repeat(complaint, policy=policy)
    _link_proactive(complaint)
    return complaint


def same_problem(complaint: Complaint, *, window_days: int):
    """R-CMP-REPEAT: same customer and circuit, or same customer and category, within the window."""
    since = complaint.received_at - timedelta(days=window_days)
    same = Q(category=complaint.category)
    if complaint.circuit_id:
        same |= Q(circuit_id=complaint.circuit_id)
    return Complaint.objects.filter(customer_id=complaint.customer_id, received_at__gte=since,
                                    received_at__lte=complaint.received_at).filter(same)


def _mark_repeat(complaint: Complaint, *, policy) -> None:
    count = same_problem(complaint, window_days=policy.repeat_window_days).count()
    if count >= policy.repeat_count:
        complaint.repeat = True
        complaint.save(update_fields=["repeat"])
        record_event(complaint, kind=EventKind.REPEAT, via="R-CMP-REPEAT", note="R-CMP-REPEAT",
                     data={"count": count, "window_days": policy.repeat_window_days})


def _link_proactive(complaint: Complaint) -> None:
    """R-CMP-PROACTIVE: ask the configured finder (quality monitoring) for an active problem on the circuit.

    The finder is ``settings.COMPLAINTS_PROACTIVE_FINDER`` (a dotted path to ``f(circuit_id) -> dict | None``
    with ``kind``, ``id``, ``label`` and optionally ``url``); without one, nothing is linked. A failing
    finder never stops a complaint from being taken.
    """
    path = getattr(settings, "COMPLAINTS_PROACTIVE_FINDER", "")
    if not path or not complaint.circuit_id:
        return
    try:
        with transaction.atomic():
            found = import_string(path)(complaint.circuit.circuit_id)
    except Exception:  # noqa: BLE001 - an optional link must not lose the complaint
        log.exception("proactive finder %s failed for %s", path, complaint.number)
        return
    if not found:
        return
    complaint.proactive = {k: found.get(k) for k in ("kind", "id", "label", "url") if found.get(k) is not None}
    complaint.save(update_fields=["proactive"])
    record_event(complaint, kind=EventKind.PROACTIVE_LINKED, via="R-CMP-PROACTIVE",
                 note=str(found.get("label", ""))[:200], data=complaint.proactive)
