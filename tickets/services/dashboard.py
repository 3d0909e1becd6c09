"""The dashboard's summary row: the window figures computed once per beat, not on every page view."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .. import selectors
from ..models import DashboardFigures


def refresh_dashboard_figures(*, now: datetime | None = None) -> DashboardFigures:
    """Compute the 7/30-day tier figures and the 7-day chart now and keep them (``DashboardFigures``)."""
    now = now or timezone.now()
    figures = selectors.compute_window_figures(now)
    row, _ = DashboardFigures.objects.update_or_create(
        key=selectors.WINDOW_FIGURES_KEY,
        defaults={"computed_at": now, "data": selectors.encode_window_figures(figures)})
    return row
