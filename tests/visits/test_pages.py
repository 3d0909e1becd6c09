from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from supportdesk.core import hooks
from tests import factories as f
from visits import services
from visits.choices import VisitKind, VisitState
from visits.models import DocumentTemplate, Visit

from .helpers import call, plan

# Dates ("today", due dates, day boundaries) are read from a frozen afternoon clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def eng():
    return f.support_engineer()


@pytest.fixture
def web(client, eng):
    client.force_login(eng)
    return client


def test_agenda_shows_upcoming_visits_by_day(web, eng):
    soon = plan(by=eng, planned_at=timezone.now() + timedelta(days=1))
    later = plan(by=eng, planned_at=timezone.now() + timedelta(days=3))
    far = plan(by=eng, planned_at=timezone.now() + timedelta(days=40))
    response = web.get("/visits/agenda/")
    assert response.status_code == 200
    html = response.content.decode()
    assert soon.customer.name in html and later.customer.name in html and far.customer.name not in html
    assert len(response.context["days"]) == 2
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html  # phone layout


def test_list_coverage_and_create_pages_render(web, eng):
    plan(by=eng)
    for url in ("/visits/", "/visits/coverage/", "/visits/new/", "/visits/?state=planned&mine=1"):
        assert web.get(url).status_code == 200, url


def test_detail_page_renders_every_section(web, eng):
    visit = plan(by=eng, kind=VisitKind.ROUTINE_INSPECTION)
    call(visit, eng)
    services.add_problem(visit_id=visit.pk, by=eng, description="端口光功率偏低", owner_id=eng.pk,
                         due_date=timezone.localdate() + timedelta(days=2))
    services.create_document(visit_id=visit.pk, by=eng, kind="report", title="巡检报告",
                             template_id=DocumentTemplate.objects.filter(kind="report").first().pk,
                             reviewer_ids=[f.support_manager().pk])
    response = web.get(f"/visits/{visit.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("端口光功率偏低", "巡检报告", "张工", visit.number, "result_"):
        assert text in html
    assert web.get(f"/visits/{visit.pk}/edit/").status_code == 200


def test_planning_a_visit_through_the_page(web, eng):
    customer = f.CustomerFactory()
    when = timezone.localtime() + timedelta(days=2)
    response = web.post("/visits/new/", {
        "customer": customer.pk, "kind": "technical_exchange", "planned_at": when.strftime("%Y-%m-%dT%H:%M"),
        "place": "客户总部",
    })
    visit = Visit.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == f"/visits/{visit.pk}/"
    assert visit.owner == eng


def test_completing_without_the_call_is_refused_on_the_page(web, eng):
    """R-VISIT-1 on the page: the refusal is shown and nothing changes."""
    visit = plan(by=eng)
    response = web.post(f"/visits/{visit.pk}/do/complete/", {
        "actual_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert "R-VISIT-1" in response.content.decode()
    visit.refresh_from_db()
    assert visit.state == VisitState.PLANNED


def test_confirming_and_recording_a_problem_through_the_page(web, eng):
    visit = plan(by=eng)
    when = timezone.localtime(visit.planned_at).strftime("%Y-%m-%dT%H:%M")
    response = web.post(f"/visits/{visit.pk}/do/confirm/", {
        "direction": "outgoing", "callee_name": "张工", "callee_phone": "13900000000",
        "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "confirmed_time": when,
        "confirmed_place": "机房", "confirmed_participants": "我方 2 人", "contact_left": "李工 13800000000",
    })
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.state == VisitState.CONFIRMED
    response = web.post(f"/visits/{visit.pk}/do/problem/", {"description": "丢包", "solved_on_site": "on"})
    assert response.status_code == 302
    problem = visit.problems.get()
    response = web.post(f"/visits/problems/{problem.pk}/ticket/", {
        "category": "other", "severity": "major", "outage": "partial"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.ticket is not None


def test_a_role_without_visit_permission_gets_403(client):
    client.force_login(f.monitoring_operator())
    assert client.get("/visits/agenda/").status_code == 403
    assert client.get("/visits/new/").status_code == 403


def test_a_centre_leader_reads_but_cannot_plan(client):
    client.force_login(f.centre_leader())
    assert client.get("/visits/coverage/").status_code == 200
    assert client.get("/visits/new/").status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/visits/agenda/")
    assert response.status_code == 302 and "login" in response.url


def test_dashboard_panel_shows_overdue_customers_and_follow_ups(eng):
    overdue_customer = f.CustomerFactory(tier="diamond")
    type(overdue_customer).objects.filter(pk=overdue_customer.pk).update(
        created_at=timezone.now() - timedelta(days=90))
    visit = plan(by=eng)
    problem = services.add_problem(visit_id=visit.pk, by=eng, description="备件未到", owner_id=eng.pk,
                                   due_date=timezone.localdate())
    type(problem).objects.filter(pk=problem.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    request = RequestFactory().get("/dashboard/")
    request.user = f.support_manager()
    panel = next(p for p in hooks.dashboard_panels() if p.key == "visits")
    html = render_to_string(panel.template, panel.render_context(request), request=request)
    assert overdue_customer.name in html
    assert "备件未到" in html


def test_admin_lists_every_visits_model(client):
    from django.apps import apps

    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    visit = plan()
    for model in apps.get_app_config("visits").get_models():
        url = f"/admin/visits/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/visits/visit/{visit.pk}/change/").status_code == 200
    assert client.get("/admin/visits/visitpolicy/").content.decode().count("diamond") >= 0
