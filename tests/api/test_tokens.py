"""``issue_noc_token`` (CONTRACT.md) and API clients in the admin."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from staff.models import ApiClient
from staff.tokens import ensure_demo_client
from tests import factories as f
from tests.api.conftest import MODEL_BACKEND, alarm_body, token_client

pytestmark = pytest.mark.django_db


def issue(*args) -> tuple[str, str]:
    out = StringIO()
    call_command("issue_noc_token", *args, stdout=out)
    text = out.getvalue()
    return text, text.rstrip("\n").splitlines()[-1]


def test_the_token_is_alone_on_the_last_line_and_posts_alarms_and_reads_tickets():
    text, token = issue("nms-shenzhen")
    assert token.strip() == token and " " not in token and len(token) >= 40
    client = ApiClient.objects.get(name="nms-shenzhen")
    assert client.scopes == ["alarms:write", "tickets:read"]
    assert token not in (client.key_hash, client.key_prefix)
    api = token_client(token)
    circuit = f.CircuitFactory()
    assert api.post("/api/v1/alarms/", alarm_body(circuit.circuit_id), format="json").status_code == 201
    assert api.get("/api/v1/tickets/").status_code == 200
    ticket = api.get("/api/v1/tickets/").json()["results"][0]
    refused = api.post(f"/api/v1/tickets/{ticket['id']}/transitions/accept/", {}, format="json")
    assert refused.status_code == 403


def test_scope_adds_to_the_defaults():
    issue("nms-2", "--scope", "tickets:transition", "--scope", "phone:write")
    assert ApiClient.objects.get(name="nms-2").scopes == ["alarms:write", "tickets:read", "tickets:transition",
                                                          "phone:write"]


def test_an_unknown_scope_is_refused():
    with pytest.raises(CommandError):
        issue("nms-3", "--scope", "everything")
    assert not ApiClient.objects.exists()


def call_command_output(*args) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("issue_noc_token", *args, stdout=out)
    return out.getvalue()


def test_a_name_is_issued_once_unless_rotated():
    _, first = issue("nms-4")
    again = call_command_output("nms-4")  # run again: no new token, a hint how to get one
    assert "--rotate" in again and first not in again
    assert token_client(first).get("/api/v1/tickets/").status_code == 200
    _, second = issue("nms-4", "--rotate")
    assert second != first
    assert token_client(first).get("/api/v1/tickets/").status_code == 401
    assert token_client(second).get("/api/v1/tickets/").status_code == 200


def test_acting_user_must_exist():
    with pytest.raises(CommandError):
        issue("nms-5", "--acting-user", "ghost")
    operator = f.monitoring_operator()
    issue("nms-5", "--acting-user", operator.username)
    assert ApiClient.objects.get(name="nms-5").acting_user == operator


def test_the_demo_client_keeps_one_working_token_across_runs(settings):
    """seed_demo is idempotent: the demo token is derived from SECRET_KEY, the same every run."""
    first = ensure_demo_client().rsplit(" ", 1)[-1]
    second = ensure_demo_client().rsplit(" ", 1)[-1]
    assert first == second
    assert ApiClient.objects.filter(name="noc-demo").count() == 1
    assert token_client(second).get("/api/v1/tickets/").status_code == 200
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    third = ensure_demo_client().rsplit(" ", 1)[-1]
    assert third != first
    assert token_client(first).get("/api/v1/tickets/").status_code == 401
    assert token_client(third).get("/api/v1/tickets/").status_code == 200


# --------------------------------------------------------------------------- admin
@pytest.fixture
def admin_browser(client):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin, backend=MODEL_BACKEND)
    return client


def test_the_admin_lists_and_creates_clients_showing_the_token_once(admin_browser):
    assert admin_browser.get("/admin/staff/apiclient/").status_code == 200
    assert admin_browser.get("/admin/staff/apiclient/add/").status_code == 200
    response = admin_browser.post("/admin/staff/apiclient/add/", {
        "name": "nms-admin", "scopes": ["alarms:write", "tickets:read"], "active": "on",
    }, follow=True)
    assert response.status_code == 200
    client = ApiClient.objects.get(name="nms-admin")
    shown = [str(m) for m in response.context["messages"]]
    token = next(m for m in shown if "nms-admin" in m).rsplit("：", 1)[-1]
    assert ApiClient.hash_key(token) == client.key_hash
    assert token_client(token).get("/api/v1/tickets/").status_code == 200


def test_revoking_in_the_admin_stops_the_token(admin_browser):
    _, token = issue("nms-revoke")
    client = ApiClient.objects.get(name="nms-revoke")
    admin_browser.post("/admin/staff/apiclient/", {"action": "revoke", "_selected_action": [client.pk]})
    client.refresh_from_db()
    assert client.active is False
    assert token_client(token).get("/api/v1/tickets/").status_code == 401
