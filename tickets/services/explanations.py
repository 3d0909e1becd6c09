"""R-EXPLAIN: the on-site lead drafts the cause, the support-room manager approves the wording,
and only then is it released to the customer."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from staff.models import User
from supportdesk.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed

from .. import notify
from ..choices import ContactChannel, EventKind, ExplanationState, TicketState
from ..models import Explanation
from ..permissions import ensure_can
from ._common import lock_ticket, record_event, save_ticket


def _lock(explanation_id: int, ticket_id: int | None = None) -> tuple[Explanation, object]:
    row = Explanation.objects.filter(pk=explanation_id).only("ticket_id").first()
    if row is None or (ticket_id is not None and row.ticket_id != ticket_id):
        raise NotFound(f"explanation {explanation_id} does not exist")
    ticket = lock_ticket(row.ticket_id)
    return Explanation.objects.select_for_update().get(pk=explanation_id), ticket


@transaction.atomic
def draft_explanation(*, ticket_id: int, by: User, text: str) -> Explanation:
    """The on-site lead (or, without one, the handling room) drafts; an open draft is revised in place."""
    ticket = lock_ticket(ticket_id)
    ensure_can(by, "draft_explanation", ticket)
    if ticket.state in (TicketState.CLOSED, TicketState.CANCELLED):
        raise TransitionNotAllowed(f"ticket {ticket.number} is {ticket.state}", code="ticket_not_open",
                                   params={"number": ticket.number, "state": ticket.get_state_display(),
                                           "action": gettext_lazy("起草故障解释")})
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.of("text", "the explanation needs text", code="required")
    now = timezone.now()
    current = ticket.explanations.select_for_update().filter(
        state__in=[ExplanationState.DRAFT, ExplanationState.RETURNED], round=ticket.round
    ).first()
    if current is None:
        explanation = Explanation.objects.create(ticket=ticket, round=ticket.round, text=text, drafted_by=by,
                                                 drafted_at=now)
    else:
        if current.state == ExplanationState.RETURNED:
            current.revise(text=text, at=now)
        else:
            current.text, current.drafted_at = text, now
        current.drafted_by = by
        current.save()
        explanation = current
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.EXPLANATION, by=by, note="draft", data={"explanation": explanation.pk})
    notify.notify_explanation_submitted(ticket, explanation)
    return explanation


@transaction.atomic
def review_explanation(*, explanation_id: int, by: User, approve: bool, note: str = "",
                       ticket_id: int | None = None) -> Explanation:
    """The support-room manager approves the wording (统一口径) or returns it with a note."""
    explanation, ticket = _lock(explanation_id, ticket_id)
    ensure_can(by, "approve_explanation", ticket)
    name = "approve" if approve else "send_back"
    if not can_proceed(getattr(explanation, name)):
        raise TransitionNotAllowed(f"explanation {explanation.pk} is {explanation.state}: cannot {name}",
                                   code="explanation_state",
                                   params={"state": explanation.get_state_display(),
                                           "action": gettext_lazy("审核通过") if approve else gettext_lazy("退回")})
    if not approve and not note.strip():
        raise ValidationFailed.of("note", "say what to change", code="required")
    if approve and by is not None and explanation.drafted_by_id == by.pk:
        # R-EXPLAIN: the wording is approved by someone else than who drafted it (统一口径).
        raise NotPermitted(f"R-EXPLAIN: {by.get_username()} drafted explanation {explanation.pk} and cannot "
                           f"approve it", code="explanation_own_draft")
    getattr(explanation, name)(by=by, at=timezone.now(), note=note.strip())
    explanation.save()
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.EXPLANATION, by=by, note=f"{explanation.state} {note}".strip(),
                 data={"explanation": explanation.pk, "state": explanation.state})
    notify.notify_explanation_reviewed(ticket, explanation)
    return explanation


def approve_explanation(*, explanation_id: int, by: User, note: str = "", ticket_id: int | None = None):
    return review_explanation(explanation_id=explanation_id, by=by, approve=True, note=note, ticket_id=ticket_id)


@transaction.atomic
def release_explanation(*, explanation_id: int, by: User, ticket_id: int | None = None, recipient: str = "",
                        channel: str = ContactChannel.PHONE) -> Explanation:
    """R-EXPLAIN: tell the customer — only an approved explanation may be released, and the release records to
    whom (the customer's contact; by default the first technical contact) and by which channel."""
    explanation, ticket = _lock(explanation_id, ticket_id)
    ensure_can(by, "release_explanation", ticket)
    if not can_proceed(explanation.release):
        raise TransitionNotAllowed(
            f"R-EXPLAIN: explanation {explanation.pk} is {explanation.state}; it must be approved before release",
            code="explanation_not_approved", params={"state": explanation.get_state_display()},
        )
    if channel not in ContactChannel.values:
        raise ValidationFailed.of("channel", f"must be one of {', '.join(ContactChannel.values)}")
    recipient = (recipient or "").strip()
    if not recipient and ticket.customer_id:
        contact = ticket.customer.contacts.order_by("-is_technical", "name").first()
        recipient = f"{contact.name} {contact.phone}" if contact else ticket.customer.name
    if not recipient:
        raise ValidationFailed.of("recipient", "R-EXPLAIN: say which customer contact was told")
    if len(recipient) > 120:
        raise ValidationFailed.of("recipient", "at most 120 characters")
    explanation.release(by=by, at=timezone.now())
    explanation.released_to, explanation.release_channel = recipient, channel
    explanation.save()
    save_ticket(ticket)
    record_event(ticket, kind=EventKind.EXPLANATION, by=by, note="released",
                 data={"explanation": explanation.pk, "recipient": recipient, "channel": channel})
    return explanation
