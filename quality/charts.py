"""What a trend chart needs, as plain JSON for the page (``json_script``) and ``static/js/quality-chart.js``."""
from __future__ import annotations

from datetime import datetime, timedelta

from .choices import Granularity


def chart_payload(indicator, granularity: str, columns: dict, *, marks=()) -> dict:
    """uPlot columns (``selectors.series_columns``): epoch seconds, avg, and min/max where a point aggregates."""
    return {
        "id": f"chart-{indicator.code}",
        "code": indicator.code, "label": indicator.label, "unit": indicator.unit, "granularity": granularity,
        "x": columns["x"], "avg": columns["avg"], "min": columns["min"], "max": columns["max"],
        "marks": [int(m.timestamp()) for m in marks if m is not None],
        "count": len(columns["x"]),
    }


def ticket_window(ticket, *, now: datetime) -> tuple[datetime, datetime, str]:
    """Around the fault: 6 h before it to 1 h after the restore (or now); a granularity that keeps it readable."""
    start = ticket.occurred_at - timedelta(hours=6)
    end = min((ticket.restored_at or now) + timedelta(hours=1), now + timedelta(minutes=5))
    span = end - start
    if span <= timedelta(days=2):
        granularity = Granularity.FIVE_MINUTES
    elif span <= timedelta(days=14):
        granularity = Granularity.FIFTEEN_MINUTES
    else:
        granularity = Granularity.HOUR
    return start, end, granularity
