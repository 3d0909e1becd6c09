"""All correspondence with the customer (R-VISIT-4, docs/rules.md): documents received from the customer are
registered and their receipt acknowledged to the customer, whether or not a visit is involved."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from staff.models import User
from supportdesk.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from tickets.models import FaultTicket

from ..choices import DocumentKind, VisitEventKind
from ..models import IncomingDocument, Visit
from ._common import _aware, _fail, _record, _text, ensure_may


@transaction.atomic
def register_incoming_document(*, by: User, customer_id: int, kind: str, title: str, sender: str,
                               received_at: datetime, visit_id: int | None = None,
                               ticket_id: int | None = None) -> IncomingDocument:
    """R-VISIT-4: a document received from the customer is registered (what, from whom, when)."""
    ensure_may(by, "change_visit")
    errors: dict[str, list[str]] = {}
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        errors["customer"] = [_("客户不存在")]
    if kind not in DocumentKind.values:
        errors["kind"] = [_("须为以下之一：%(values)s") % {"values": ", ".join(DocumentKind.values)}]
    title, sender = _text(title), _text(sender)
    if not title:
        errors["title"] = [_("必填")]
    if not sender:
        errors["sender"] = [_("必填")]
    _aware(received_at, "received_at", errors, not_future=True)
    visit = Visit.objects.filter(pk=visit_id).first() if visit_id else None
    if visit_id and (visit is None or (customer and visit.customer_id != customer.pk)):
        errors["visit"] = [_("拜访不存在或不属于该客户")]
    ticket = FaultTicket.objects.filter(pk=ticket_id).first() if ticket_id else None
    if ticket_id and (ticket is None or (customer and ticket.customer_id != customer.pk)):
        errors["ticket"] = [_("工单不存在或不属于该客户")]
    _fail(errors)
    document = IncomingDocument.objects.create(customer=customer, visit=visit, ticket=ticket, kind=kind,
                                               title=title[:200], sender=sender[:120], received_at=received_at,
                                               registered_by=by)
    if visit is not None:
        _record(visit, kind=VisitEventKind.DOCUMENT, by=by, note=_("收到客户来文：%(title)s") % {"title": title},
                data={"incoming": document.pk, "rule": "R-VISIT-4"})
    return document


@transaction.atomic
def acknowledge_incoming_document(*, document_id: int, by: User, acknowledgement: str,
                                  at: datetime | None = None) -> IncomingDocument:
    """R-VISIT-4: the customer is told their document was received (how, by whom)."""
    ensure_may(by, "change_visit")
    document = IncomingDocument.objects.select_for_update().filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("来文 %(id)s 不存在") % {"id": document_id}, code="correspondence_not_found")
    if document.acknowledged_at is not None:
        raise TransitionNotAllowed(_("来文“%(title)s”已回复收到") % {"title": document.title},
                                   code="correspondence_acknowledged", params={"title": document.title})
    acknowledgement = _text(acknowledgement)
    if not acknowledgement:
        raise ValidationFailed.of("acknowledgement", _("R-VISIT-4：须记录如何告知客户已收到"),
                                  code="acknowledgement_required")
    document.acknowledged_at, document.acknowledged_by = at or timezone.now(), by
    document.acknowledgement = acknowledgement[:300]
    document.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement"])
    return document


def unacknowledged_incoming_documents():
    """R-VISIT-4: documents received and not yet acknowledged to the customer, oldest first."""
    return IncomingDocument.objects.filter(acknowledged_at__isnull=True).select_related("customer").order_by(
        "received_at")
