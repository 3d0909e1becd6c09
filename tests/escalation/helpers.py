from datetime import timedelta
from itertools import count

import time_machine
from django.utils import timezone

from tests import factories as f
from tickets import services

_ids = count(1)


def alarm_ticket(*, tier="gold", minutes_ago=0, category="transmission", outage="total", circuit=None):
    """A real ticket made by ingesting an alarm raised ``minutes_ago`` (dispatched when the customer is known)."""
    circuit = circuit or f.CircuitFactory(customer__tier=tier)
    raised = timezone.now() - timedelta(minutes=minutes_ago)
    # Ingested when it was raised (R-ESC-1: an alarm arriving after its deadline escalates at ingestion).
    with time_machine.travel(raised, tick=False):
        result = services.ingest_alarm(alarm=services.AlarmIn(
            alarm_id=f"ESC-{next(_ids)}-{circuit.circuit_id}", category=category, severity="critical",
            outage=outage, circuit_id=circuit.circuit_id, title="LOS", raised_at=raised))
    return result.ticket
