"""Documents for the customer (R-VISIT-4): standard template, one or two reviewers, sent and received."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Customer
from staff.models import User
from supportdesk.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.models import FaultTicket

from ..choices import (
    DocumentKind,
    DocumentState,
    ReviewDecision,
    VisitEventKind,
)
from ..models import (
    DocumentReview,
    DocumentTemplate,
    VisitDocument,
)
from ._common import (
    MAX_REVIEWERS,
    _aware,
    _fail,
    _lock,
    _record,
    _require_not_cancelled,
    _text,
    ensure_may,
)


# --------------------------------------------------------------------------- documents (R-VISIT-4)
@transaction.atomic
def create_document(
    *, by: User, kind: str, title: str, template_id: int, reviewer_ids: list[int], body: str = "",
    visit_id: int | None = None, customer_id: int | None = None, ticket_id: int | None = None,
) -> VisitDocument:
    """R-VISIT-4: a document for the customer on the standard template, with one or two reviewers who are
    not its author. It belongs to a visit, or — all correspondence with the customer follows the same flow — only
    to the customer (``customer_id``), optionally linked to one of the customer's tickets (a fault explanation
    letter, a report)."""
    visit = _lock(visit_id) if visit_id else None
    ensure_may(by, "change_visit", visit)
    errors: dict[str, list[str]] = {}
    if visit is not None:
        _require_not_cancelled(visit, _("增加文档"))
        customer = visit.customer
    else:
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
        if customer is None:
            errors["customer"] = [_("客户不存在")]
    ticket = FaultTicket.objects.filter(pk=ticket_id).first() if ticket_id else None
    if ticket_id and (ticket is None or (customer is not None and ticket.customer_id != customer.pk)):
        errors["ticket"] = [_("工单不存在或不属于该客户")]
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
    document = VisitDocument.objects.create(
        visit=visit, customer=customer, ticket=ticket, kind=kind, title=title[:200], template=template,
        body=body or template.body, author=by,
    )
    DocumentReview.objects.bulk_create([DocumentReview(document=document, reviewer=r) for r in reviewers])
    _record_document(
        document,
        kind=VisitEventKind.DOCUMENT,
        by=by,
        note=title,
        data={"document": document.pk, "reviewers": [r.get_username() for r in reviewers]},
    )
    return document


def _record_document(document: VisitDocument, **kwargs) -> None:
    """A visit's document is on the visit's event log; one outside a visit has its own dated fields."""
    if document.visit_id is not None:
        _record(document.visit, **kwargs)


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
    document = VisitDocument.objects.select_for_update(of=("self",)).select_related("visit").filter(pk=document_id).first()
    if document is None:
        raise NotFound(_("文档 %(id)s 不存在") % {"id": document_id}, code="document_not_found")
    return document


@transaction.atomic
def review_document(*, document_id: int, by: User, approve: bool, note: str = "") -> DocumentReview:
    """R-VISIT-4: an assigned reviewer (never the author) approves the document or returns it with a note.
    Once every reviewer approved, it may be sent."""
    document = _lock_document(document_id)
    ensure_may(by, "change_visit", document.visit)
    if by is not None and by.pk == document.author_id:
        raise NotPermitted(_("R-VISIT-4：撰写人不能审核自己的文档"), code="own_document_review")
    review = document.reviews.filter(reviewer=by).first() if by is not None else None
    if review is None:
        raise NotPermitted(_("R-VISIT-4：%(who)s 不是该文档的审核人") % {"who": by}, code="not_document_reviewer",
                           params={"who": str(by), "title": document.title})
    if document.state != DocumentState.IN_REVIEW or review.decision != ReviewDecision.PENDING:
        raise TransitionNotAllowed(
            _("文档“%(title)s”当前%(state)s，没有待您审核的内容")
            % {"title": document.title, "state": document.get_state_display()},
            code="document_nothing_to_review", params={"title": document.title, "state": document.get_state_display()},
        )
    note = _text(note)
    if not approve and not note:
        raise ValidationFailed.of("note", _("退回修改须写明意见"), code="return_note_required")
    review.decision = ReviewDecision.APPROVED if approve else ReviewDecision.RETURNED
    review.note, review.decided_at = note[:300], timezone.now()
    review.save()
    if can_proceed(document.approve):
        document.approve()
        document.save(update_fields=["state"])
    _record_document(
        document,
        kind=VisitEventKind.DOCUMENT,
        by=by,
        note=f"{document.title}: {review.decision}",
        data={"document": document.pk, "decision": review.decision, "rule": "R-VISIT-4"},
    )
    return review


@transaction.atomic
def revise_document(*, document_id: int, by: User, body: str, title: str = "") -> VisitDocument:
    """The author revises a returned document; every reviewer reviews it again."""
    document = _lock_document(document_id)
    ensure_may(by, "change_visit", document.visit)
    if by is None or by.pk != document.author_id:
        raise NotPermitted(_("只有撰写人可以修改文档"), code="only_author_edits")
    if document.state != DocumentState.IN_REVIEW:
        raise TransitionNotAllowed(
            _("文档“%(title)s”当前%(state)s，不能修改") % {"title": document.title, "state": document.get_state_display()},
            code="document_state",
            params={"title": document.title, "state": document.get_state_display(), "action": _("修改")},
        )
    document.body = body or document.body
    document.title = _text(title)[:200] or document.title
    document.save(update_fields=["body", "title"])
    document.reviews.update(decision=ReviewDecision.PENDING, note="", decided_at=None)
    _record_document(document, kind=VisitEventKind.DOCUMENT, by=by, note=_("修改：%(title)s") % {"title": document.title})
    return document


@transaction.atomic
def send_document(*, document_id: int, by: User | None, notice: str, at: datetime | None = None) -> VisitDocument:
    """R-VISIT-4: a document goes to the customer only after its reviews; the customer is told it was sent."""
    document = _lock_document(document_id)
    ensure_may(by, "change_visit", document.visit)
    if document.state in (DocumentState.SENT, DocumentState.RECEIVED):
        raise TransitionNotAllowed(_("文档“%(title)s”已发送") % {"title": document.title}, code="document_already_sent",
                                   params={"title": document.title})
    if document.state != DocumentState.APPROVED or not document.reviews_complete:
        raise ValidationFailed.of(
            "reviews", _("R-VISIT-4：文档“%(title)s”须经审核人全部同意后才能发送") % {"title": document.title},
            code="document_not_approved", params={"title": document.title},
        )
    notice = _text(notice)
    if not notice:
        raise ValidationFailed.of("notice", _("R-VISIT-4：须记录如何告知客户文档已发送"),
                                  code="send_notice_required")
    document.send(at=at or timezone.now(), by=by, notice=notice[:300])
    document.save(update_fields=["state", "sent_at", "sent_by", "sent_notice"])
    _record_document(
        document,
        kind=VisitEventKind.DOCUMENT,
        by=by,
        note=_("已发送：%(title)s") % {"title": document.title},
        data={"document": document.pk, "notice": notice, "rule": "R-VISIT-4"},
    )
    return document


@transaction.atomic
def record_document_received(*, document_id: int, by: User | None, notice: str, at: datetime | None = None) -> VisitDocument:
    """R-VISIT-4: the customer confirmed receipt (who, how)."""
    document = _lock_document(document_id)
    ensure_may(by, "change_visit", document.visit)
    if document.state != DocumentState.SENT:
        raise TransitionNotAllowed(
            _("文档“%(title)s”当前%(state)s，不能登记客户收到")
            % {"title": document.title, "state": document.get_state_display()},
            code="document_state",
            params={"title": document.title, "state": document.get_state_display(), "action": _("登记客户收到")},
        )
    notice = _text(notice)
    if not notice:
        raise ValidationFailed.of("notice", _("须记录客户的收到确认（谁、何种方式）"),
                                  code="receipt_notice_required")
    errors: dict[str, list[str]] = {}
    at = at or timezone.now()
    _aware(at, "received_at", errors, not_future=True)
    _fail(errors)
    document.mark_received(at=at, notice=notice[:300])
    document.save(update_fields=["state", "received_at", "received_notice"])
    _record_document(
        document,
        kind=VisitEventKind.DOCUMENT,
        by=by,
        note=_("客户已收到：%(title)s") % {"title": document.title},
        data={"document": document.pk, "notice": notice},
    )
    return document
