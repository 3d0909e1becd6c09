"""The people's pages in a real browser: console (desktop), phone view (390 px), dashboard."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.choices import DeadlineKind, TicketState
from tickets.models import Deadline, Explanation, FaultTicket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234-word"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SITE = {"latitude": 22.540000, "longitude": 114.050000}
NEAR_SITE = {"latitude": 22.540500, "longitude": 114.050500}  # about 75 m away


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page, "main button[type=submit]")


def submit(page, selector):
    """Click and wait for the page that answers the form."""
    with page.expect_navigation():
        page.click(selector)


def open_action(page, name):
    """Open an action's section: through the "next step" button when the field flow says it is next."""
    step = page.locator(f"a[data-next-step={name}]")
    if step.count():
        step.click()
    elif not page.locator(f"details[data-action={name}]").evaluate("d => d.open"):
        page.click(f"details[data-action={name}] summary")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def breached_ticket():
    """A gold ticket that occurred 3 h ago whose joint-handling deadline was breached (R-ESC-1)."""
    circuit = f.CircuitFactory(customer__tier="gold", customer__name="超时演示客户")
    ticket = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="NMS-LATE-1", category="datacom", severity="critical", outage="partial",
        circuit_id=circuit.circuit_id, title="BGP session down", raised_at=timezone.now() - timedelta(hours=3))).ticket
    deadline = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.JOINT_HANDLING)
    Deadline.objects.filter(pk=deadline.pk).update(breached_at=deadline.due_at + timedelta(minutes=1))
    return ticket


def test_ticket_life_across_console_phone_and_dashboard(live_server, browser, shoot):
    """R-DISPATCH-IMP, R-ESC-2 check-in, R-RESTORE-FIRST, R-EXPLAIN, R-PRIO: the whole life in the browser."""
    base = live_server.url
    f.monitoring_operator(username="op")
    f.room_engineer("transport", username="trans", first_name="传送", last_name="王")
    manager = f.support_manager(username="mgr")
    customer = f.CustomerFactory(tier="gold", name="深圳金融集团", code="GOLD01")
    site = f.SiteFactory(customer=customer, latitude=str(SITE["latitude"]), longitude=str(SITE["longitude"]))
    circuit = f.CircuitFactory(customer=customer, circuit_id="SZ-DL-0001", a_site=site)
    f.ContactFactory(customer=customer, name="李工", phone="13911112222")
    late = breached_ticket()

    # --- monitoring console, desktop: create the ticket by hand, then dispatch it
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = desk.new_page()
    log_in(page, base, "op")
    assert page.url.endswith("/console/")
    assert page.locator(f"#queue tr[data-ticket='{late.number}']").get_attribute("class") == "is-breached"
    shoot(page, "01-console")
    page.fill("#id_title", "客户来电：专线中断")
    # The customer by code, suggested from what is typed (the page never lists every customer).
    page.fill("#id_customer", customer.name[:2])
    page.wait_for_selector(f"#customer-codes option[value='{customer.code}']", state="attached")
    page.fill("#id_customer", customer.code)
    page.fill("#id_circuit_id", circuit.circuit_id)
    page.select_option("#id_category", "transmission")
    page.select_option("#id_outage", "total")
    page.uncheck("#id_dispatch_now")
    submit(page, "#create-ticket button[type=submit]")
    ticket = FaultTicket.objects.get(circuit_ref=circuit.circuit_id)
    assert page.locator("#ticket-state").get_attribute("data-state") == TicketState.NEW
    submit(page, "button[data-action=dispatch]")
    assert page.locator("#ticket-state").get_attribute("data-state") == TicketState.DISPATCHED
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    # R-DISPATCH-IMP: one phone line per room; tick the transport room's.
    row = page.locator("li.phone-row[data-room=transport]")
    row.locator("input[name=callee]").fill("王工")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert ticket.phone_notifications.get(room__code="transport").answered is True
    shoot(page, "02-ticket-dispatched-desktop")
    desk.close()

    # --- field engineer on a phone: accept, check in with geolocation, restore, resolve, draft the explanation
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai",
                                permissions=["geolocation"], geolocation=NEAR_SITE)
    page = phone.new_page()
    log_in(page, base, "trans")
    assert page.url.endswith("/m/")
    assert no_horizontal_scroll(page)
    shoot(page, "03-phone-my-tickets")
    submit(page, f"a.tcard[href='/tickets/{ticket.pk}/']")
    submit(page, "button[data-action=accept]")
    assert page.locator("#ticket-state").get_attribute("data-state") == TicketState.LEAD_HANDLING
    assert no_horizontal_scroll(page)
    shoot(page, "04-phone-ticket-accepted")
    page.locator("h2#h-actions").scroll_into_view_if_needed()
    shoot(page, "04b-phone-actions-viewport", full_page=False)
    # R-SITE-4: the call to the customer's technical contact (pre-filled) and the tool list.
    assert page.locator("a[data-next-step=pre_arrival]").count() == 1  # the call comes before check-in
    open_action(page, "pre_arrival")
    assert page.input_value("#id_pre_arrival_contact_name") == "李工"
    page.check("#id_pre_arrival_told_engineer_details")
    page.check("#id_pre_arrival_tool_laptop")
    page.check("#id_pre_arrival_tool_patch_cables")
    page.locator("details[data-action=pre_arrival] summary").scroll_into_view_if_needed()
    assert no_horizontal_scroll(page)
    shoot(page, "04c-phone-pre-arrival-viewport", full_page=False)
    submit(page, "button[data-submit=pre_arrival]")
    assert ticket.pre_arrival_checks.get().tool_laptop
    submit(page, "button[data-action=arrival]")
    arrival = ticket.arrivals.get()
    assert arrival.latitude is not None and 50 < arrival.distance_m < 100
    assert "米" in page.locator(".msg-success").first.inner_text()
    open_action(page, "progress")
    page.fill("#id_progress_text", "本网检查：STM-1 端口 3 收无光，已派人查光缆")
    submit(page, "button[data-submit=progress]")
    open_action(page, "restore")
    page.fill("#id_restore_note", "已切换至备用路由，业务恢复")
    submit(page, "button[data-submit=restore]")
    assert page.locator("#ticket-state").get_attribute("data-state") == TicketState.RESTORED
    # R-SITE-1: nobody of the support room went on site: the manager records the exception before the resolve.
    services.record_site_lead_exception(ticket_id=ticket.pk, by=manager, reason="客户机房不允许进入，远程处理")
    open_action(page, "resolve")
    page.select_option("#id_resolve_cause_category", "fibre_cut")
    page.fill("#id_resolve_cause_text", "市政施工挖断光缆，已熔接")
    submit(page, "button[data-submit=resolve]")
    assert page.locator("#ticket-state").get_attribute("data-state") == TicketState.RESOLVED
    open_action(page, "draft_explanation")
    page.fill("#id_draft_explanation_text", "因市政施工挖断光缆导致专线中断，我方已切换备用路由并熔接修复。")
    submit(page, "button[data-submit=draft_explanation]")
    assert no_horizontal_scroll(page)
    shoot(page, "05-phone-ticket-resolved")
    shoot(page, "05b-phone-top-viewport", full_page=False)
    page.locator("#h-timeline").scroll_into_view_if_needed()
    shoot(page, "05d-phone-timeline-viewport", full_page=False)
    phone.close()

    # --- manager, desktop: the breached ticket is red; approve the explanation
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = desk.new_page()
    log_in(page, base, "mgr")
    assert page.url.endswith("/dashboard/")
    late_row = page.locator(f"#dashboard-panel tr.is-breached[data-ticket='{late.number}']")
    assert late_row.count() == 1
    bg = late_row.evaluate("el => getComputedStyle(el).backgroundColor")
    r, g, b = (int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3])
    assert r > g + 10 and r > b + 10, bg  # reddish
    shoot(page, "06-dashboard")
    explanation = Explanation.objects.get(ticket=ticket)
    submit(page, f"#explanation-queue [data-explanation='{explanation.pk}'] button[value=approve]")
    explanation.refresh_from_db()
    assert explanation.state == "approved"
    assert page.locator(".msg-success").count() == 1
    shoot(page, "07-dashboard-approved")
    desk.close()


def test_log_in_lock_out_broadcasts_and_english_switch(live_server, browser, shoot, settings):
    """The log-in page, the locked-out page after too many failures, the broadcasts page, the language switch."""
    base = live_server.url
    f.monitoring_operator(username="op")
    ticket = breached_ticket()
    services.publish_manual_broadcast(ticket_id=ticket.pk, by=None)
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    assert no_horizontal_scroll(page)
    shoot(page, "08-phone-login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.fill("#id_username", "op")
        page.fill("#id_password", "wrong")
        submit(page, "main button[type=submit]")
    assert page.locator("#locked-out").count() == 1
    assert no_horizontal_scroll(page)
    shoot(page, "09-phone-locked-out")
    phone.close()

    f.monitoring_operator(username="op3")
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = desk.new_page()
    log_in(page, base, "op3")
    page.goto(f"{base}/broadcasts/")
    assert ticket.number in page.inner_text("main")
    shoot(page, "10-broadcasts")
    submit(page, ".langswitch button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/broadcasts/")
    shoot(page, "11-broadcasts-en")
    desk.close()
