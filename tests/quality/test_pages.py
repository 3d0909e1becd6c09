"""Quality pages: the circuit's trend chart, warnings, dial button, statistics with CSV (R-QUAL-SERIES, -STATS)."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quality.services import evaluate, ingest_samples
from tests import factories as f
from tests.api.conftest import ingest

from .helpers import samples

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def operator():
    from staff.models import User

    return User.objects.create_superuser("opq", password="x")


@time_machine.travel(NOW, tick=False)
def test_circuit_page_draws_the_posted_series(client):
    """R-QUAL-SERIES: the posted series is on the circuit page as chart data (latest N by default)."""
    circuit = f.CircuitFactory()
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [10.0, 12.0, 14.0]))
    client.force_login(operator())
    response = client.get(f"/quality/circuits/{circuit.circuit_id}/?indicator=latency_ms")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-quality-chart="chart-latency_ms"' in body
    assert '"avg": [10.0, 12.0, 14.0]' in body
    assert "uPlot.iife.min.js" in body and "cdn" not in body.lower()
    assert "BLACKBOX_EXPORTER_URL" in body  # no prober configured in the test settings


@time_machine.travel(NOW, tick=False)
def test_circuit_page_range_and_bad_range(client):
    """R-QUAL-SERIES: any time range on request; a wrong one is named, not a crash."""
    circuit = f.CircuitFactory()
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [10.0, 12.0, 14.0]))
    client.force_login(operator())
    url = f"/quality/circuits/{circuit.circuit_id}/"
    body = client.get(url, {"indicator": "latency_ms", "from": "2026-11-30T16:05", "to": "2026-11-30T16:15"}).content
    assert b'"avg": [12.0, 14.0]' in body  # local time (Asia/Shanghai) 16:05 = 08:05 UTC
    bad = client.get(url, {"indicator": "latency_ms", "from": "yesterday"})
    assert bad.status_code == 200 and "msg-error" in bad.content.decode()


def test_statistics_page_and_csv_in_constant_queries(client, django_assert_max_num_queries):
    """R-QUAL-STATS: by customer with outage minutes, availability, median restore, warnings; CSV export;
    the number of queries does not grow with tickets or groups."""
    user = operator()
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        for tier in ("diamond", "gold", "normal"):
            for _ in range(3):
                circuit = f.CircuitFactory(customer__tier=tier)
                ingest(circuit.circuit_id, minutes_ago=30)
        q = f.CircuitFactory(customer__tier="normal")
        ingest_samples(samples=samples(q.circuit_id, "latency_ms", START, [90.0] * 3))
        evaluate()
        for dimension in ("customer", "circuit", "service_type", "tier", "room", "cause", "period"):
            with django_assert_max_num_queries(12):
                response = client.get("/quality/stats/", {"by": dimension})
            assert response.status_code == 200, dimension
        with django_assert_max_num_queries(12):
            response = client.get("/quality/stats/", {"by": "tier", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["key", "label", "circuits", "faults", "outage_minutes"]
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key["diamond"][3] == "3" and float(by_key["diamond"][4]) == pytest.approx(90.0)
    assert by_key["normal"][8] == "1"  # the warning on the normal customer's line
    assert float(by_key["gold"][5]) < 100.0


@time_machine.travel(NOW, tick=False)
def test_warnings_page_lists_active_warnings(client):
    """R-QUAL-PROACTIVE: other customers' warnings are shown as warnings (not tickets)."""
    circuit = f.CircuitFactory(customer__tier="normal")
    ingest_samples(samples=samples(circuit.circuit_id, "jitter_ms", START, [40.0] * 3))
    evaluate()
    client.force_login(operator())
    body = client.get("/quality/").content.decode()
    assert circuit.circuit_id in body and "data-warning" in body


def test_outage_minutes_are_clipped_to_the_period():
    """R-QUAL-STATS: outage from occurrence to restore, only the part inside the period counts."""
    from quality import stats

    with time_machine.travel(NOW, tick=False):
        circuit = f.CircuitFactory(customer__tier="gold")
        ingest(circuit.circuit_id, minutes_ago=120)
        rep = stats.report(dimension="circuit", start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1))
    assert rep.groups == []  # occurred before the period: not a fault of this period
    with time_machine.travel(NOW, tick=False):
        rep = stats.report(dimension="circuit", start=NOW - timedelta(hours=3), end=NOW + timedelta(hours=1))
    assert rep.groups[0].outage_minutes == pytest.approx(120.0)


def test_ticket_page_shows_the_circuit_series_around_the_fault(client):
    """R-QUAL-SERIES: the ticket page carries the circuit's series around the fault (a panel quality registers)."""
    circuit = f.CircuitFactory(customer__tier="gold")
    with time_machine.travel(NOW, tick=False):
        ingest_samples(samples=samples(circuit.circuit_id, "loss_pct", START, [0.0, 0.0, 7.5]))
        result = ingest(circuit.circuit_id, minutes_ago=60)
        client.force_login(operator())
        body = client.get(f"/tickets/{result.ticket.pk}/").content.decode()
    assert 'id="quality-ticket-panel"' in body
    assert 'data-quality-chart="chart-loss_pct"' in body and "7.5" in body


def test_console_shows_active_quality_warnings(client):
    """R-QUAL-PROACTIVE: warnings of other customers are shown on the monitoring console."""
    circuit = f.CircuitFactory(customer__tier="normal")
    with time_machine.travel(NOW, tick=False):
        ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", START, [70.0] * 3))
        evaluate()
        client.force_login(operator())
        body = client.get("/console/").content.decode()
    assert 'id="quality-panel"' in body and circuit.circuit_id in body


def test_a_registered_metric_is_a_column_of_the_statistics(client):
    """R-QUAL-STATS: complaints (another app) add their per-circuit count through the core hook."""
    from supportdesk.core import hooks

    circuit = f.CircuitFactory(customer__tier="gold")
    hooks.register_stats_metric("complaints", label="投诉", per_circuit=lambda *, start, end: {circuit.pk: 2})
    try:
        client.force_login(operator())
        with time_machine.travel(NOW, tick=False):
            response = client.get("/quality/stats/", {"by": "circuit", "format": "csv"})
    finally:
        hooks._stats_metrics.pop("complaints", None)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "complaints"
    assert [r for r in rows[1:] if r[0] == circuit.circuit_id][0][-1] == "2"
