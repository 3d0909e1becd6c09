"""Field engineer's phone view and the ticket page's actions (accept, R-SITE-4, R-ESC-2 check-in,
R-SITE-1/5, R-RESTORE-FIRST, R-EXPLAIN); refused actions answer 400/403/409 and change nothing."""
import pytest
from django.urls import reverse

from tests import factories as f
from tickets import services
from tickets.choices import TicketState
from tickets.models import Arrival, Explanation, PreArrivalCheck, ProgressNote

pytestmark = pytest.mark.django_db


def act(client, ticket, name, data=None):
    return client.post(reverse("tickets:action", args=[ticket.pk, name]), data or {})


def test_phone_view_lists_my_rooms_tickets_then_mine_after_accepting(client, transport_engineer, gold_ticket,
                                                                     django_assert_max_num_queries):
    client.force_login(transport_engineer)
    with django_assert_max_num_queries(14):  # 12, and "needs your attention": returned explanations, help requests
        html = client.get(reverse("tickets:mine")).content.decode()
    room_part = html[html.index('id="h-room"'):]
    assert gold_ticket.number in room_part
    act(client, gold_ticket, "accept")
    html = client.get(reverse("tickets:mine")).content.decode()
    mine_part = html[html.index('id="h-mine"'):html.index('id="h-room"')]
    assert gold_ticket.number in mine_part


def test_phone_view_polls_its_list(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    html = client.get(reverse("tickets:mine")).content.decode()
    assert 'hx-trigger="every 30s"' in html
    partial = client.get(reverse("tickets:mine"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and gold_ticket.number in partial


def test_other_rooms_tickets_are_not_listed(client, gold_ticket):
    client.force_login(f.room_engineer("wireless"))
    assert gold_ticket.number not in client.get(reverse("tickets:mine")).content.decode()


def test_ticket_page_offers_accept_to_the_lead_room_only(client, transport_engineer, support, gold_ticket):
    client.force_login(transport_engineer)
    assert 'data-action="accept"' in client.get(reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()
    client.force_login(support)
    assert 'data-action="accept"' not in client.get(
        reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()


def test_engineer_accepts(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    response = act(client, gold_ticket, "accept")
    assert response.status_code == 302
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.LEAD_HANDLING and gold_ticket.accepted_by == transport_engineer


def test_accept_by_another_room_is_403_and_changes_nothing(client, support, gold_ticket):
    client.force_login(support)
    response = act(client, gold_ticket, "accept")
    assert response.status_code == 403
    assert "您没有执行此操作的权限" in response.content.decode()
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.DISPATCHED


def test_restore_before_accepting_is_409_and_changes_nothing(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    response = act(client, gold_ticket, "restore", {"note": "已恢复"})
    assert response.status_code == 409
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.DISPATCHED
    assert not ProgressNote.objects.filter(ticket=gold_ticket).exists()


def test_progress_note(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    act(client, gold_ticket, "progress", {"kind": "own_network", "text": "本网检查：端口收无光"})
    note = ProgressNote.objects.get(ticket=gold_ticket)
    assert note.kind == "own_network" and note.room.code == "transport" and note.author == transport_engineer


def test_customer_side_check_is_recorded_before_the_own_network_check(client, transport_engineer, gold_ticket):
    """R-OWN-FIRST: never blocks recording — the checks run in parallel."""
    client.force_login(transport_engineer)
    response = act(client, gold_ticket, "progress", {"kind": "customer_side", "text": "客户端检查"})
    assert response.status_code == 302
    assert ProgressNote.objects.filter(ticket=gold_ticket, kind="customer_side").exists()


def test_pre_arrival_call_and_tool_checklist(client, support, gold_ticket):
    """R-SITE-4: the call to the technical contact and the tool list are recorded on the ticket."""
    client.force_login(support)
    html = client.get(reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()
    assert 'value="李工"' in html  # pre-filled with the customer's technical contact
    response = act(client, gold_ticket, "pre_arrival", {
        "contact_name": "李工", "contact_phone": "13911112222", "confirmed_arrangements": "14:30 机房",
        "told_engineer_details": "on", "tool_laptop": "on", "tool_patch_cables": "on",
    })
    assert response.status_code == 302
    check = PreArrivalCheck.objects.get(ticket=gold_ticket, engineer=support)
    assert check.tool_laptop and check.tool_patch_cables and not check.tool_router_spares
    assert check.told_engineer_details


def test_check_in_with_position_computes_distance_to_site(client, support, gold_ticket):
    """R-ESC-2: the check-in carries the phone's position; the distance to the site is shown."""
    client.force_login(support)
    response = act(client, gold_ticket, "arrival", {"latitude": "22.5405", "longitude": "114.0505", "accuracy": "12"})
    assert response.status_code == 302
    arrival = Arrival.objects.get(ticket=gold_ticket, user=support)
    assert arrival.site_kind == "customer" and arrival.accuracy_m == 12
    assert 50 < arrival.distance_m < 100
    html = client.get(response["Location"]).content.decode()
    assert "距站点" in html
    assert 'data-action="arrival"' not in html  # checked in once


def test_check_in_without_position(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    act(client, gold_ticket, "arrival", {"site_kind": "equipment"})
    arrival = Arrival.objects.get(ticket=gold_ticket)
    assert arrival.latitude is None and arrival.distance_m is None and arrival.site_kind == "equipment"


def test_second_check_in_is_409(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    act(client, gold_ticket, "arrival", {})
    response = act(client, gold_ticket, "arrival", {})
    assert response.status_code == 409
    assert Arrival.objects.filter(ticket=gold_ticket).count() == 1


def test_site_lead_must_be_a_support_engineer_on_a_total_outage(client, transport_engineer, support, gold_ticket):
    """R-SITE-1: an important customer's total outage needs a support-room engineer as on-site lead;
    R-SITE-5: an engineer cannot name the lead (monitoring does, on the leaders' behalf)."""
    client.force_login(transport_engineer)
    assert act(client, gold_ticket, "site_lead", {"user": transport_engineer.pk}).status_code == 403
    client.force_login(f.monitoring_operator())
    response = act(client, gold_ticket, "site_lead", {"user": transport_engineer.pk})
    assert response.status_code == 400
    gold_ticket.refresh_from_db()
    assert gold_ticket.site_lead is None
    response = act(client, gold_ticket, "site_lead", {"user": support.pk})
    assert response.status_code == 302
    gold_ticket.refresh_from_db()
    assert gold_ticket.site_lead == support


def test_new_site_lead_keeps_the_former_on_site(client, operator, support, gold_ticket):
    """R-SITE-5: exactly one on-site lead; the former one follows the new lead."""
    other = f.support_engineer(username="supp2")
    client.force_login(operator)
    act(client, gold_ticket, "site_lead", {"user": support.pk})
    act(client, gold_ticket, "site_lead", {"user": other.pk})
    gold_ticket.refresh_from_db()
    assert gold_ticket.site_lead == other
    assert list(gold_ticket.site_members.values_list("user_id", flat=True)) == [support.pk]


def test_restore_then_resolve_on_the_phone(client, transport_engineer, gold_ticket):
    """R-RESTORE-FIRST: restored is a milestone of its own before resolved."""
    client.force_login(transport_engineer)
    act(client, gold_ticket, "accept")
    assert act(client, gold_ticket, "restore", {"note": "切换备用路由"}).status_code == 302
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.RESTORED and gold_ticket.restored_at
    services.record_site_lead_exception(ticket_id=gold_ticket.pk, by=f.support_manager(),
                                        reason="客户要求远程处理")  # R-SITE-1
    response = act(client, gold_ticket, "resolve", {"cause_category": "fibre_cut", "cause_text": "光缆挖断已熔接"})
    assert response.status_code == 302
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.RESOLVED and gold_ticket.cause_category == "fibre_cut"


def test_resolve_without_cause_is_400(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    act(client, gold_ticket, "accept")
    response = act(client, gold_ticket, "resolve", {"cause_category": "fibre_cut", "cause_text": ""})
    assert response.status_code == 400
    gold_ticket.refresh_from_db()
    assert gold_ticket.state == TicketState.LEAD_HANDLING


def test_on_site_lead_drafts_the_explanation(client, operator, support, gold_ticket):
    """R-EXPLAIN: the on-site lead drafts; another engineer may not once a lead is named."""
    services.designate_site_lead(ticket_id=gold_ticket.pk, by=operator, user_id=support.pk)
    client.force_login(support)
    act(client, gold_ticket, "draft_explanation", {"text": "光缆被挖断，已修复。"})
    explanation = Explanation.objects.get(ticket=gold_ticket)
    assert explanation.state == "draft" and explanation.drafted_by == support
    client.force_login(f.room_engineer("transport"))
    response = act(client, gold_ticket, "draft_explanation", {"text": "改写"})
    assert response.status_code == 403
    explanation.refresh_from_db()
    assert explanation.text == "光缆被挖断，已修复。"


def test_release_of_an_unapproved_explanation_is_409(client, transport_engineer, gold_ticket):
    client.force_login(transport_engineer)
    act(client, gold_ticket, "draft_explanation", {"text": "草稿"})
    explanation = Explanation.objects.get(ticket=gold_ticket)
    response = act(client, gold_ticket, "release_explanation", {"explanation": explanation.pk})
    assert response.status_code == 409
    explanation.refresh_from_db()
    assert explanation.state == "draft"


def test_ticket_page_timeline_shows_events_deadlines_arrivals_and_notes(client, operator, transport_engineer,
                                                                        gold_ticket):
    services.accept(ticket_id=gold_ticket.pk, by=transport_engineer)
    services.add_progress(ticket_id=gold_ticket.pk, by=transport_engineer, text="正在定位光缆断点")
    services.record_arrival(ticket_id=gold_ticket.pk, by=transport_engineer)
    services.restore(ticket_id=gold_ticket.pk, by=transport_engineer, note="切换备用路由")
    client.force_login(operator)
    html = client.get(reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()
    for kind in ("event", "deadline", "arrival", "progress"):
        assert f'data-kind="{kind}"' in html
    assert "正在定位光缆断点" in html and "达成" in html
    assert "已派单 → 主导室处理" in html


def test_vendor_engineer_sees_the_ticket_but_cannot_accept(client, gold_ticket):
    """R-SITE-3: the assigned vendor's engineer reads the ticket and works under our lead; accepting is ours."""
    vendor = f.vendor_engineer()
    services.assign_vendor(ticket_id=gold_ticket.pk, by=None, vendor_id=vendor.vendor_id)
    client.force_login(vendor)
    assert client.get(reverse("tickets:detail", args=[gold_ticket.pk])).status_code == 200
    assert act(client, gold_ticket, "accept").status_code == 403
