"""The customer models moved from ``tickets`` to ``customers`` as a change of state only: no table dropped,
no row lost (customers/migrations/0001, tickets/migrations/0006, visits/migrations/0003)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("staff", "0002_api_client"),
    ("tickets", "0005_rounds_for_arrivals_and_explanations"),
    ("visits", "0002_policy_defaults"),
    ("customers", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _seed_old_schema(old) -> dict:
    Customer = old.get_model("tickets", "Customer")
    Site = old.get_model("tickets", "Site")
    Contact = old.get_model("tickets", "Contact")
    Circuit = old.get_model("tickets", "Circuit")
    FaultTicket = old.get_model("tickets", "FaultTicket")
    Alarm = old.get_model("tickets", "Alarm")
    Visit = old.get_model("visits", "Visit")
    now = timezone.now()
    ids = {"customers": [], "circuits": [], "tickets": {}, "alarms": {}, "visits": {}, "sites": [], "contacts": []}
    for i in range(3):
        customer = Customer.objects.create(code=f"MIG{i}", name=f"迁移客户{i}", tier=["diamond", "gold", "normal"][i])
        site = Site.objects.create(customer=customer, name=f"站点{i}", address=f"深圳市南山区{i}号")
        contact = Contact.objects.create(customer=customer, name=f"联系人{i}", phone=f"1390000000{i}")
        ids["customers"].append(customer.pk)
        ids["sites"].append(site.pk)
        ids["contacts"].append(contact.pk)
        for j in range(2):
            circuit = Circuit.objects.create(circuit_id=f"MIG-{i}-{j}", customer=customer, service_type="data_line",
                                             a_site=site)
            ids["circuits"].append(circuit.pk)
            ticket = FaultTicket.objects.create(
                number=f"MIG{i}{j}", title="LOS", customer=customer, circuit=circuit, circuit_ref=circuit.circuit_id,
                tier=customer.tier, occurred_at=now - timedelta(hours=1),
            )
            ids["tickets"][ticket.pk] = (customer.pk, circuit.pk)
            alarm = Alarm.objects.create(
                alarm_id=f"MIG-A-{i}-{j}", ticket=ticket, category="transmission", severity="critical", outage="total",
                circuit_ref=circuit.circuit_id, circuit=circuit, title="LOS", raised_at=now - timedelta(hours=1),
                payload={},
            )
            ids["alarms"][alarm.pk] = circuit.pk
        visit = Visit.objects.create(number=f"VMIG{i}", customer=customer, kind="routine", planned_at=now)
        ids["visits"][visit.pk] = customer.pk
    return ids


def test_customers_circuits_and_ticket_links_survive_the_move():
    """A database with customers, circuits, sites, contacts, tickets, alarms and visits under the old schema
    (models in ``tickets``) is migrated forward: every row and every link is still there, read through the
    new ``customers`` models, and the permissions moved with the models."""
    from django.contrib.auth.models import Permission

    old = _migrate(BEFORE)
    try:
        ids = _seed_old_schema(old)
    finally:
        _migrate(_latest())

    from customers.models import Circuit, Contact, Customer, Site
    from tickets.models import Alarm, FaultTicket
    from visits.models import Visit

    assert sorted(Customer.objects.filter(code__startswith="MIG").values_list("pk", flat=True)) == sorted(ids["customers"])
    assert sorted(Circuit.objects.filter(circuit_id__startswith="MIG-").values_list("pk", flat=True)) == sorted(
        ids["circuits"])
    assert Site.objects.filter(pk__in=ids["sites"]).count() == 3
    assert Contact.objects.filter(pk__in=ids["contacts"]).count() == 3
    for ticket in FaultTicket.objects.filter(pk__in=ids["tickets"]).select_related("customer", "circuit"):
        assert (ticket.customer.pk, ticket.circuit.pk) == ids["tickets"][ticket.pk]
        assert ticket.circuit.customer_id == ticket.customer_id
    assert {a.pk: a.circuit_id for a in Alarm.objects.filter(pk__in=ids["alarms"])} == ids["alarms"]
    assert {v.pk: v.customer_id for v in Visit.objects.filter(pk__in=ids["visits"])} == ids["visits"]
    assert Customer.objects.get(code="MIG0").tickets.count() == 2
    assert Circuit.objects.get(circuit_id="MIG-0-0").a_site.name == "站点0"
    assert not Permission.objects.filter(content_type__app_label="tickets", codename="view_customer").exists()
    assert Permission.objects.filter(content_type__app_label="customers", codename="view_customer").exists()
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert {"tickets_customer", "tickets_circuit", "tickets_site", "tickets_contact",
            "tickets_escalationpolicy"} <= tables
