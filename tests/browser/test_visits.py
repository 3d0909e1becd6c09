"""The visit pages in a real browser: a support engineer plans and records a visit on a desktop,
then follows it up on a 390 px phone (docs/rules.md §4, R-VISIT-1, R-VISIT-2, R-VISIT-3)."""
import importlib
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer
from tests import factories as f
from tickets.choices import TicketSource
from visits import services
from visits.choices import ParticipantKind, VisitEventKind, VisitState
from visits.models import AppointmentCall, Visit, VisitParticipant, VisitProblem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234-word"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TAP = 44

# Every visible button or other control in the page body that is too low to hit with a thumb.
SMALL_TARGETS_JS = """
(min) => Array.from(document.querySelectorAll(
    'main button, main .btn, main summary, main input[type=submit], main .radios label, main label.check, '
    + 'main select, main textarea, main input:not([type=hidden]):not([type=checkbox]):not([type=radio])'))
  .filter(el => el.offsetParent !== null)
  .map(el => [el.textContent.trim().slice(0, 30) || el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
  .filter(([, h]) => h > 0 && h < min)
"""

DUPLICATE_IDS_JS = """
() => { const seen = {}; document.querySelectorAll('[id]').forEach(el => { seen[el.id] = (seen[el.id] || 0) + 1; });
        return Object.keys(seen).filter(id => seen[id] > 1); }
"""


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page, "main button[type=submit]")


def submit(page, selector):
    """Click and wait for the page that answers the form; returns that response."""
    with page.expect_navigation() as nav:
        page.click(selector)
    return nav.value


def open_action(page, name):
    """Open one of the collapsible action panels of the visit page (if it is not open yet)."""
    details = page.locator(f"details[data-action={name}]")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def assert_phone_fit(page):
    """No horizontal scroll at 390 px and every button at least 44 px high."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    small = page.evaluate(SMALL_TARGETS_JS, TAP)
    assert small == [], (page.url, small)


def local_input(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_support_engineer_plans_records_and_follows_up_a_visit(live_server, browser, shoot):
    """R-VISIT-1, R-VISIT-2, R-VISIT-3: plan, call, participants, problems (one becomes a fault ticket), done;
    then on a phone: agenda, visit page, a problem solved on site."""
    importlib.import_module("visits.migrations.0002_policy_defaults").ensure()
    base = live_server.url
    engineer = f.support_engineer(username="se", first_name="支撑", last_name="张", phone="13800001111")
    colleague = f.room_engineer("datacom", username="dc", first_name="数据", last_name="刘")
    vendor = f.vendor_engineer(username="vend", first_name="代维", last_name="陈")
    customer = f.CustomerFactory(tier="gold", name="深圳金融集团", code="GOLD01")
    f.ContactFactory(customer=customer, name="李工", phone="13911112222")
    # Coverage: a diamond customer not visited for 200 days (a visit is planned) and one never visited;
    # an open follow-up of the engineer's that is past its due date.
    other = f.CustomerFactory(tier="diamond", name="南山数据中心", code="DIA01")
    never = f.CustomerFactory(tier="diamond", name="宝安智能制造产业园集团有限公司", code="DIA02")
    Customer.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=200))
    Customer.objects.filter(pk=never.pk).update(created_at=timezone.now() - timedelta(days=45))
    soon = timezone.localtime() + timedelta(days=3)
    upcoming = services.create_visit(by=engineer, customer_id=other.pk, kind="differentiated_service",
                                     planned_at=soon.replace(hour=9, minute=30, second=0, microsecond=0),
                                     place="南山区科技园数据中心 5 楼机房")
    late = services.add_problem(visit_id=upcoming.pk, by=engineer, description="机房 UPS 电池组需要更换，待厂家报价",
                                owner_id=engineer.pk, due_date=timezone.localdate() + timedelta(days=1))
    VisitProblem.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    planned_at = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)

    # --- desktop: plan the visit
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = desk.new_page()
    log_in(page, base, "se")
    submit(page, ".mainnav a[href='/visits/']")
    shoot(page, "v01-desktop-list")
    submit(page, ".vnav a[href='/visits/new/']")
    page.select_option("#id_customer", str(customer.pk))
    page.select_option("#id_kind", "fault_review")
    assert page.locator("#id_ticket_numbers").is_visible() and not page.locator("#id_checklist_template").is_visible()
    page.select_option("#id_kind", "technical_exchange")
    assert not page.locator("#id_ticket_numbers").is_visible()
    page.fill("#id_planned_at", local_input(planned_at))
    page.fill("#id_place", "福田区金融大厦 12 楼机房")
    page.fill("#id_subject", "专线双路由改造交流")
    shoot(page, "v02-desktop-plan-form")
    submit(page, "main form button[type=submit]")
    visit = Visit.objects.get(customer=customer)
    assert visit.state == VisitState.PLANNED and visit.owner == engineer
    assert visit.planned_at == planned_at
    assert page.url.endswith(f"/visits/{visit.pk}/")
    assert visit.number in page.inner_text("h1")

    # --- a refusal: done before the appointment call (R-VISIT-1) is refused, clearly, and changes nothing
    open_action(page, "complete")
    response = submit(page, "details[data-action=complete] button[type=submit]")
    assert response.status == 400
    error = page.locator(".msg-error")
    assert error.count() == 1 and error.is_visible()
    assert "R-VISIT-1" in error.inner_text() and "预约电话" in error.inner_text()
    assert "appointment_call" not in error.inner_text()  # the message speaks to a person, not a field code
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED and visit.actual_at is None
    assert not visit.events.filter(kind=VisitEventKind.COMPLETE).exists()
    shoot(page, "v03-desktop-refused-done-without-call")

    # --- R-VISIT-1: the appointment call; whom to call, time, place and our contact details are pre-filled
    confirm = open_action(page, "confirm")
    assert confirm.locator("[name=confirmed_place]").input_value() == "福田区金融大厦 12 楼机房"
    assert "13800001111" in confirm.locator("[name=contact_left]").input_value()
    assert confirm.locator("[name=callee_name]").input_value() == "李工"  # the customer's contact on file
    assert confirm.locator("[name=callee_phone]").input_value() == "13911112222"
    confirm.locator("[name=confirmed_participants]").fill("我方：张支撑、刘数据、代维陈工；客户：李工")
    shoot(page, "v04-desktop-call-form")
    submit(page, "details[data-action=confirm] button[type=submit]")
    visit.refresh_from_db()
    assert visit.state == VisitState.CONFIRMED
    call = AppointmentCall.objects.get(visit=visit)
    assert call.caller == engineer and call.callee_name == "李工" and call.confirmed_time == planned_at
    assert page.locator(".msg-success").count() == 1

    # --- R-VISIT-2: a virtual-team member, a vendor engineer under a named lead, the customer's people
    participant = open_action(page, "participant")
    participant.locator("[name=user]").select_option(str(colleague.pk))
    submit(page, "details[data-action=participant] button[type=submit]")
    participant = open_action(page, "participant")
    participant.locator("[name=user]").select_option(str(vendor.pk))
    response = submit(page, "details[data-action=participant] button[type=submit]")
    assert response.status == 400  # R-VISIT-2: no vendor engineer without a lead of ours
    assert "带队负责人" in page.locator(".msg-error").inner_text()
    participant = page.locator("details[data-action=participant]")
    assert participant.get_attribute("open") is not None  # the form stays open, the error next to the field
    assert "R-VISIT-2" in participant.locator(".field-lead .errorlist").inner_text()
    assert participant.locator("[name=user]").input_value() == str(vendor.pk)
    assert not VisitParticipant.objects.filter(visit=visit, user=vendor).exists()
    shoot(page, "v04b-desktop-refused-vendor-without-lead")
    participant.locator("[name=lead]").select_option(str(engineer.pk))
    submit(page, "details[data-action=participant] button[type=submit]")
    people = {p.user_id: p for p in VisitParticipant.objects.filter(visit=visit)}
    assert people[colleague.pk].kind == ParticipantKind.VIRTUAL_TEAM
    assert people[vendor.pk].kind == ParticipantKind.VENDOR and people[vendor.pk].lead == engineer
    customer_side = open_action(page, "customer-participant")
    customer_side.locator("[name=name]").fill("李工")
    customer_side.locator("[name=title]").fill("网络主管")
    customer_side.locator("[name=phone]").fill("13911112222")
    submit(page, "details[data-action=customer-participant] button[type=submit]")
    assert visit.customer_participants.get().title == "网络主管"
    ours = page.locator("#participants").inner_text()
    assert "代维人员" in ours and "带队" in ours

    # --- R-VISIT-3: a problem with an owner and a due date, turned into a fault ticket
    problem_form = open_action(page, "problem")
    assert not problem_form.locator("[name=solution]").is_visible()  # not solved on site: an owner and a due date
    problem_form.locator("[name=description]").fill("备用路由光功率偏低，需要更换客户侧光模块")
    problem_form.locator("[name=due_date]").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    submit(page, "details[data-action=problem] button[type=submit]")
    problem = VisitProblem.objects.get(visit=visit)
    assert problem.owner == engineer and not problem.solved_on_site
    item = page.locator(f"li.problem[data-problem='{problem.pk}']")
    item.locator("details[data-action=problem-ticket] summary").click()
    assert "留空则使用问题描述" in item.locator(".field-title").inner_text()
    item.locator("[name=category]").select_option("datacom")
    item.locator("[name=outage]").select_option("none")
    shoot(page, "v05-desktop-problem-to-ticket")
    with page.expect_navigation():
        item.locator("details[data-action=problem-ticket] button[type=submit]").click()
    problem.refresh_from_db()
    ticket = problem.ticket
    assert ticket is not None
    assert ticket.source == TicketSource.VISIT and ticket.customer == customer
    assert list(ticket.visit_problems.all()) == [problem]
    assert page.locator(f"li.problem[data-problem='{problem.pk}'] a[href='/tickets/{ticket.pk}/']").count() == 1
    assert ticket.number in page.locator(".msg-success").inner_text()

    # --- done
    complete = open_action(page, "complete")
    complete.locator("[name=summary]").fill("交流双路由改造方案；光模块问题已转故障工单跟进。")
    submit(page, "details[data-action=complete] button[type=submit]")
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE and visit.actual_at is not None
    assert page.locator(".ticket-head .state-done").count() == 1
    # Many forms on one page: every element id is unique, so each label focuses its own field.
    assert page.evaluate(DUPLICATE_IDS_JS) == []
    shoot(page, "v06-desktop-visit-done")
    page.goto(f"{base}/visits/coverage/")
    shoot(page, "v07-desktop-coverage")
    desk.close()

    # --- phone, 390 x 844: the agenda, the visit, a second problem solved on site
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai")
    page = phone.new_page()
    log_in(page, base, "se")
    submit(page, ".mainnav a[href='/visits/']")
    assert_phone_fit(page)
    shoot(page, "v08-phone-list")
    submit(page, ".vnav a[href='/visits/agenda/']")
    assert "南山数据中心" in page.inner_text("main")
    assert customer.name not in page.inner_text("main")  # a visit that is done is no longer ahead of us
    assert_phone_fit(page)
    shoot(page, "v09-phone-agenda")
    submit(page, f"a.vcard[href='/visits/{upcoming.pk}/']")
    assert page.locator("details[data-action=confirm]").get_attribute("open") is not None  # R-VISIT-1 comes first
    assert_phone_fit(page)
    shoot(page, "v09b-phone-upcoming-visit-call-form")
    page.goto(f"{base}/visits/coverage/")
    assert page.locator("tr[data-customer=DIA02]").count() == 1 and page.locator("tr[data-customer=DIA01]").count() == 1
    assert page.locator(f"tr[data-problem='{late.pk}'] .is-overdue").count() == 1
    # Under 600 px a row is a card: its cells stack inside the screen, each named after its column.
    row = page.locator("tr[data-customer=DIA02]")
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    assert row.bounding_box()["width"] <= PHONE["width"]
    assert_phone_fit(page)
    shoot(page, "v10-phone-coverage")
    page.goto(f"{base}/visits/new/")
    assert_phone_fit(page)
    shoot(page, "v11-phone-plan-form")
    page.goto(f"{base}/visits/")
    submit(page, f"a.vcard[href='/visits/{visit.pk}/']")
    assert_phone_fit(page)
    shoot(page, "v12-phone-visit")
    problem_form = open_action(page, "problem")
    problem_form.locator("[name=description]").fill("客户反映网管账号无法登录，现场重置密码")
    problem_form.locator("label.check").click()
    assert not problem_form.locator("[name=due_date]").is_visible()  # solved on site: the solution instead
    problem_form.locator("[name=solution]").fill("已现场重置网管账号密码并验证登录")
    assert_phone_fit(page)
    problem_form.locator("summary").scroll_into_view_if_needed()
    shoot(page, "v13-phone-problem-form-viewport", full_page=False)
    submit(page, "details[data-action=problem] button[type=submit]")
    solved = VisitProblem.objects.get(visit=visit, solved_on_site=True)
    assert solved.solution == "已现场重置网管账号密码并验证登录" and solved.owner is None
    assert VisitProblem.objects.filter(visit=visit).count() == 2
    assert page.locator(f"li.problem[data-problem='{solved.pk}'] .ok-badge").count() == 1
    assert_phone_fit(page)
    shoot(page, "v14-phone-visit-two-problems")
    phone.close()
