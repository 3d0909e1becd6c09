"""Complaint pages: the queue, taking a complaint by phone, the complaint page's actions, the dashboard panel."""
import pytest
import time_machine
from django.test import Client

from complaints.models import Complaint
from complaints.services import transitions as t
from complaints.services.deadlines import sweep_complaint_deadlines
from tests import factories as f

from .conftest import at, receive

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 24, 10, 30)


def browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@time_machine.travel(NOW, tick=False)
def test_queue_orders_important_first_and_counts_down_in_working_days():
    """R-CMP-LIMITS / R-CMP-WORKDAY: important first, then the nearest deadline; "剩余 … 个工作日"."""
    general = receive(f.CustomerFactory(tier="normal"), received_at=at(2026, 11, 24, 9, 0))
    important = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 10, 0))
    page = browser(f.monitoring_operator()).get("/complaints/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(important.number) < html.index(general.number)
    assert "剩余 1.5 小时" in html  # important: 2 h sorting, wall clock
    assert "个工作日" in html
    partial = browser(f.support_engineer()).get("/complaints/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()


@time_machine.travel(NOW, tick=False)
def test_taking_a_complaint_by_phone_keeps_input_and_names_the_field():
    """R-CMP-FLOW: post/redirect/get; errors next to the field, input kept."""
    customer = f.CustomerFactory(tier="normal", code="SZ-SHOP-1")
    client = browser(f.support_engineer())
    bad = client.post("/complaints/new/", {"customer_code": "NOPE", "category": "slow", "description": "上网慢",
                                           "channel": "phone", "received_at": "2026-11-24T10:00"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "unknown customer NOPE" in html and "上网慢" in html
    good = client.post("/complaints/new/", {"customer_code": customer.code, "category": "slow",
                                            "description": "上网慢", "channel": "phone",
                                            "received_at": "2026-11-24T10:00"})
    complaint = Complaint.objects.get()
    assert good.status_code == 302 and good.url == f"/complaints/{complaint.pk}/"
    assert complaint.channel == "phone" and complaint.taken_by is not None and complaint.complaint_id is None


@time_machine.travel(NOW, tick=False)
def test_complaint_page_offers_only_what_the_service_accepts_and_runs_it():
    """R-CMP-FLOW: buttons from the stage machine and the permission; a refused action shows its error."""
    c = receive(f.CustomerFactory(tier="gold"))
    engineer = browser(f.room_engineer())
    html = engineer.get(f"/complaints/{c.pk}/").content.decode()
    assert 'id="action-sort"' not in html  # room engineers do not sort
    operator = browser(f.monitoring_operator())
    html = operator.get(f"/complaints/{c.pk}/").content.decode()
    assert 'id="action-sort"' in html and 'id="action-close"' not in html
    refused = operator.post(f"/complaints/{c.pk}/close/", {})
    assert refused.status_code == 409
    done = operator.post(f"/complaints/{c.pk}/sort/", {"route_to": "transport"})
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.stage == "sorted" and c.route.code == "transport"
    bad = operator.post(f"/complaints/{c.pk}/analyse/", {"finding": "", "note": "光缆中断"})
    assert bad.status_code == 400 and "光缆中断" in bad.content.decode()


@time_machine.travel(NOW, tick=False)
def test_dashboard_panel_shows_on_time_rates_per_stage():
    """R-CMP-LIMITS: open by importance and stage, on-time rate per stage for 7 and 30 days, breaches."""
    on_time = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 10, 0))
    t.sort(complaint_id=on_time.pk, by=None, route_to="transport")
    late = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 7, 0))
    sweep_complaint_deadlines()
    page = browser(f.support_manager()).get("/complaints/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="complaint-on-time"' in html
    assert "50% <span class=\"muted\">(1/2)</span>" in html  # sorting: one on time, one breached
    assert late.number in html  # listed among the breaches
    assert browser(f.room_engineer()).get("/complaints/dashboard/").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_customers_dissatisfaction_is_recorded_on_the_page_and_reopens():
    """R-CMP-LOOP: after the reply the page offers the customer's reaction; dissatisfied reopens."""
    c = receive(f.CustomerFactory())
    t.sort(complaint_id=c.pk, by=None, route_to="datacom")
    t.analyse(complaint_id=c.pk, by=None, finding="optimisation")
    t.handle(complaint_id=c.pk, by=None)
    t.reply(complaint_id=c.pk, by=None, text="已处理")
    engineer = browser(f.support_engineer())
    assert 'id="action-reaction"' in engineer.get(f"/complaints/{c.pk}/").content.decode()
    assert engineer.post(f"/complaints/{c.pk}/reaction/", {"customer_reaction": "dissatisfied"}).status_code == 302
    c.refresh_from_db()
    assert c.stage == "sorted" and c.round == 2


@time_machine.travel(NOW, tick=False)
def test_the_monitoring_console_shows_the_complaints_waiting():
    """R-CMP-FLOW: monitoring sees open and overdue complaints beside its fault queue."""
    late = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 8, 0))  # sorting due 10:00
    html = browser(f.monitoring_operator()).get("/console/").content.decode()
    assert 'id="complaints-console"' in html and late.number in html
    assert "超时 1 件" in html
