"""Monitoring console: R-PRIO queue, hand-made tickets, triage, dispatch, re-route, dial tests,
the R-DISPATCH-IMP phone checklist and broadcasts."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.builders import alarm_ticket
from tickets.choices import TicketState
from tickets.models import Broadcast, Deadline, DialTest, FaultTicket, TicketEvent

# Dates ("today", due dates, day boundaries) are read from a frozen afternoon clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def queue_numbers(html: str) -> list[str]:
    return re.findall(r'data-ticket="([^"]+)"', html)


def test_queue_orders_by_tier_then_nearest_deadline(client, operator, django_assert_max_num_queries):
    """R-PRIO: diamond, gold, normal; within a tier the nearest pending deadline first."""
    normal = alarm_ticket(f.CircuitFactory(customer__tier="normal").circuit_id, minutes_ago=170)
    gold_late = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=5)
    gold_soon = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=50)
    diamond = alarm_ticket(f.CircuitFactory(customer__tier="diamond").circuit_id, minutes_ago=1)
    client.force_login(operator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("tickets:console-queue"))
    assert queue_numbers(response.content.decode()) == [
        diamond.number, gold_soon.number, gold_late.number, normal.number]


def test_queue_colours_a_deadline_under_15_minutes_and_a_breach(client, operator):
    soon = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=50)  # joint deadline in 10 min
    late = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=30)
    Deadline.objects.filter(ticket=late, kind="joint_handling").update(breached_at=timezone.now())
    client.force_login(operator)
    html = client.get(reverse("tickets:console-queue")).content.decode()
    soon_row = html[html.index(f'data-ticket="{soon.number}"'):]
    assert "is-soon" in soon_row[:soon_row.index("</tr>")]
    assert f'class="is-breached" data-ticket="{late.number}"' in html


def test_console_page_polls_the_queue(client, operator):
    client.force_login(operator)
    html = client.get(reverse("tickets:console")).content.decode()
    assert 'hx-get="/console/queue/?page=1"' in html and 'hx-trigger="every 10s"' in html
    assert "vendor/htmx/htmx.min.js" in html


def test_operator_creates_and_dispatches_a_ticket_by_hand(client, operator):
    """docs/rules.md §3.1 and R-DISPATCH-IMP: a phoned-in fault of a gold customer, dispatched at once."""
    circuit = f.CircuitFactory(customer__tier="gold")
    client.force_login(operator)
    response = client.post(reverse("tickets:create"), {
        "title": "客户来电：专线中断", "circuit_id": circuit.circuit_id,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "source": "phone",
        "category": "transmission", "severity": "critical", "outage": "total", "dispatch_now": "on",
    })
    ticket = FaultTicket.objects.get(circuit_ref=circuit.circuit_id)
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.state == TicketState.DISPATCHED and ticket.lead_room.code == "transport"
    assert ticket.phone_notifications.count() >= 2
    assert ticket.reported_by == operator or ticket.events.filter(actor=operator).exists()


def test_operator_creates_without_dispatch_then_dispatches(client, operator):
    customer = f.CustomerFactory(tier="normal")
    client.force_login(operator)
    client.post(reverse("tickets:create"), {
        "title": "投诉：网速慢", "customer": customer.code,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "source": "complaint",
        "category": "datacom", "severity": "minor", "outage": "partial",
    })
    ticket = FaultTicket.objects.get(customer=customer)
    assert ticket.state == TicketState.NEW
    response = client.post(reverse("tickets:action", args=[ticket.pk, "dispatch"]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED


def test_create_without_customer_or_circuit_is_refused(client, operator):
    client.force_login(operator)
    response = client.post(reverse("tickets:create"), {
        "title": "x", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "source": "phone",
        "category": "other", "severity": "major", "outage": "partial"})
    assert response.status_code == 400
    assert not FaultTicket.objects.exists()


def test_create_with_an_unknown_circuit_shows_the_domain_error(client, operator):
    client.force_login(operator)
    response = client.post(reverse("tickets:create"), {
        "title": "x", "circuit_id": "NO-SUCH", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "source": "phone", "category": "other", "severity": "major", "outage": "partial"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "没有编号为 NO-SUCH 的电路" in html and "unknown circuit" not in html
    assert 'value="NO-SUCH"' in html  # the input is kept
    assert not FaultTicket.objects.exists()


def test_engineer_cannot_create_tickets(client, transport_engineer):
    client.force_login(transport_engineer)
    response = client.post(reverse("tickets:create"), {"title": "x"})
    assert response.status_code == 403


def test_triage_matches_an_unknown_circuit_then_dispatches(client, operator):
    """docs/rules.md §3.1: an alarm on an unknown circuit is never dropped; the operator matches it, then R-LEAD."""
    ticket = alarm_ticket("SZ-UNKNOWN-1", category="datacom")
    assert ticket.needs_triage and ticket.state == TicketState.NEW
    customer = f.CustomerFactory(tier="diamond")
    client.force_login(operator)
    assert ticket.number in client.get(reverse("tickets:console")).content.decode()
    response = client.post(reverse("tickets:triage", args=[ticket.pk]),
                           {f"t{ticket.pk}-customer": customer.code, f"t{ticket.pk}-dispatch_now": "on"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.customer == customer and not ticket.needs_triage
    assert ticket.tier == "diamond" and ticket.state == TicketState.DISPATCHED
    assert ticket.lead_room.code == "service_support"


def test_triage_with_an_unknown_customer_code_changes_nothing(client, operator):
    ticket = alarm_ticket("SZ-UNKNOWN-3")
    client.force_login(operator)
    response = client.post(reverse("tickets:triage", args=[ticket.pk]), {f"t{ticket.pk}-customer": "NO-SUCH"})
    assert response.status_code == 400
    assert "没有这个客户编码" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.needs_triage and ticket.customer is None


def test_triage_with_a_foreign_circuit_changes_nothing(client, operator):
    ticket = alarm_ticket("SZ-UNKNOWN-2")
    customer = f.CustomerFactory()
    other = f.CircuitFactory()
    client.force_login(operator)
    response = client.post(reverse("tickets:triage", args=[ticket.pk]), {
        f"t{ticket.pk}-customer": customer.code, f"t{ticket.pk}-circuit_id": other.circuit_id,
        f"t{ticket.pk}-dispatch_now": "on"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.needs_triage and ticket.customer is None


def test_reroute_with_a_reason_is_logged(client, operator, gold_ticket):
    """R-LEAD: monitoring may override the lead room, with a reason that is logged."""
    client.force_login(operator)
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "override_lead_room"]),
                           {"room_code": "datacom", "reason": "告警实为路由器故障"})
    assert response.status_code == 302
    gold_ticket.refresh_from_db()
    assert gold_ticket.lead_room.code == "datacom"
    assert TicketEvent.objects.filter(ticket=gold_ticket, kind="lead_room_overridden",
                                      note="告警实为路由器故障").exists()


def test_reroute_without_a_reason_is_refused(client, operator, gold_ticket):
    client.force_login(operator)
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "override_lead_room"]),
                           {"room_code": "datacom", "reason": ""})
    assert response.status_code == 400
    gold_ticket.refresh_from_db()
    assert gold_ticket.lead_room.code == "transport"


def test_dial_test_is_recorded(client, operator, gold_ticket):
    client.force_login(operator)
    client.post(reverse("tickets:action", args=[gold_ticket.pk, "dial_test"]),
                {"method": "ping", "result": "fail", "detail": "100% loss"})
    test = DialTest.objects.get(ticket=gold_ticket)
    assert test.result == "fail" and test.by == operator and test.detail == "100% loss"


def test_phone_checklist_line_is_ticked_with_who_answered(client, operator, gold_ticket):
    """R-DISPATCH-IMP: the call is recorded per room: who called whom, when, answered."""
    client.force_login(operator)
    html = client.get(reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()
    assert 'data-room="transport"' in html and 'data-room="service_support"' in html
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "phone"]),
                           {"room_code": "transport", "callee": "王工", "answered": "on", "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    row = gold_ticket.phone_notifications.get(room__code="transport")
    assert row.answered is True and row.callee == "王工" and row.called_by == operator
    assert row.called_at is not None


def test_phone_call_answered_without_a_name_changes_nothing(client, operator, gold_ticket):
    client.force_login(operator)
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "phone"]),
                           {"room_code": "transport", "callee": "", "answered": "on"})
    assert response.status_code == 400
    assert "请填写「接听人」" in response.content.decode()
    assert gold_ticket.phone_notifications.get(room__code="transport").attempts == 0


def test_unanswered_call_counts_an_attempt(client, operator, gold_ticket):
    client.force_login(operator)
    client.post(reverse("tickets:action", args=[gold_ticket.pk, "phone"]), {"room_code": "datacom"})
    row = gold_ticket.phone_notifications.get(room__code="datacom")
    assert row.answered is False and row.attempts == 1


def test_operator_publishes_a_broadcast_and_everyone_reads_it(client, operator, gold_ticket):
    """R-BCAST (c): a broadcast published by hand carries the operator's own text, is numbered after #1 of the
    dispatch (a) and listed on the broadcasts page."""
    client.force_login(operator)
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "broadcast"]),
                           {"text": "传送网室已出发，预计 30 分钟到达"})
    assert response.status_code == 302
    broadcast = Broadcast.objects.get(ticket=gold_ticket, kind="manual")
    assert broadcast.seq == 2 and broadcast.published_by == operator
    assert "传送网室已出发，预计 30 分钟到达" in broadcast.body and "传送网室已出发" in broadcast.body_en
    client.force_login(f.room_engineer("wireless"))
    html = client.get(reverse("tickets:broadcasts")).content.decode()
    assert gold_ticket.number in html and broadcast.body.splitlines()[0] in html


def test_broadcast_on_a_restored_ticket_is_refused_with_409(client, operator, transport_engineer, gold_ticket):
    from tickets import services

    services.accept(ticket_id=gold_ticket.pk, by=transport_engineer)
    services.restore(ticket_id=gold_ticket.pk, by=transport_engineer, note="切换备用路由")
    client.force_login(operator)
    response = client.post(reverse("tickets:action", args=[gold_ticket.pk, "broadcast"]))
    assert response.status_code == 409
    assert not Broadcast.objects.filter(ticket=gold_ticket, kind="manual").exists()


def test_cancel_a_false_alarm(client, operator):
    ticket = alarm_ticket("SZ-UNKNOWN-3")
    client.force_login(operator)
    client.post(reverse("tickets:action", args=[ticket.pk, "cancel"]), {"reason": "false_alarm"})
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_operator_starts_joint_handling_by_hand(client, operator, gold_ticket):
    """R-ESC-MANUAL: joint handling at once, with the first broadcast (R-BCAST)."""
    client.force_login(operator)
    client.post(reverse("tickets:action", args=[gold_ticket.pk, "start_joint"]), {"reason": "主导室无法定位"})
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.JOINT_HANDLING
    assert Broadcast.objects.filter(ticket=gold_ticket, seq=1).exists()


def test_unknown_action_is_404(client, operator, gold_ticket):
    client.force_login(operator)
    assert client.post(reverse("tickets:action", args=[gold_ticket.pk, "explode"])).status_code == 404


def test_old_ticket_still_dispatched_shows_overdue(client, operator):
    ticket = alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=90)
    assert ticket.occurred_at < timezone.now() - timedelta(minutes=60)
    client.force_login(operator)
    html = client.get(reverse("tickets:console-queue")).content.decode()
    assert f'class="is-breached" data-ticket="{ticket.number}"' in html


def test_queue_is_paged_most_important_first(client, operator, settings, monkeypatch):
    """R-PRIO: a long queue shows a page at a time; page 1 holds the most important tickets."""
    monkeypatch.setattr("tickets.views.monitoring.QUEUE_PAGE_SIZE", 3)
    normals = [f.TicketFactory(customer__tier="normal") for _ in range(3)]
    diamonds = [f.TicketFactory(customer__tier="diamond") for _ in range(2)]
    client.force_login(operator)
    first = client.get(reverse("tickets:console-queue")).content.decode()
    second = client.get(reverse("tickets:console-queue") + "?page=2").content.decode()
    assert set(queue_numbers(first)[:2]) == {t.number for t in diamonds}
    assert len(queue_numbers(first)) == 3 and len(queue_numbers(second)) == 2
    assert set(queue_numbers(first) + queue_numbers(second)) == {t.number for t in normals + diamonds}
    assert "?page=2" in first and "5" in first  # the pager, and the total in the caption


def test_triage_rows_share_one_customer_list(client, operator, django_assert_num_queries):
    """The console's query count does not grow with the number of triage rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    f.CustomerFactory.create_batch(3)
    client.force_login(operator)
    alarm_ticket("UNKNOWN-A", alarm_id="U-A")
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("tickets:console")).status_code == 200
    for n in range(4):
        alarm_ticket(f"UNKNOWN-B{n}", alarm_id=f"U-B{n}")
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("tickets:console")).content.decode()
    assert len(five.captured_queries) == len(one.captured_queries)
    assert page.count('list="customer-codes"') == 6  # five match forms and the create form
    assert page.count('<datalist id="customer-codes">') == 1  # one customer list for all of them


def test_customer_suggestions_follow_what_the_operator_types(client, operator):
    """The console never lists every customer: its datalist holds the first suggestions (important tiers first) and
    the customer fields ask for the customers matching what is typed, by code prefix or part of the name."""
    from tickets.views import monitoring

    diamond = f.CustomerFactory(tier="diamond", code="DIA-0001", name="深圳金融集团")
    normal = f.CustomerFactory(tier="normal", code="NOR-0001", name="宝安物流")
    for i in range(monitoring.CUSTOMER_SUGGESTIONS + 5):
        f.CustomerFactory(tier="normal", code=f"ZZ-{i:04d}", name=f"客户{i}")
    client.force_login(operator)
    html = client.get(reverse("tickets:console")).content.decode()
    listed = html.split('<datalist id="customer-codes">')[1].split("</datalist>")[0]
    assert listed.count("<option") == monitoring.CUSTOMER_SUGGESTIONS
    assert listed.index('value="DIA-0001"') < listed.index('value="NOR-0001"')
    url = reverse("tickets:customer-options")
    by_name = client.get(url, {"customer": "物流"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="NOR-0001"' in by_name and by_name.count("<option") == 1
    by_code = client.get(url, {"t12-customer": "dia"}).content.decode()
    assert 'value="DIA-0001"' in by_code and diamond.name in by_code and by_code.count("<option") == 1
    assert client.get(url, {"q": "nobody-by-this-name"}).content.decode().strip() == ""
    assert normal.code in client.get(url, {"q": "NOR"}).content.decode()


def test_customer_suggestions_are_for_operators_only(client):
    client.force_login(f.room_engineer())
    assert client.get(reverse("tickets:customer-options"), {"q": "a"}).status_code == 403
    client.logout()
    assert client.get(reverse("tickets:customer-options"), {"q": "a"}).status_code == 302


def test_a_create_with_an_unknown_customer_code_is_refused_and_keeps_the_input(client, operator):
    client.force_login(operator)
    response = client.post(reverse("tickets:create"), {
        "title": "客户来电", "customer": "NO-SUCH-CODE",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "source": "phone",
        "category": "other", "severity": "major", "outage": "partial"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "没有这个客户编码。" in html and 'value="NO-SUCH-CODE"' in html
    assert not FaultTicket.objects.exists()


def test_the_undispatched_list_shows_the_oldest_and_says_how_many_in_all(client, operator, monkeypatch):
    """New tickets of known customers: the oldest ``UNDISPATCHED_LIMIT`` listed, the count of all of them, and a
    link to the whole list."""
    from tickets.views import monitoring

    monkeypatch.setattr(monitoring, "UNDISPATCHED_LIMIT", 3)
    tickets = [f.TicketFactory(occurred_at=timezone.now() - timedelta(minutes=10 - i)) for i in range(5)]
    client.force_login(operator)
    html = client.get(reverse("tickets:console")).content.decode()
    section = html.split('id="undispatched"')[1].split("</section>")[0]
    assert [t.number in section for t in tickets] == [True, True, True, False, False]
    assert '<span class="badge warn-badge">5</span>' in section
    assert "最早的 3 条，共 5 条" in section and "/tickets/?state=new" in section
