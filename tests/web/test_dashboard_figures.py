"""The dashboard's 7/30-day figures and chart come from the summary row beat keeps, not from the window."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tickets import selectors
from tickets.services.dashboard import refresh_dashboard_figures
from tickets.tasks import refresh_dashboard

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _history(n: int) -> None:
    for i in range(n):
        f.TicketFactory(customer__tier=("diamond", "gold", "normal")[i % 3], state="closed",
                        occurred_at=NOW - timedelta(days=i % 20, hours=3), restored_at=NOW - timedelta(days=i % 20))


@time_machine.travel(NOW, tick=False)
def test_the_kept_figures_are_the_computed_ones():
    _history(9)
    live = selectors.compute_window_figures(NOW)
    refresh_dashboard_figures(now=NOW)
    kept = selectors.window_figures(NOW, max_age=timedelta(minutes=3))
    assert kept["stats"] == live["stats"]
    assert kept["met_by_kind"] == live["met_by_kind"]
    assert kept["series"] == live["series"]
    assert kept["at"] == NOW


@time_machine.travel(NOW, tick=False)
def test_a_stale_or_missing_row_is_computed_on_the_spot():
    _history(3)
    assert selectors.window_figures(NOW, max_age=timedelta(minutes=3))["at"] == NOW  # no row
    refresh_dashboard_figures(now=NOW - timedelta(minutes=10))
    _history(3)
    figures = selectors.window_figures(NOW, max_age=timedelta(minutes=3))
    assert figures["at"] == NOW
    assert sum(r["tickets"] for r in figures["stats"][1][1]) == 6


@time_machine.travel(NOW, tick=False)
def test_with_the_row_kept_the_page_costs_the_same_whatever_the_history(settings):
    """Flat pages: with the summary row fresh, the dashboard does not read the window's tickets."""
    settings.DASHBOARD_FIGURES_MAX_AGE_SECONDS = 180
    client = Client()
    client.force_login(f.support_manager(), backend="django.contrib.auth.backends.ModelBackend")

    def queries():
        refresh_dashboard()
        assert client.get("/dashboard/").status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/dashboard/")
        assert response.status_code == 200
        assert not any("percentile_cont" in q["sql"].lower() for q in ctx.captured_queries)
        return len(ctx.captured_queries)

    _history(3)
    few = queries()
    _history(30)
    assert queries() == few
