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
