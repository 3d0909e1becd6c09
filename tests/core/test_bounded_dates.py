"""A year-1 (or year-9999) time is refused everywhere a person or a system can type one, and a row
written before the bounds existed is repaired so the main screens and the sweep keep working."""
import importlib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests import factories as f
from tickets.models import Deadline, FaultTicket
from tickets.services.escalation import sweep
from visits.models import Visit

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-11-30T10:00:00+08:00")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "1999-12-31T23:59", "9999-12-31T23:59", "2026-11-30T11:00"])
def test_console_create_form_refuses_an_occurred_at_out_of_range(client, value):
    operator = f.monitoring_operator()
    customer = f.CustomerFactory()
    client.force_login(operator)
    response = client.post("/console/tickets/new/", {
        "title": "断纤", "customer": customer.pk, "occurred_at": value, "source": "phone", "category": "other",
        "severity": "major", "outage": "partial",
    })
    assert response.status_code == 400
    assert "occurred_at" in response.context["create_form"].errors
    assert not FaultTicket.objects.exists()
    assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "2030-01-01T10:00"])
def test_visit_form_refuses_a_planned_at_out_of_range(client, value):
    engineer = f.support_engineer()
    client.force_login(engineer)
    response = client.post("/visits/new/", {
        "customer": f.CustomerFactory().pk, "kind": "technical_exchange", "planned_at": value,
    })
    assert response.status_code in (200, 400)
    assert "planned_at" in response.context["form"].errors
    assert not Visit.objects.exists()


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31", "2026-02-30", ""])
def test_agenda_with_a_start_out_of_range_shows_today(client, start):
    client.force_login(f.support_engineer())
    response = client.get("/visits/agenda/", {"start": start})
    assert response.status_code == 200
    assert response.context["start"] == timezone.localdate()


def test_visits_api_refuses_a_planned_at_out_of_range(client):
    client.force_login(f.support_engineer())
    customer = f.CustomerFactory()
    for value in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+00:00", "2031-01-01T00:00:00+08:00"):
        response = client.post("/api/v1/visits/", {"customer": customer.pk, "kind": "technical_exchange", "planned_at": value},
                               content_type="application/json")
        assert response.status_code == 400, (value, response.content)
        assert "planned_at" in response.content.decode()
    assert not Visit.objects.exists()


def test_the_database_refuses_a_year_one_fault_time():
    ticket = f.TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FaultTicket.objects.filter(pk=ticket.pk).update(occurred_at=datetime(1, 1, 1, tzinfo=timezone.get_current_timezone()))


def test_a_year_one_row_written_before_the_bounds_is_repaired_and_pages_and_sweep_work(client):
    """The repair of the migration: the clock moves to the creation time, the deadlines keep their distance."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE tickets_faultticket DROP CONSTRAINT ticket_occurred_at_in_range")
        cursor.execute("ALTER TABLE tickets_deadline DROP CONSTRAINT deadline_due_at_in_range")
    ticket = f.TicketFactory(occurred_at=NOW - timedelta(hours=2))
    Deadline.objects.create(ticket=ticket, kind="joint_handling", due_at=NOW - timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_faultticket SET occurred_at = '0001-01-01 00:00:00+08:05:43', created_at = %s "
                       "WHERE id = %s", [NOW - timedelta(minutes=30), ticket.pk])
        cursor.execute("UPDATE tickets_deadline SET due_at = '0001-01-01 01:00:00+08:05:43' WHERE ticket_id = %s",
                       [ticket.pk])
    migration = importlib.import_module("tickets.migrations.0010_times_in_range")
    migration.repair_out_of_range_times(None, connection.schema_editor())
    ticket.refresh_from_db()
    assert ticket.occurred_at == NOW - timedelta(minutes=30)
    assert ticket.deadlines.get().due_at == NOW + timedelta(minutes=30)
    client.force_login(f.monitoring_operator())
    for url in ("/console/", "/console/queue/", f"/tickets/{ticket.pk}/"):
        assert client.get(url).status_code == 200, url
    sweep(origin="test")


def test_an_alertmanager_alert_from_before_2000_is_refused_alone():
    """The services refuse the time as the API does; in a batch only that alert is refused."""
    from tests.integrations.helpers import URL, bearer, circuit_alert, webhook
    from tickets.models import Alarm

    circuits = [f.CircuitFactory(customer__tier="gold") for _ in range(2)]
    old = circuit_alert(circuits[0].circuit_id)
    old["startsAt"] = "1999-12-31T23:00:00Z"
    api, _ = bearer()
    response = api.post(URL, webhook(old, circuit_alert(circuits[1].circuit_id)), format="json")
    assert response.status_code == 200, response.content
    assert Alarm.objects.count() == 1
