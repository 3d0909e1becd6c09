"""One visibility gate (``tickets.selectors.ticket_for``) for every ticket endpoint, page and page action.

A vendor engineer reads only the tickets their vendor is assigned to, or where they are on site (R-SITE-3);
everyone else of the centre with a role reads every ticket, and an API client is held to its scopes. A hidden
ticket answers 404 exactly like a missing one — on the detail and on every sub-resource, for reads and for
writes, before any input is read — and its broadcasts do not appear on ``/broadcasts/``.
"""
from __future__ import annotations

import functools

import pytest
from django.urls import reverse

from staff.models import ApiClient
from tests import factories as f
from tests.api.conftest import ingest, noc_client, person_client
from tickets import services
from tickets.views.ticket import ACTIONS

pytestmark = pytest.mark.django_db

# role -> (maker of the caller given the ticket's vendor, sees the ticket?)
ROLES = {
    "monitoring_operator": (lambda vendor: f.monitoring_operator(), True),
    "lead_room_engineer": (lambda vendor: f.room_engineer("transport"), True),
    "uninvolved_room_engineer": (lambda vendor: f.room_engineer("wireless"), True),
    "support_engineer": (lambda vendor: f.support_engineer(), True),
    "support_manager": (lambda vendor: f.support_manager(), True),
    "centre_leader": (lambda vendor: f.centre_leader(), True),
    "assigned_vendor_engineer": (lambda vendor: f.vendor_engineer(vendor=vendor), True),
    "other_vendor_engineer": (lambda vendor: f.vendor_engineer(), False),
}

def _transition_url(name, t, e):
    return f"/api/v1/tickets/{t.pk}/transitions/{name}/"


READS = {
    "detail": lambda t, e: f"/api/v1/tickets/{t.pk}/",
    "explanations": lambda t, e: f"/api/v1/tickets/{t.pk}/explanations/",
    "phone_notifications": lambda t, e: f"/api/v1/tickets/{t.pk}/phone-notifications/",
}
WRITES = {
    **{f"transition_{name}": functools.partial(_transition_url, name)
       for name in ("dispatch", "accept", "start_joint", "restore", "resolve", "close", "cancel", "reopen")},
    "progress": lambda t, e: f"/api/v1/tickets/{t.pk}/progress/",
    "arrivals": lambda t, e: f"/api/v1/tickets/{t.pk}/arrivals/",
    "explanations": lambda t, e: f"/api/v1/tickets/{t.pk}/explanations/",
    "explanation_approve": lambda t, e: f"/api/v1/tickets/{t.pk}/explanations/{e.pk}/approve/",
    "explanation_release": lambda t, e: f"/api/v1/tickets/{t.pk}/explanations/{e.pk}/release/",
    "phone_notifications": lambda t, e: f"/api/v1/tickets/{t.pk}/phone-notifications/",
}


@pytest.fixture
def world():
    """A gold customer's fault assigned to a vendor, with a drafted explanation and a broadcast."""
    vendor = f.VendorFactory()
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    services.assign_vendor(ticket_id=ticket.pk, by=None, vendor_id=vendor.pk)
    explanation = services.draft_explanation(ticket_id=ticket.pk, by=f.support_engineer(), text="原因说明")
    services.publish_manual_broadcast(ticket_id=ticket.pk, by=f.monitoring_operator())
    return vendor, type(ticket).objects.get(pk=ticket.pk), explanation


@pytest.mark.parametrize("role", ROLES)
def test_every_ticket_sub_resource_answers_alike_for_each_role(role, world):
    """Each role gets 404 on every read and write of a hidden ticket (an empty body included: 404, not 400),
    and never a 404 on a ticket it may see."""
    vendor, ticket, explanation = world
    make, sees = ROLES[role]
    api = person_client(make(vendor))
    listed = [row["number"] for row in api.get("/api/v1/tickets/").json()["results"]]
    assert (ticket.number in listed) is sees
    for name, url in READS.items():
        status = api.get(url(ticket, explanation)).status_code
        assert (status == 200) if sees else (status == 404), (role, name, status)
    for name, url in WRITES.items():
        status = api.post(url(ticket, explanation), {}, format="json").status_code
        assert (status != 404) if sees else (status == 404), (role, name, status)


@pytest.mark.parametrize("scopes, sees", [(["tickets:read"], True), (["alarms:write"], False)])
def test_an_api_client_is_held_to_its_scopes_not_to_visibility(scopes, sees, world):
    vendor, ticket, explanation = world
    api = noc_client("nms-vis")
    ApiClient.objects.filter(name="nms-vis").update(scopes=scopes)
    for name, url in READS.items():
        status = api.get(url(ticket, explanation)).status_code
        assert status == (200 if sees else 403), (name, status)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_page_action_on_a_hidden_ticket_is_not_found_before_its_form_is_read(action, world, client):
    """Before: an empty form answered 400 with the whole ticket page to another vendor's engineer."""
    vendor, ticket, _explanation = world
    client.force_login(f.vendor_engineer())
    response = client.post(reverse("tickets:action", args=[ticket.pk, action]), {})
    assert response.status_code == 404
    assert ticket.number not in response.content.decode()


def test_the_ticket_page_and_its_actions_stay_open_to_the_assigned_vendor(world, client):
    vendor, ticket, _explanation = world
    client.force_login(f.vendor_engineer(vendor=vendor))
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200
    assert client.post(reverse("tickets:action", args=[ticket.pk, "progress"]), {}).status_code == 400


def test_broadcasts_list_only_the_tickets_one_may_see(world, client):
    vendor, ticket, _explanation = world
    client.force_login(f.vendor_engineer())
    assert ticket.number not in client.get(reverse("tickets:broadcasts")).content.decode()
    client.force_login(f.vendor_engineer(vendor=vendor))
    assert ticket.number in client.get(reverse("tickets:broadcasts")).content.decode()
    client.force_login(f.room_engineer("wireless"))
    assert ticket.number in client.get(reverse("tickets:broadcasts")).content.decode()


def test_explanation_pages_of_a_hidden_ticket_are_not_found(world, client):
    vendor, ticket, explanation = world
    client.force_login(f.vendor_engineer())
    for name in ("tickets:explanation-review", "tickets:explanation-release"):
        assert client.post(reverse(name, args=[explanation.pk]), {}).status_code in (403, 404)
