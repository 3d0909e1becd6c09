"""R-QUAL-SERIES in a real browser: a series posted over the API shows as a uPlot chart on the circuit page (desktop
and a 390 px phone) and around the fault on the ticket page."""
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import ingest

from .test_visits import DESKTOP, PASSWORD, PHONE, SMALL_TARGETS_JS, TAP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_posted_series_shows_as_a_chart_on_desktop_and_phone(live_server, browser, shoot):
    from quality.defaults import ensure
    from staff.models import User

    ensure()
    User.objects.create_superuser("qadmin", password=PASSWORD)
    circuit = f.CircuitFactory(customer__tier="gold")
    _, token = issue_client(name="collector", scopes=["quality:write"])
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=6)
    samples = [{"circuit_id": circuit.circuit_id, "indicator": "latency_ms", "at": (start + k * timedelta(minutes=5)).isoformat(),
                "value": 10 + (k % 12)} for k in range(72)]
    response = requests.post(f"{live_server.url}/api/v1/quality/samples/", json={"samples": samples},
                             headers={"Authorization": f"Token {token}"}, timeout=30)
    assert response.status_code == 202 and response.json()["accepted"] == 72
    ticket = ingest(circuit.circuit_id, minutes_ago=60).ticket

    for viewport, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        log_in(page, live_server.url, "qadmin")
        page.goto(f"{live_server.url}/quality/circuits/{circuit.circuit_id}/?indicator=latency_ms")
        page.wait_for_selector("[data-quality-chart][data-drawn='1'] canvas", timeout=10_000)
        width = page.evaluate("document.querySelector('[data-quality-chart] canvas').getBoundingClientRect().width")
        assert 250 < width <= viewport["width"]
        shoot(page, f"quality-circuit-{tag}")
        if tag == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate(SMALL_TARGETS_JS, TAP) == []
        page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
        page.wait_for_selector("#quality-ticket-panel [data-drawn='1'] canvas", timeout=10_000)
        shoot(page, f"quality-ticket-{tag}")
        context.close()
