"""Every page for every role through axe-core, in both languages and at both viewports; pages at volume."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tickets import services

from .test_flows import DESKTOP, PHONE, breached_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("zh-hans", "en")
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def _session_cookie(user, base):
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base}


def _people_and_tickets():
    """One person per role and tickets in the states the pages show: breached, triage, returned explanation."""
    people = {
        "op": f.monitoring_operator(username="op"),
        "trans": f.room_engineer("transport", username="trans", first_name="传送", last_name="王"),
        "mgr": f.support_manager(username="mgr"),
        "supp": f.support_engineer(username="supp"),
    }
    breached_ticket()
    circuit = f.CircuitFactory(customer__tier="diamond", customer__name="钻石客户")
    f.ContactFactory(customer=circuit.customer, name="李工", phone="13911112222")
    ticket = services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="NMS-AXE-1", category="transmission", severity="critical", outage="total",
        circuit_id=circuit.circuit_id, title="LOS on STM-1 port 3",
        raised_at=timezone.now() - timedelta(minutes=20))).ticket
    services.accept(ticket_id=ticket.pk, by=people["trans"])
    x = services.draft_explanation(ticket_id=ticket.pk, by=people["trans"], text="光缆被挖断")
    services.review_explanation(explanation_id=x.pk, by=people["mgr"], approve=False, note="写明抢通时间")
    services.ingest_alarm(alarm=services.AlarmIn(
        alarm_id="NMS-AXE-2", category="datacom", severity="major", outage="partial",
        circuit_id="SZ-UNKNOWN-0001", title="BGP down", raised_at=timezone.now() - timedelta(minutes=3)))
    services.publish_manual_broadcast(ticket_id=ticket.pk, by=None)
    return people, ticket


def _serious(results) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_passes_axe_in_both_languages_and_viewports(live_server, browser, shoot):
    """Problem 10: axe-core finds no serious or critical violation on any page (contrast of the gold badge and
    the active language button, the h1 of /m/, scroll regions reachable by keyboard)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    base = live_server.url
    people, ticket = _people_and_tickets()
    pages = [
        (None, "/accounts/login/"),
        ("op", "/console/"),
        ("op", f"/tickets/{ticket.pk}/"),
        ("op", "/broadcasts/"),
        ("trans", "/m/"),
        ("trans", f"/tickets/{ticket.pk}/"),
        ("mgr", "/dashboard/"),
        ("mgr", "/tickets/?open=true"),
        ("supp", "/visits/"),
    ]
    found = []
    for language in LANGUAGES:
        for view, size in VIEWPORTS.items():
            context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai")
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
            page = context.new_page()
            current = None
            for who, path in pages:
                if who != current:
                    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
                    if who:
                        context.add_cookies([_session_cookie(people[who], base)])
                    current = who
                page.goto(f"{base}{path}")
                assert page.url.endswith(path.split("?")[0]) or page.url.endswith(path), (who, path, page.url)
                found += [f"{language} {view} {path}: {v}" for v in _serious(axe.run(page))]
            if language == "en" and view == "phone":
                shoot(page, "20-phone-dashboard-en")
            context.close()
    assert found == []


def _top(page, selector) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"]


def test_console_phone_and_dashboard_at_volume(live_server, browser, shoot):
    """Problems 3, 7, 8 at volume (3,000 tickets, ~150 open): the triage list, the phone checklist, the filters
    with their counts, the review queue and what needs the engineer's attention are reachable without
    scrolling past the queue; the filters are in the address."""
    from django.core.management import call_command

    base = live_server.url
    people, ticket = _people_and_tickets()
    call_command("generate_load", tickets=3000, force=True, open_share=0.05, verbosity=0)

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk.add_cookies([_session_cookie(people["op"], base)])
    page = desk.new_page()
    page.goto(f"{base}/console/")
    assert page.locator("#queue tr[data-ticket]").count() == 100  # a full page of the queue
    for selector in ("a[data-jump=triage]", "a[data-jump=phone]", "#queue-filters", "a[data-view=overdue]",
                     "#h-triage", "#h-phone"):
        assert _top(page, selector) < DESKTOP["height"], selector
    assert int(page.locator("a[data-jump=triage] .count").inner_text()) > 0
    shoot(page, "30-console-volume", full_page=False)
    page.check("#queue-filters input[name=overdue]")
    page.select_option("#id_tier", "gold")
    with page.expect_navigation():
        page.click("#queue-filters button[type=submit]")
    assert "overdue=true" in page.url and "tier=gold" in page.url
    assert page.locator("a[data-view=overdue][aria-current=true]").count() == 0  # two filters: no single view
    rows = page.locator("#queue tr[data-ticket]")
    assert 0 < rows.count() <= 100
    shoot(page, "31-console-volume-filtered", full_page=False)
    page.click("a[data-jump=triage]")
    assert _top(page, "#h-triage") < DESKTOP["height"]
    desk.close()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.add_cookies([_session_cookie(people["trans"], base)])
    page = phone.new_page()
    page.goto(f"{base}/m/")
    assert _top(page, "#attention") < PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "32-phone-volume", full_page=False)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("a[href^='tel:']").count() >= 1
    shoot(page, "33-phone-ticket-volume", full_page=False)
    phone.close()

    # Problem 6: on a phone the dashboard's tables become cards: no sideways scrolling, ticket numbers on one
    # line, every deadline inside the screen.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.add_cookies([_session_cookie(people["mgr"], base)])
    page = phone.new_page()
    page.goto(f"{base}/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    numbers = page.locator("#dashboard-panel tr[data-ticket] a strong")
    assert numbers.count() > 0
    line = numbers.first.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 24")
    for i in range(min(numbers.count(), 10)):
        assert numbers.nth(i).bounding_box()["height"] <= line * 1.5
    countdowns = page.locator("#dashboard-panel .countdown")
    for i in range(min(countdowns.count(), 10)):
        box = countdowns.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    shoot(page, "36-phone-dashboard-cards", full_page=False)
    phone.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk.add_cookies([_session_cookie(people["mgr"], base)])
    page = desk.new_page()
    page.goto(f"{base}/dashboard/")
    assert _top(page, "#explanations") < DESKTOP["height"]
    assert _top(page, "a[data-tile=overdue]") < DESKTOP["height"] * 1.5
    shoot(page, "34-dashboard-volume", full_page=False)
    with page.expect_navigation():
        page.click("a[data-tile=overdue]")
    assert "/tickets/?overdue=true" in page.url and int(page.locator("#list-total").inner_text()) > 0
    shoot(page, "35-list-overdue-volume", full_page=False)
    desk.close()
