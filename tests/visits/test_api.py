from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from visits.models import DocumentTemplate, Visit

from .helpers import call, plan

# Dates ("today", due dates, day boundaries) are read from a frozen afternoon clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

URL = "/api/v1/visits/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def eng():
    return f.support_engineer()


@pytest.fixture
def api(eng):
    return client_for(eng)


def test_list_and_detail(api, eng, django_assert_max_num_queries):
    visits = [plan(by=eng) for _ in range(3)]
    with django_assert_max_num_queries(8):
        response = api.get(URL)
    assert response.status_code == 200
    assert {v["number"] for v in response.json()["results"]} == {v.number for v in visits}
    detail = api.get(f"{URL}{visits[0].pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["state"] == "planned" and body["customer"]["code"] == visits[0].customer.code
    assert body["calls"] == [] and body["events"][0]["kind"] == "created"


def test_list_filters_by_state_and_upcoming(api, eng):
    done = plan(by=eng)
    call(done, eng)
    from visits import services

    services.complete_visit(visit_id=done.pk, by=eng)
    upcoming = plan(by=eng)
    assert [v["id"] for v in api.get(URL, {"state": "done"}).json()["results"]] == [done.pk]
    assert [v["id"] for v in api.get(URL, {"upcoming": "true"}).json()["results"]] == [upcoming.pk]


def test_create_and_update(api, eng):
    customer = f.CustomerFactory()
    colleague = f.room_engineer("datacom")
    planned = (timezone.now() + timedelta(days=3)).isoformat()
    response = api.post(URL, {
        "customer": customer.pk, "kind": "technical_exchange", "planned_at": planned, "place": "客户总部",
        "participants": [{"user": colleague.pk}], "customer_participants": [{"name": "王主任", "title": "主任"}],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == eng.pk
    assert body["participants"][0]["kind"] == "virtual_team"
    assert body["customer_participants"][0]["name"] == "王主任"
    response = api.patch(f"{URL}{body['id']}/", {"place": "客户分部", "subject": "SD-WAN 交流"}, format="json")
    assert response.status_code == 200
    assert response.json()["place"] == "客户分部"
    response = api.put(f"{URL}{body['id']}/", {"notes": "带上方案"}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "带上方案"


def test_bad_input_is_400_and_stores_nothing(api):
    response = api.post(URL, {"customer": 999999, "kind": "party"}, format="json")
    assert response.status_code == 400
    response = api.post(URL, {"customer": 999999, "kind": "technical_exchange",
                              "planned_at": timezone.now().isoformat()}, format="json")
    assert response.status_code == 400
    assert "customer" in response.content.decode()
    assert not Visit.objects.exists()


def test_vendor_without_lead_is_400(api, eng):
    """R-VISIT-2 through the API."""
    visit = plan(by=eng)
    response = api.post(f"{URL}{visit.pk}/participants/", {"user": f.vendor_engineer().pk}, format="json")
    assert response.status_code == 400
    assert "R-VISIT-2" in response.content.decode()


def test_a_role_without_the_permission_gets_403():
    visit = plan()
    operator = client_for(f.monitoring_operator())
    assert operator.get(URL).status_code == 403
    assert operator.get(f"{URL}{visit.pk}/").status_code == 403
    leader = client_for(f.centre_leader())
    assert leader.get(URL).status_code == 200  # leaders read
    response = leader.post(URL, {"customer": visit.customer_id, "kind": "technical_exchange",
                                 "planned_at": timezone.now().isoformat()}, format="json")
    assert response.status_code == 403
    assert leader.patch(f"{URL}{visit.pk}/", {"place": "x"}, format="json").status_code == 403


def test_anonymous_is_refused():
    assert APIClient().get(URL).status_code in (401, 403)


def test_complete_without_the_call_is_400_then_confirm_and_complete(api, eng):
    """R-VISIT-1 through the API."""
    visit = plan(by=eng)
    response = api.post(f"{URL}{visit.pk}/complete/", {}, format="json")
    assert response.status_code == 400 and "R-VISIT-1" in response.content.decode()
    response = api.post(f"{URL}{visit.pk}/confirm/", {
        "callee_name": "张工", "callee_phone": "13900000000", "confirmed_time": visit.planned_at.isoformat(),
        "confirmed_place": "机房", "confirmed_participants": "我方 2 人", "contact_left": "李工 13800000000",
    }, format="json")
    assert response.status_code == 200 and response.json()["state"] == "confirmed"
    assert response.json()["calls"][0]["callee_name"] == "张工"
    response = api.post(f"{URL}{visit.pk}/complete/", {"summary": "顺利"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "done"
    response = api.post(f"{URL}{visit.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 409


def test_problems_endpoint_and_the_ticket_action(api, eng):
    """R-VISIT-3 through the API: the problem turns into a ticket, linked both ways."""
    visit = plan(by=eng, customer=f.CustomerFactory(tier="gold"))
    url = f"{URL}{visit.pk}/problems/"
    assert api.post(url, {"description": "丢包"}, format="json").status_code == 400
    response = api.post(url, {"description": "丢包", "owner": eng.pk,
                              "due_date": (timezone.localdate() + timedelta(days=3)).isoformat()}, format="json")
    assert response.status_code == 201
    problem_id = response.json()["id"]
    listed = api.get(url).json()
    assert [p["id"] for p in listed] == [problem_id]
    response = api.post(f"{url}{problem_id}/ticket/", {"category": "datacom"}, format="json")
    assert response.status_code == 201
    number = response.json()["ticket"]["number"]
    from tickets.models import FaultTicket

    assert FaultTicket.objects.get(number=number).visit_problems.get().pk == problem_id
    assert api.post(f"{url}{problem_id}/ticket/", {}, format="json").status_code == 409
    response = api.post(f"{url}{problem_id}/follow-up/", {"note": "已派单", "close": True}, format="json")
    assert response.status_code == 200 and response.json()["closed_at"]


def test_documents_endpoint_review_and_send(api, eng):
    """R-VISIT-4 through the API: no send before the review; the author cannot review."""
    reviewer = f.support_manager()
    visit = plan(by=eng)
    template = DocumentTemplate.objects.filter(kind="report").first()
    url = f"{URL}{visit.pk}/documents/"
    response = api.post(url, {"kind": "report", "title": "总结报告", "template": template.pk,
                              "reviewers": [reviewer.pk]}, format="json")
    assert response.status_code == 201, response.content
    doc_id = response.json()["id"]
    assert api.get(url).json()[0]["state"] == "in_review"
    assert api.post(f"{url}{doc_id}/send/", {"notice": "邮件告知"}, format="json").status_code == 400
    assert api.post(f"{url}{doc_id}/review/", {"approve": True}, format="json").status_code == 403
    response = client_for(reviewer).post(f"{url}{doc_id}/review/", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    response = api.post(f"{url}{doc_id}/send/", {"notice": "邮件告知张工"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "sent"
    response = api.post(f"{url}{doc_id}/received/", {"notice": "张工回电确认"}, format="json")
    assert response.status_code == 200 and response.json()["received_notice"] == "张工回电确认"


def test_visits_are_in_the_openapi_schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/v1/visits/" in text
    assert "/api/v1/visits/{id}/documents/{document_id}/review/" in text
    if paths is not None:
        assert "post" in paths["/api/v1/visits/{id}/problems/"]


# --------------------------------------------------------------------------- token scopes
VISIT_WRITES = [
    ("post", lambda v: URL),
    ("patch", lambda v: f"{URL}{v.pk}/"),
    ("put", lambda v: f"{URL}{v.pk}/"),
    ("post", lambda v: f"{URL}{v.pk}/confirm/"),
    ("post", lambda v: f"{URL}{v.pk}/cancel/"),
    ("post", lambda v: f"{URL}{v.pk}/problems/"),
    ("post", lambda v: f"{URL}{v.pk}/documents/"),
]


def _token(scopes, acting_user=None) -> APIClient:
    from staff.models import ApiClient
    from staff.tokens import issue_client

    client, token = issue_client(name=f"gw-{'-'.join(scopes) or 'none'}", acting_user=acting_user)
    ApiClient.objects.filter(pk=client.pk).update(scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.mark.parametrize("method, url", VISIT_WRITES)
def test_a_tickets_token_neither_creates_nor_changes_visits(method, url, eng):
    """Even acting for a support engineer, a token without ``visits:write`` is refused every visit write."""
    visit = plan(by=eng)
    api = _token(["alarms:write", "tickets:read", "tickets:transition", "visits:read"], acting_user=eng)
    response = getattr(api, method)(url(visit), {}, format="json")
    assert response.status_code == 403, response.content
    assert "visits:write" in response.json()["errors"][0]["detail"]


def test_a_tickets_token_does_not_read_visits(eng):
    visit = plan(by=eng)
    api = _token(["alarms:write", "tickets:read"], acting_user=eng)
    assert api.get(URL).status_code == 403
    assert api.get(f"{URL}{visit.pk}/").status_code == 403


def test_visits_scopes_let_a_token_read_and_write_as_its_acting_user(eng):
    visit = plan(by=eng)
    api = _token(["visits:read", "visits:write"], acting_user=eng)
    assert api.get(f"{URL}{visit.pk}/").status_code == 200
    response = api.patch(f"{URL}{visit.pk}/", {"place": "客户分部"}, format="json")
    assert response.status_code == 200 and response.json()["place"] == "客户分部"
