"""R-QUAL-THRESHOLD / R-QUAL-FLUCT / R-QUAL-PROACTIVE: evaluation by beat opens and clears tickets."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from quality.choices import WarningKind, WarningState
from quality.models import QualityWarning
from quality.services import evaluate, ingest_samples
from tests import factories as f
from tickets.choices import EventKind, TicketState
from tickets.models import Alarm, FaultTicket

from .helpers import FIVE, samples

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def post(circuit, indicator, start, values):
    outcome = ingest_samples(samples=samples(circuit.circuit_id, indicator, start, values))
    assert not outcome.rejected


def test_step_change_on_a_diamond_line_opens_one_ticket_and_recovery_clears_it():
    """R-QUAL-PROACTIVE: a loss step on a diamond customer's line opens one ticket (source quality) through the
    alarm ingest; the series back to normal for M = 6 intervals clears the alarm on the ticket."""
    circuit = f.CircuitFactory(customer__tier="diamond")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(circuit, "loss_pct", T0, [0.0] * 3 + [5.0] * 3)
        first = evaluate()
        assert first.raised == 1 and first.tickets == 1
        post(circuit, "loss_pct", T0 + 6 * FIVE, [6.0])
        again = evaluate()  # still beyond: the same episode, no second ticket
        assert again.raised == 0
    warning = QualityWarning.objects.get(kind=WarningKind.THRESHOLD)
    assert warning.state == WarningState.ACTIVE and warning.ticket is not None
    assert warning.started_at == T0 + 3 * FIVE and warning.limit_or_baseline == 1.0
    ticket = FaultTicket.objects.get()
    alarm = Alarm.objects.get()
    assert alarm.source == "quality" and alarm.ticket == ticket and ticket.state != TicketState.NEW
    with time_machine.travel(T0 + timedelta(minutes=80), tick=False):
        post(circuit, "loss_pct", T0 + 7 * FIVE, [0.0] * 5)
        assert evaluate().cleared == 0  # 5 normal intervals are not yet M = 6
        post(circuit, "loss_pct", T0 + 12 * FIVE, [0.0])
        summary = evaluate()
    assert summary.cleared == 1 and summary.alarm_clears == 1
    warning.refresh_from_db()
    assert warning.state == WarningState.CLEARED and warning.cleared_at == T0 + 12 * FIVE
    alarm.refresh_from_db()
    assert alarm.cleared_at == T0 + 12 * FIVE
    assert ticket.events.filter(kind=EventKind.ALARM_CLEARED).count() == 1
    assert FaultTicket.objects.count() == 1


def test_a_warning_on_a_line_with_an_open_ticket_joins_that_ticket():
    """R-QUAL-PROACTIVE: correlated with the circuit's open ticket, never a second ticket."""
    from tests.api.conftest import ingest

    circuit = f.CircuitFactory(customer__tier="gold")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        opened = ingest(circuit.circuit_id, minutes_ago=20)
        post(circuit, "latency_ms", T0, [80.0] * 3)
        evaluate()
    assert FaultTicket.objects.count() == 1
    assert QualityWarning.objects.get().ticket_id == opened.ticket.pk
    assert Alarm.objects.get(source="quality").correlated


def test_an_ordinary_customer_warning_opens_no_ticket():
    """R-QUAL-PROACTIVE: only important customers' warnings open tickets; the others are warnings."""
    circuit = f.CircuitFactory(customer__tier="normal")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(circuit, "jitter_ms", T0, [45.0] * 3)
        summary = evaluate()
    assert summary.raised == 1 and summary.tickets == 0
    assert FaultTicket.objects.count() == 0
    assert QualityWarning.objects.get().ticket is None


def test_k_minus_one_intervals_beyond_raise_nothing():
    """R-QUAL-THRESHOLD: K = 3 consecutive intervals are needed (two, then a normal one, then two)."""
    circuit = f.CircuitFactory(customer__tier="diamond")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(circuit, "latency_ms", T0, [60.0, 60.0, 10.0, 60.0, 60.0])
        assert evaluate().raised == 0
    assert not QualityWarning.objects.exists()


def test_a_tier_threshold_overrides_the_service_type_default():
    """R-QUAL-THRESHOLD: service type × indicator × tier; a diamond row replaces the default for diamond."""
    from quality.models import Indicator, Threshold

    Threshold.objects.create(service_type="data_line", indicator=Indicator.objects.get(code="latency_ms"),
                             tier="diamond", limit=20.0, k=3, m=6)
    diamond = f.CircuitFactory(customer__tier="diamond")
    gold = f.CircuitFactory(customer__tier="gold")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(diamond, "latency_ms", T0, [30.0] * 3)
        post(gold, "latency_ms", T0, [30.0] * 3)
        evaluate()
    assert list(QualityWarning.objects.values_list("circuit_id", flat=True)) == [diamond.pk]


def test_fluctuation_under_the_threshold_warns_against_the_circuit_history():
    """R-QUAL-FLUCT: a line normally at 10 ms that jumps to 30 ms (under 50) warns as a fluctuation."""
    circuit = f.CircuitFactory(customer__tier="normal")
    start = T0 - timedelta(hours=24)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        history = [10.0 + (0.5 if i % 2 else -0.5) for i in range(24 * 12)]
        post(circuit, "latency_ms", start, history)
        evaluate()
        post(circuit, "latency_ms", T0, [30.0] * 3)
        summary = evaluate()
    assert summary.raised == 1
    warning = QualityWarning.objects.get()
    assert warning.kind == WarningKind.FLUCTUATION and warning.limit_or_baseline == pytest.approx(10.0, abs=0.6)


def test_evaluate_quality_command_prints_one_line(capsys):
    """R-QUAL-PROACTIVE: `manage.py evaluate_quality` runs the same evaluation and prints a one-line summary."""
    circuit = f.CircuitFactory(customer__tier="normal")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(circuit, "latency_ms", T0, [70.0] * 3)
        call_command("evaluate_quality")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "1 warnings raised" in out[0]


def test_a_failed_hand_over_is_retried_by_the_next_evaluation(monkeypatch):
    """R-QUAL-PROACTIVE: if the ticket could not be opened (ingest down), the next run opens it — once."""
    import importlib

    evaluation = importlib.import_module("quality.services.evaluate")

    circuit = f.CircuitFactory(customer__tier="diamond")
    real = evaluation.raise_quality_alarm

    def broken(warning):
        raise RuntimeError("ingest unavailable")

    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        post(circuit, "loss_pct", T0, [4.0] * 3)
        monkeypatch.setattr(evaluation, "raise_quality_alarm", broken)
        assert evaluate().tickets == 0
        monkeypatch.setattr(evaluation, "raise_quality_alarm", real)
        assert evaluate().tickets == 1
        assert evaluate().tickets == 0
    assert FaultTicket.objects.count() == 1
