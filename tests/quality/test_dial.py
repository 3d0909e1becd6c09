"""R-QUAL-DIAL: dial tests through the real blackbox exporter — at dispatch, on demand, on a schedule."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quality.choices import DialTrigger, WarningKind
from quality.models import DialSchedule, DialTarget, QualityDialTest, QualityWarning
from quality.services import run_scheduled_dial_tests
from tests import factories as f
from tests.api.conftest import ingest, noc_client
from tickets.models import Alarm, DialTest, FaultTicket

from .blackbox import INSTALLED, running_exporter, tcp_listener

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not INSTALLED, reason="apt-get install prometheus-blackbox-exporter"),
]


@pytest.fixture
def exporter(tmp_path, settings):
    with running_exporter(tmp_path) as url:
        settings.BLACKBOX_EXPORTER_URL = url
        settings.BLACKBOX_TIMEOUT_SECONDS = 2
        yield url


@pytest.fixture
def run_tasks_inline(monkeypatch):
    """The on-commit task runs in the test's thread (no worker): ``.delay(x)`` calls the task."""
    from quality import tasks

    monkeypatch.setattr(tasks.dial_for_dispatched_ticket, "delay", lambda ticket_id: tasks.dial_for_dispatched_ticket(ticket_id))


def test_dispatch_dials_at_once_then_on_demand_sees_the_line_fail(exporter, run_tasks_inline,
                                                                  django_capture_on_commit_callbacks):
    """R-QUAL-DIAL: a leased line's ticket dispatched → a dial test right after the commit, its result on the
    ticket (pass: the listener is open); the on-demand API dial after the listener closed fails (100 % loss)."""
    circuit = f.CircuitFactory(customer__tier="gold", service_type="data_line")
    with tcp_listener() as server:
        DialTarget.objects.create(circuit=circuit, module="tcp_connect", target=f"127.0.0.1:{server.getsockname()[1]}")
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest(circuit.circuit_id, minutes_ago=5)  # matched customer: dispatched at ingestion
    ticket = FaultTicket.objects.get(pk=result.ticket.pk)
    assert ticket.dispatched_at is not None
    test = QualityDialTest.objects.get()
    assert (test.trigger, test.result, test.loss_pct, test.ticket_id) == (DialTrigger.DISPATCH, "pass", 0.0, ticket.pk)
    assert DialTest.objects.get(ticket=ticket).result == "pass"  # shown on the ticket's page

    client = noc_client("prober", scopes=["quality:write"])
    response = client.post(f"/api/v1/circuits/{circuit.circuit_id}/dial-tests/", {"attempts": 2}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "fail" and body["loss_pct"] == 100.0 and "refused" in body["detail"].lower()
    assert body["ticket"]["id"] == ticket.pk
    assert DialTest.objects.filter(ticket=ticket, result="fail").count() == 1


def test_a_failed_scheduled_test_on_a_line_without_a_ticket_raises_an_alarm(exporter):
    """R-QUAL-DIAL: the schedule per tier; a failure with no open ticket → an alarm into ingest (once);
    the next passing test clears it."""
    DialSchedule.objects.filter(tier="diamond").update(every_minutes=15, attempts=2)
    circuit = f.CircuitFactory(customer__tier="diamond", service_type="internet_line")
    quiet = f.CircuitFactory(customer__tier="normal", service_type="internet_line")  # normal: no schedule
    with tcp_listener() as server:
        port = server.getsockname()[1]
    DialTarget.objects.create(circuit=circuit, module="tcp_connect", target=f"127.0.0.1:{port}")
    DialTarget.objects.create(circuit=quiet, module="tcp_connect", target=f"127.0.0.1:{port}")
    t0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        first = run_scheduled_dial_tests()
    assert first == {"tested": 1, "failed": 1, "alarms": 1}
    alarm = Alarm.objects.get(source="quality")
    assert alarm.circuit_ref == circuit.circuit_id and alarm.outage == "total"
    warning = QualityWarning.objects.get(kind=WarningKind.DIAL_TEST)
    assert warning.ticket_id == alarm.ticket_id
    with time_machine.travel(t0 + timedelta(minutes=5), tick=False):
        assert run_scheduled_dial_tests()["tested"] == 0  # not due before 15 minutes
    with tcp_listener() as server:
        DialTarget.objects.filter(circuit=circuit).update(target=f"127.0.0.1:{server.getsockname()[1]}")
        with time_machine.travel(t0 + timedelta(minutes=16), tick=False):
            again = run_scheduled_dial_tests()
    assert again == {"tested": 1, "failed": 0, "alarms": 0}
    warning.refresh_from_db()
    alarm.refresh_from_db()
    assert warning.state == "cleared" and alarm.cleared_at is not None
    assert FaultTicket.objects.count() == 1
