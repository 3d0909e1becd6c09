"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) posts to the running application.

Alerts are posted to Alertmanager's own API; Alertmanager groups them and calls our webhook receiver with
the bearer token issued here, first firing, then resolved (``send_resolved: true``).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from staff.tokens import issue_client
from tests import factories as f
from tickets.choices import DeadlineKind, TicketState
from tickets.models import Alarm, AlarmIntegration, FaultTicket

from .helpers import URL

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
WAIT_SECONDS = 30

pytestmark = pytest.mark.skipif(not os.access(ALERTMANAGER, os.X_OK),
                                reason=f"{ALERTMANAGER} is not installed (apt-get install prometheus-alertmanager)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(what: str, probe, log_path=None):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    log = log_path.read_text()[-4000:] if log_path and log_path.exists() else ""
    pytest.fail(f"waited {WAIT_SECONDS} s for {what}\n--- alertmanager log ---\n{log}")


@pytest.fixture
def alertmanager(live_server, tmp_path):
    """Alertmanager with one webhook receiver: this application, authenticated with a fresh token."""
    client, token = issue_client(name="alertmanager-live")
    AlarmIntegration.objects.create(name="alertmanager-live", client=client)
    config = {
        "route": {"receiver": "supportdesk", "group_by": ["alertname", "circuit_id"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "supportdesk", "webhook_configs": [{
            "url": live_server.url + URL,
            "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
        }]}],
    }
    config_path = tmp_path / "alertmanager.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    log_path = tmp_path / "alertmanager.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config_path}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        def ready():
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                return http("GET", base + "/-/ready")[0] == 200
            except OSError:
                return False

        wait_for("alertmanager to be ready", ready, log_path)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_alertmanager_opens_then_clears_a_ticket_through_the_webhook(alertmanager):
    """R-LEAD / R-DISPATCH-IMP / R-ESC-1 / R-ESC-2, from a real Alertmanager: a transmission alert on a gold
    customer's circuit opens a dispatched ticket led by the transport room, with its deadlines; the resolved
    notification records the clear on the alarm and the ticket without closing it."""
    base, log_path = alertmanager
    circuit = f.CircuitFactory(customer__tier="gold")
    starts = (timezone.now() - timedelta(minutes=3)).astimezone(UTC).replace(microsecond=0)
    alert = {
        "labels": {"alertname": "LinkDown", "circuit_id": circuit.circuit_id, "category": "transmission",
                   "severity": "critical", "outage": "total", "instance": "pe1.sz:9100"},
        "annotations": {"summary": "LOS on STM-1 port 3"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.example:9090/graph",
    }
    status, body = http("POST", base + "/api/v2/alerts", [alert])
    assert status == 200, body

    # The ticket is stored, then dispatched at once (R-DISPATCH-IMP): wait for both.
    ticket = wait_for("the dispatched ticket", lambda: FaultTicket.objects.filter(
        circuit_ref=circuit.circuit_id, dispatched_at__isnull=False).first(), log_path)
    assert ticket.customer == circuit.customer and not ticket.needs_triage
    assert ticket.lead_room.code == "transport"
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.occurred_at == starts
    due = {d.kind: d.due_at for d in ticket.deadlines.all()}
    assert due[DeadlineKind.JOINT_HANDLING] == starts + timedelta(hours=1)
    assert due[DeadlineKind.ARRIVAL] == starts + timedelta(hours=2)
    alarm = Alarm.objects.get(ticket=ticket)
    assert alarm.alarm_id.startswith("am:") and alarm.alarm_id.endswith(f"{starts:%Y%m%dT%H%M%S}.000000Z")
    assert alarm.source == "alertmanager:alertmanager-live"

    ends = (timezone.now() - timedelta(seconds=5)).astimezone(UTC).replace(microsecond=0)
    status, body = http("POST", base + "/api/v2/alerts",
                        [{**alert, "endsAt": ends.isoformat().replace("+00:00", "Z")}])
    assert status == 200, body

    cleared = wait_for("the clear", lambda: Alarm.objects.filter(pk=alarm.pk, cleared_at__isnull=False).first(),
                       log_path)
    assert cleared.cleared_at == ends
    ticket = FaultTicket.objects.get(pk=ticket.pk)
    assert ticket.alarm_cleared_at == ends
    assert ticket.state == TicketState.DISPATCHED  # a clear proposes restore; it never closes
    assert ticket.events.filter(kind="alarm_cleared").count() == 1
    assert Alarm.objects.filter(ticket=ticket).count() == 1
    integration = wait_for("the counters", lambda: AlarmIntegration.objects.filter(
        name="alertmanager-live", received_count__gte=2).first(), log_path)
    assert integration.rejected_count == 0 and integration.last_received_at is not None
