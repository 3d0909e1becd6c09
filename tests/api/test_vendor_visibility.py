"""Vendor engineers read only the tickets they work on (R-SITE-3: under our lead, not across our customers)."""
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from tests.builders import alarm_ticket
from tickets import services

pytestmark = pytest.mark.django_db


def _ticket(tier="gold"):
    return alarm_ticket(tier=tier, category="datacom", severity="major", outage="partial", minutes_ago=0)


def test_a_vendor_engineer_sees_only_the_tickets_of_their_vendor():
    vendor_engineer = f.vendor_engineer()
    ours, theirs = _ticket(), _ticket()
    services.assign_vendor(ticket_id=ours.pk, by=None, vendor_id=vendor_engineer.vendor_id)
    api = APIClient()
    api.force_authenticate(vendor_engineer)
    numbers = [t["number"] for t in api.get("/api/v1/tickets/").json()["results"]]
    assert numbers == [ours.number]
    assert api.get(f"/api/v1/tickets/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/tickets/{ours.pk}/").status_code == 200


def test_the_ticket_page_is_not_found_for_another_vendors_engineer(client):
    vendor_engineer = f.vendor_engineer()
    ticket = _ticket()
    client.force_login(vendor_engineer)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    services.assign_vendor(ticket_id=ticket.pk, by=None, vendor_id=vendor_engineer.vendor_id)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200


def test_our_own_engineers_still_see_every_ticket():
    engineer = f.room_engineer("datacom")
    tickets = [_ticket(), _ticket()]
    api = APIClient()
    api.force_authenticate(engineer)
    numbers = {t["number"] for t in api.get("/api/v1/tickets/").json()["results"]}
    assert numbers == {t.number for t in tickets}


def test_an_alarm_id_with_a_slash_can_be_cleared(settings):
    """Any alarm id a NOC sends can be cleared again through the API."""
    from staff.tokens import issue_client

    _, token = issue_client(name="nms-slash")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    circuit = f.CircuitFactory(customer__tier="normal")
    body = {"alarm_id": "NMS/2026/000123", "category": "datacom", "severity": "major", "outage": "partial",
            "circuit_id": circuit.circuit_id, "title": "x", "raised_at": timezone.now().isoformat()}
    assert api.post("/api/v1/alarms/", body, format="json").status_code == 201
    cleared = api.post("/api/v1/alarms/NMS/2026/000123/clear/", {"cleared_at": timezone.now().isoformat()},
                       format="json")
    assert cleared.status_code == 200, cleared.content
