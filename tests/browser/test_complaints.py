"""The complaint pages in a real browser: a complaint taken by phone on a desktop walks every stage to closed;
the support room follows the queue and a complaint on a 390 px phone (R-CMP-FLOW, R-CMP-LOOP, R-CMP-WORKDAY)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints.models import Complaint
from tests import factories as f

from .test_visits import DESKTOP, DUPLICATE_IDS_JS, PHONE, assert_phone_fit, log_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _reference():
    from complaints.migrations._calendar import load_library_years
    from complaints.migrations._defaults import ensure

    ensure()
    load_library_years(since=2026)


def take(customer):
    from complaints.services.intake import ComplaintIn, receive_complaint

    return receive_complaint(data=ComplaintIn(customer_code=customer.code, category="outage", description="专线中断",
                                              received_at=NOW)).complaint


def act(page, name):
    details = page.locator(f"#action-{name}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def test_a_complaint_taken_by_phone_walks_to_closed_and_the_support_room_follows_it_on_a_phone(
        live_server, browser, shoot):
    """R-CMP-FLOW / R-CMP-LOOP / R-CMP-WORKDAY: take, sort, analyse, handle, reply, close; countdowns in
    working days; the dashboard's on-time rates; the phone layout fits 390 px."""
    with time_machine.travel(NOW, tick=True):
        _reference()
        base = live_server.url
        f.monitoring_operator(username="mon")
        f.support_engineer(username="se")
        f.support_manager(username="boss")
        customer = f.CustomerFactory(tier="normal", name="福田商贸集团", code="FT-SHOP-01")
        f.CircuitFactory(customer=customer, circuit_id="SZ-NET-0042")

        desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = desk.new_page()
        log_in(page, base, "mon")
        submit(page, ".mainnav a[href='/complaints/']")
        submit(page, "main a[href='/complaints/new/']")
        page.fill("#id_customer_code", "NOPE-1")
        page.select_option("#id_category", "slow")
        page.fill("#id_description", "互联网专线晚高峰访问缓慢")
        response = submit(page, "main form button[type=submit]")
        assert response.status == 400
        assert "NOPE-1" in page.locator("#id_customer_code").input_value()  # input kept
        assert page.locator(".field-customer_code .errorlist").is_visible()
        assert page.locator("#id_description").input_value() == "互联网专线晚高峰访问缓慢"
        shoot(page, "c01-desktop-form-error")
        page.fill("#id_customer_code", "FT-SHOP-01")
        page.fill("#id_circuit_id", "SZ-NET-0042")
        submit(page, "main form button[type=submit]")
        complaint = Complaint.objects.get()
        assert page.url.endswith(f"/complaints/{complaint.pk}/")
        assert "剩余" in page.inner_text("main") and "个工作日" in page.inner_text("main")
        shoot(page, "c02-desktop-received")

        act(page, "sort").locator("select[name=route_to]").select_option("datacom")
        submit(page, "#action-sort button[type=submit]")
        act(page, "analyse").locator("select[name=finding]").select_option("optimisation")
        page.fill("#analyse-note", "晚高峰出口拥塞")
        submit(page, "#action-analyse button[type=submit]")
        act(page, "handle")
        page.fill("#handle-note", "出口扩容完成")
        submit(page, "#action-handle button[type=submit]")
        act(page, "reply")
        page.fill("#reply-text", "已扩容出口带宽，请复测")
        page.select_option("#reply-customer_reaction", "satisfied")
        submit(page, "#action-reply button[type=submit]")
        submit(page, "#action-close button[type=submit]")
        complaint.refresh_from_db()
        assert complaint.stage == "closed"
        assert page.evaluate(DUPLICATE_IDS_JS) == []
        shoot(page, "c03-desktop-closed")
        desk.close()

        other = f.CustomerFactory(tier="gold", name="南山数据中心", code="NS-DC-01")
        take(other)
        phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True,
                                    has_touch=True)
        page = phone.new_page()
        log_in(page, base, "se")
        page.goto(f"{base}/complaints/")
        assert "剩余" in page.inner_text("#complaint-queue")
        assert_phone_fit(page)
        shoot(page, "c04-phone-queue")
        submit(page, ".cmp-row a")
        assert_phone_fit(page)
        shoot(page, "c05-phone-complaint")
        phone.close()

        manager = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = manager.new_page()
        log_in(page, base, "boss")
        page.goto(f"{base}/complaints/dashboard/")
        rates = page.locator("#complaint-on-time")
        assert "100%" in rates.inner_text()
        shoot(page, "c06-desktop-dashboard")
        manager.close()
