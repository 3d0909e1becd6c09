"""R-CMP-FAULT: an equipment fault found in analysis raises or links the fault ticket; the complaint's handling
is met when that fault is restored."""
import pytest
import time_machine

from complaints.models import ComplaintDeadline, ComplaintEvent
from complaints.services import transitions as t
from supportdesk.core.errors import ValidationFailed
from tests import factories as f
from tests.api.conftest import ingest
from tickets import services as ts

from .conftest import at, receive

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 24, 10, 30)


def _analysed(circuit, route="transport"):
    c = receive(circuit.customer, circuit, received_at=at(2026, 11, 24, 10, 0))
    t.sort(complaint_id=c.pk, by=None, route_to=route)
    return t.analyse(complaint_id=c.pk, by=None, finding="equipment_fault", note="光模块故障")


@time_machine.travel(NOW, tick=False)
def test_equipment_fault_raises_a_dispatched_fault_ticket_and_both_show_each_other():
    """R-CMP-FAULT: no open ticket on the circuit: one is raised (source complaint) and dispatched."""
    circuit = f.CircuitFactory(customer__tier="gold")
    c = _analysed(circuit)
    ticket = c.fault_ticket
    assert ticket is not None and ticket.source == "complaint" and ticket.circuit_ref == circuit.circuit_id
    assert ticket.state == "dispatched" and ticket.lead_room.code == "transport"
    assert c.number in ticket.title
    assert list(ticket.complaints.all()) == [c]  # the ticket shows its complaint
    assert ComplaintEvent.objects.filter(complaint=c, kind="fault_raised").exists()


@time_machine.travel(NOW, tick=False)
def test_equipment_fault_links_the_open_ticket_on_the_circuit():
    """R-CMP-FAULT: an open ticket on the same circuit is linked, not duplicated."""
    circuit = f.CircuitFactory(customer__tier="gold")
    open_ticket = ingest(circuit.circuit_id).ticket
    c = _analysed(circuit)
    assert c.fault_ticket_id == open_ticket.pk
    assert ComplaintEvent.objects.filter(complaint=c, kind="fault_linked").exists()


@time_machine.travel(NOW, tick=False)
def test_handling_is_met_when_the_fault_is_restored():
    """R-CMP-FAULT: handle is refused until the fault ticket is restored; the restore meets the handling."""
    circuit = f.CircuitFactory(customer__tier="gold")
    c = _analysed(circuit)
    with pytest.raises(ValidationFailed, match="not restored"):
        t.handle(complaint_id=c.pk, by=None)
    ticket = c.fault_ticket
    engineer = f.room_engineer("transport")
    ts.accept(ticket_id=ticket.pk, by=engineer)
    ts.add_progress(ticket_id=ticket.pk, by=engineer, text="更换光模块")
    with time_machine.travel(at(2026, 11, 24, 14, 0), tick=False):
        ts.restore(ticket_id=ticket.pk, by=engineer, note="业务恢复")
    c.refresh_from_db()
    assert c.stage == "handled" and c.handled_at == at(2026, 11, 24, 14, 0)
    handling = ComplaintDeadline.objects.get(complaint=c, stage="handling")
    assert handling.met_at == at(2026, 11, 24, 14, 0) and handling.breached_at is None
    assert ComplaintEvent.objects.filter(complaint=c, kind="fault_restored").exists()


@time_machine.travel(NOW, tick=False)
def test_the_ticket_page_shows_its_complaints():
    """R-CMP-FAULT: both show each other — the fault ticket's page lists the complaint."""
    from django.test import Client

    circuit = f.CircuitFactory(customer__tier="gold")
    c = _analysed(circuit)
    client = Client()
    client.force_login(f.monitoring_operator(), backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(f"/tickets/{c.fault_ticket_id}/").content.decode()
    assert f'href="/complaints/{c.pk}/"' in html and c.number in html
    html = client.get(f"/complaints/{c.pk}/").content.decode()
    assert f'href="/tickets/{c.fault_ticket_id}/"' in html
