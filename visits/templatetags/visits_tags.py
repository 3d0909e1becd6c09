"""``{% visits_dashboard_panel %}``: visit coverage and overdue follow-ups for the managers' dashboard."""
from django import template
from django.utils import timezone

from .. import selectors

register = template.Library()


@register.inclusion_tag("visits/_dashboard_panel.html", takes_context=True)
def visits_dashboard_panel(context, limit: int = 8):
    now = timezone.now()
    report = selectors.coverage_report(now)
    overdue = list(selectors.overdue_followups(now)[: limit + 1])
    return {
        "report": report,
        "overdue_customers": [row for tier in report for row in tier.overdue][:limit],
        "overdue_customer_count": sum(len(tier.overdue) for tier in report),
        "overdue_followups": overdue[:limit],
        "more_followups": len(overdue) > limit,
        "request": context.get("request"),
    }
