"""The alarm answer is built without serializer fields per request (CONTRACT.md ``POST /api/v1/alarms/``): it
must say exactly what ``AlarmOut`` and ``TicketSummaryOut`` (the schema's serializers) say of the stored rows."""
import pytest

from tests import factories as f
from tests.api.conftest import alarm_body, noc_client
from tickets import selectors
from tickets.api.serializers import AlarmOut, TicketSummaryOut
from tickets.models import Alarm

pytestmark = pytest.mark.django_db

ALARMS = "/api/v1/alarms/"


@pytest.mark.parametrize("tier", ["gold", "normal", None])
def test_new_correlated_and_duplicate_answers_match_the_serializers_of_the_stored_rows(tier):
    """R-DISPATCH-IMP / R-DISPATCH-NORM / triage: whatever the path, the answer is the rows as stored."""
    circuit_id = f.CircuitFactory(customer__tier=tier).circuit_id if tier else "UNKNOWN-CIRCUIT-1"
    client = noc_client()
    first = alarm_body(circuit_id)
    for body, status in ((first, 201), (alarm_body(circuit_id, severity="major", outage="partial"), 200),
                         (first, 200)):
        response = client.post(ALARMS, body, format="json")
        assert response.status_code == status, response.content
        answer = response.json()
        alarm = Alarm.objects.get(alarm_id=body["alarm_id"])
        ticket = selectors.ticket_summary(alarm.ticket_id)
        assert answer["alarm"] == AlarmOut(alarm).data
        assert answer["ticket"] == TicketSummaryOut(ticket, context={"request": response.wsgi_request}).data
        assert answer["ticket"]["deadlines"], answer
