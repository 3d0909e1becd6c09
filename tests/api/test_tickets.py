"""GET /api/v1/tickets/ and /tickets/{id}/: the contract's fields, filters, R-PRIO order, bounded queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from tests.api.conftest import ingest, noc_client
from tickets import services
from tickets.models import Deadline

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
CONTRACT_KEYS = {
    "id", "number", "state", "customer", "circuit_id", "needs_triage", "lead_room", "occurred_at", "dispatched_at",
    "joint_started_at", "restored_at", "resolved_at", "closed_at", "deadlines", "escalations", "broadcasts",
    "arrivals", "events",
}


def _busy_ticket(tier="gold", minutes_ago=30):
    """A ticket with rows in every related list: joint handling, broadcast, arrival, progress, explanation."""
    circuit = f.CircuitFactory(customer__tier=tier)
    ticket = ingest(circuit.circuit_id, minutes_ago=minutes_ago).ticket
    engineer = f.room_engineer("transport")
    services.accept(ticket_id=ticket.pk, by=engineer)
    services.start_joint(ticket_id=ticket.pk, by=engineer, reason="无法定位")
    services.add_progress(ticket_id=ticket.pk, by=engineer, text="正在排查")
    services.record_arrival(ticket_id=ticket.pk, by=engineer)
    services.draft_explanation(ticket_id=ticket.pk, by=engineer, text="光缆中断")
    return ticket


def test_a_ticket_has_every_field_of_the_contract(noc):
    ticket = _busy_ticket()
    data = noc.get(f"{TICKETS}{ticket.pk}/").json()
    assert CONTRACT_KEYS <= set(data)
    assert data["state"] == "joint_handling"
    assert set(data["customer"]) == {"code", "name", "tier"}
    assert data["lead_room"] == "transport"
    assert data["joint_started_at"] is not None
    assert all(set(d) >= {"kind", "due_at", "met_at", "breached_at"} for d in data["deadlines"])
    assert {d["kind"] for d in data["deadlines"]} <= {"joint_handling", "arrival"}
    assert [set(e) >= {"kind", "at", "reason"} for e in data["escalations"]] == [True]
    assert data["escalations"][0]["kind"] == "joint_handling"
    assert data["broadcasts"][0]["seq"] == 1 and data["broadcasts"][0]["body"]
    assert set(data["broadcasts"][0]) >= {"seq", "at", "body"}
    arrival = data["arrivals"][0]
    assert set(arrival) >= {"room", "site_kind", "at", "by"}
    assert arrival["room"] == "transport" and arrival["site_kind"] == "equipment"
    event_kinds = [e["transition"] for e in data["events"]]
    assert event_kinds[0] == "created" and "dispatch" in event_kinds and "start_joint" in event_kinds
    dispatch = next(e for e in data["events"] if e["transition"] == "dispatch")
    assert (dispatch["from_state"], dispatch["to_state"]) == ("new", "dispatched")
    assert set(dispatch) >= {"at", "actor", "transition", "from_state", "to_state", "note"}
    assert {r["room"] for r in data["rooms"]} >= {"transport", "service_support"}
    assert data["version"] >= 1
    assert data["explanations"][0]["state"] == "draft"


def test_times_are_iso_8601_with_the_offset(noc, dispatched_ticket):
    data = noc.get(f"{TICKETS}{dispatched_ticket.pk}/").json()
    assert data["occurred_at"].endswith("+08:00")


def test_an_unknown_ticket_is_404(noc):
    response = noc.get(f"{TICKETS}999999/")
    assert response.status_code == 404
    assert response.json() == {"type": "client_error",
                               "errors": [{"code": "not_found", "detail": response.json()["errors"][0]["detail"],
                                           "attr": None}]}


def test_the_list_is_paginated(noc):
    for _ in range(3):
        ingest(f.CircuitFactory(customer__tier="normal").circuit_id)
    data = noc.get(TICKETS, {"page_size": 2}).json()
    assert data["count"] == 3
    assert len(data["results"]) == 2 and data["next"] is not None
    assert len(noc.get(data["next"]).json()["results"]) == 1
    assert CONTRACT_KEYS <= set(data["results"][0])


def test_important_tickets_come_first_then_the_nearest_deadline(noc):
    """R-PRIO: diamond, gold, normal; within a tier the nearest pending deadline first."""
    normal_old = ingest(f.CircuitFactory(customer__tier="normal").circuit_id, minutes_ago=170).ticket
    gold_new = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=1).ticket
    gold_old = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=40).ticket
    diamond = ingest(f.CircuitFactory(customer__tier="diamond").circuit_id, minutes_ago=2).ticket
    ids = [t["id"] for t in noc.get(TICKETS).json()["results"]]
    assert ids == [diamond.pk, gold_old.pk, gold_new.pk, normal_old.pk]


def test_filters_by_state_tier_and_lead_room(noc):
    gold = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    normal_datacom = ingest(f.CircuitFactory(customer__tier="normal").circuit_id, category="datacom").ticket
    triage = ingest("SZ-UNKNOWN-77").ticket

    def ids(**params):
        return {t["id"] for t in noc.get(TICKETS, params).json()["results"]}

    assert ids(state="new") == {triage.pk}
    assert ids(state="dispatched") == {gold.pk, normal_datacom.pk}
    assert ids(tier="gold") == {gold.pk}
    assert ids(tier="normal") == {normal_datacom.pk, triage.pk}
    assert ids(lead_room="service_support") == {normal_datacom.pk}
    assert ids(lead_room="transport") == {gold.pk, triage.pk}
    assert ids(lead_room="transport", tier="gold") == {gold.pk}


def test_overdue_lists_open_tickets_past_a_deadline(noc):
    """R-ESC-1/2: a joint-handling or arrival deadline past due and unmet (or breached) makes a ticket overdue."""
    late = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=90).ticket
    fresh = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=5).ticket
    breached = ingest(f.CircuitFactory(customer__tier="normal").circuit_id, minutes_ago=5).ticket
    Deadline.objects.filter(ticket=breached, kind="joint_handling").update(breached_at=timezone.now())
    engineer = f.room_engineer("transport")
    restored_in_time = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=30).ticket
    restored_late = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=90).ticket
    resolved_late = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=90).ticket
    for ticket in (restored_in_time, restored_late, resolved_late):
        services.accept(ticket_id=ticket.pk, by=engineer)
        services.restore(ticket_id=ticket.pk, by=engineer, note="倒换")
    services.record_site_lead_exception(ticket_id=resolved_late.pk, by=f.support_manager(), reason="远程")
    services.resolve(ticket_id=resolved_late.pk, by=engineer, cause_category="fibre_cut", cause_text="光缆")

    def ids(**params):
        return {t["id"] for t in noc.get(TICKETS, params).json()["results"]}

    # restored late: its clocks were breached and the ticket is still open; resolved: no longer open
    assert ids(overdue="true") == {late.pk, breached.pk, restored_late.pk}
    assert ids(overdue="false") == {fresh.pk, restored_in_time.pk, resolved_late.pk}


def test_an_invalid_filter_value_is_400_naming_it(noc):
    response = noc.get(TICKETS, {"state": "sleeping"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "state"


def test_next_due_at_is_the_nearest_pending_clock(noc):
    ticket = ingest(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=10).ticket
    data = noc.get(f"{TICKETS}{ticket.pk}/").json()
    nearest = min(d["due_at"] for d in data["deadlines"])
    assert data["next_due_at"] == nearest


# --------------------------------------------------------------------------- no N+1
def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_costs_the_same_queries_for_1_or_20_busy_tickets(django_assert_max_num_queries):
    client = noc_client()
    _busy_ticket()
    one = _count(client, TICKETS)
    for _ in range(19):
        _busy_ticket()
    with django_assert_max_num_queries(one):
        response = client.get(TICKETS)
    assert len(response.json()["results"]) == 20
    assert one <= 16, one


def test_the_detail_costs_the_same_queries_however_many_related_rows(django_assert_max_num_queries):
    client = noc_client()
    quiet = ingest(f.CircuitFactory(customer__tier="gold").circuit_id).ticket
    busy = _busy_ticket()
    for i in range(10):
        services.add_progress(ticket_id=busy.pk, by=None, text=f"进展 {i}")
    baseline = _count(client, f"{TICKETS}{quiet.pk}/")
    with django_assert_max_num_queries(baseline):
        data = client.get(f"{TICKETS}{busy.pk}/").json()
    assert len(data["progress"]) == 11 and len(data["events"]) > 15


def test_a_person_reads_tickets_in_bounded_queries_too(django_assert_max_num_queries):
    from tests.api.conftest import person_client

    client = person_client(f.support_engineer())
    _busy_ticket()
    one = _count(client, TICKETS)
    for _ in range(9):
        _busy_ticket(minutes_ago=20)
    with django_assert_max_num_queries(one):
        client.get(TICKETS)
