"""What visits shows on pages of other apps (registered in ``VisitsConfig.ready``, see supportdesk/core/hooks.py)."""
from __future__ import annotations

from django.utils import timezone

from . import selectors
from .services.correspondence import unacknowledged_incoming_documents

DASHBOARD_LIMIT = 8


def dashboard_context(request, limit: int = DASHBOARD_LIMIT) -> dict:
    """The managers' dashboard panel: visit coverage and overdue follow-ups."""
    now = timezone.now()
    report = selectors.coverage_report(now)
    overdue = list(selectors.overdue_followups(now)[: limit + 1])
    return {
        "report": report,
        "overdue_customers": [row for tier in report for row in tier.overdue][:limit],
        "overdue_customer_count": sum(len(tier.overdue) for tier in report),
        "overdue_followups": overdue[:limit],
        "more_followups": len(overdue) > limit,
        "unacknowledged_documents": list(unacknowledged_incoming_documents()[:limit]),  # R-VISIT-4
    }


def ticket_correspondence_context(request, ticket) -> dict:
    """R-VISIT-4: from a ticket, the customer's correspondence (a fault explanation letter, a report, a document
    received about the fault); shown to those who may see visits."""
    if ticket.customer_id is None or not request.user.has_perm("visits.view_visit"):
        return {"correspondence_customer_id": None}
    rows = selectors.customer_correspondence(ticket.customer_id)
    return {
        "correspondence_customer_id": ticket.customer_id,
        "correspondence_outgoing": [d for d in rows["outgoing"] if d.ticket_id == ticket.pk],
        "correspondence_incoming": [d for d in rows["incoming"] if d.ticket_id == ticket.pk],
    }
