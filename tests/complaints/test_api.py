"""The complaints REST API (CONTRACT.md "Complaints"): R-CMP-FLOW over HTTP."""
import pytest
import time_machine

from complaints.models import Complaint
from tests import factories as f
from tests.api.conftest import noc_client, person_client

from .conftest import at, complaint_body

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 24, 10, 30)


@pytest.fixture
def writer(db):
    return noc_client("kf-system", scopes=["complaints:write", "complaints:read"])


@pytest.fixture
def circuit(db):
    return f.CircuitFactory(customer__tier="gold", customer__code="SZ-GOV-001", circuit_id="SZ-DL-0001")


def _t(client, pk, name, **body):
    return client.post(f"/api/v1/complaints/{pk}/transitions/{name}/", body, format="json")


@time_machine.travel(NOW, tick=False)
def test_a_complaint_posted_over_the_api_walks_every_stage_to_closed(writer, circuit):
    """R-CMP-FLOW / R-CMP-LOOP: received → sorted → analysed → handled → replied → closed over HTTP."""
    r = writer.post("/api/v1/complaints/", complaint_body("SZ-GOV-001", "SZ-DL-0001",
                                                          complaint_id="KF-2026-004711"), format="json")
    assert r.status_code == 201, r.content
    c = r.json()["complaint"]
    assert r.json()["created"] is True
    assert c["stage"] == "received" and c["importance"] == "important"  # gold customer
    assert c["customer"] == {"code": "SZ-GOV-001", "name": circuit.customer.name, "tier": "gold"}
    assert c["circuit_id"] == "SZ-DL-0001" and c["routed_to"] is None and c["finding"] is None
    assert {d["stage"] for d in c["deadlines"]} == {"sorting", "total"}
    pk = c["id"]
    steps = [
        ("sort", {"route_to": "datacom"}, "sorted"),
        ("analyse", {"finding": "optimisation", "note": "拥塞", "other_department": False}, "analysed"),
        ("handle", {"note": "扩容完成"}, "handled"),
        ("reply", {"text": "已扩容，请复测", "customer_reaction": "satisfied"}, "replied"),
        ("close", {}, "closed"),
    ]
    for name, body, stage in steps:
        r = _t(writer, pk, name, **body)
        assert r.status_code == 200, (name, r.content)
        assert r.json()["stage"] == stage
    body = writer.get(f"/api/v1/complaints/{pk}/").json()
    assert body["routed_to"] == "datacom" and body["finding"] == "optimisation"
    assert [e["transition"] for e in body["events"]] == ["received", "sort", "analyse", "handle", "reply", "close"]
    assert body["events"][1] | {"at": None} == {"at": None, "actor": "api:kf-system", "transition": "sort",
                                                "from_stage": "received", "to_stage": "sorted", "note": body["events"][1]["note"]}
    assert body["replies"][0]["text"] == "已扩容，请复测" and body["replies"][0]["customer_reaction"] == "satisfied"
    assert all(d["met_at"] for d in body["deadlines"])
    assert {d["stage"] for d in body["deadlines"]} == {"sorting", "analysis", "handling", "total"}


@time_machine.travel(NOW, tick=False)
def test_posting_the_same_complaint_id_again_answers_200_with_the_same_complaint(writer, circuit):
    """R-CMP-FLOW: idempotent on complaint_id."""
    body = complaint_body("SZ-GOV-001", "SZ-DL-0001")
    first = writer.post("/api/v1/complaints/", body, format="json")
    again = writer.post("/api/v1/complaints/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False and again.json()["complaint"]["id"] == first.json()["complaint"]["id"]
    assert Complaint.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_invalid_body_is_400_per_field_and_stores_nothing(writer, circuit):
    """R-CMP-FLOW: a complaint always names a known customer; bad fields are named."""
    r = writer.post("/api/v1/complaints/", complaint_body("NOPE", category="bad", received_at="2026-11-24T10:00"),
                    format="json")
    assert r.status_code == 400
    text = r.content.decode()
    assert "category" in text and "received_at" in text
    r = writer.post("/api/v1/complaints/", complaint_body("NOPE"), format="json")
    assert r.status_code == 400 and "customer_code" in r.content.decode()
    r = writer.post("/api/v1/complaints/", complaint_body("SZ-GOV-001", "SZ-XX-404"), format="json")
    assert r.status_code == 400 and "circuit_id" in r.content.decode()
    assert Complaint.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_wrong_stage_is_409_missing_field_400_and_stale_version_409(writer, circuit):
    """R-CMP-FLOW: transitions answer like the ticket transitions."""
    pk = writer.post("/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json").json()["complaint"]["id"]
    assert _t(writer, pk, "close").status_code == 409
    assert _t(writer, pk, "sort").status_code == 400  # route_to missing
    assert _t(writer, pk, "sort", route_to="transport", version=7).status_code == 409
    assert _t(writer, pk, "fly").status_code == 404
    assert Complaint.objects.get(pk=pk).stage == "received"


@time_machine.travel(NOW, tick=False)
def test_scopes_and_people_permissions(circuit):
    """Clients need complaints:write / complaints:read; a vendor engineer may not read complaints."""
    plain = noc_client("nms-plain")
    assert plain.post("/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json").status_code == 403
    assert plain.get("/api/v1/complaints/").status_code == 403
    reader = noc_client("kf-reader", scopes=["complaints:read"])
    assert reader.get("/api/v1/complaints/").status_code == 200
    assert reader.post("/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json").status_code == 403
    assert person_client(f.vendor_engineer()).get("/api/v1/complaints/").status_code == 403
    assert person_client(f.support_engineer()).get("/api/v1/complaints/").status_code == 200
    engineer = person_client(f.room_engineer())
    pk = noc_client("kf-w", scopes=["complaints:write"]).post(
        "/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json").json()["complaint"]["id"]
    assert _t(engineer, pk, "sort", route_to="transport").status_code == 403  # room engineers do not sort


@time_machine.travel(NOW, tick=False)
def test_list_filters(writer, circuit):
    """CONTRACT: filters stage, importance, customer, overdue, repeat."""
    writer.post("/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json")
    general = f.CustomerFactory(tier="normal", code="SZ-SHOP-9")
    writer.post("/api/v1/complaints/", complaint_body("SZ-SHOP-9"), format="json")
    rows = writer.get("/api/v1/complaints/").json()["results"]
    assert [r["importance"] for r in rows] == ["important", "general"]
    assert writer.get("/api/v1/complaints/?importance=general").json()["count"] == 1
    assert writer.get(f"/api/v1/complaints/?customer={general.code}").json()["count"] == 1
    assert writer.get("/api/v1/complaints/?stage=received").json()["count"] == 2
    assert writer.get("/api/v1/complaints/?repeat=true").json()["count"] == 0
    assert writer.get("/api/v1/complaints/?overdue=true").json()["count"] == 0
    with time_machine.travel(at(2026, 11, 24, 12, 10), tick=False):  # the important one's 2 h sorting is past
        assert writer.get("/api/v1/complaints/?overdue=true").json()["count"] == 1


@time_machine.travel(NOW, tick=False)
def test_issue_noc_token_grants_the_complaint_scopes(circuit, capsys):
    """CONTRACT: `issue_noc_token NAME --scope complaints:write --scope complaints:read`."""
    from django.core.management import call_command

    from tests.api.conftest import token_client

    call_command("issue_noc_token", "kf-cli", scope=["complaints:write", "complaints:read"])
    out = capsys.readouterr().out.strip().splitlines()
    assert "complaints:write" in out[0] and "complaints:read" in out[0]
    client = token_client(out[-1])
    assert client.post("/api/v1/complaints/", complaint_body("SZ-GOV-001"), format="json").status_code == 201
