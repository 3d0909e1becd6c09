"""Who is calling: client tokens (Token / Bearer), staff sessions with CSRF, nobody (401)."""
import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from staff.models import ApiClient
from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import MODEL_BACKEND, alarm_body, token_client

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token", "bearer"])
def test_a_client_token_is_accepted_as_token_or_bearer(keyword):
    _, token = issue_client(name="nms")
    assert token_client(token, keyword).get(TICKETS).status_code == 200


def test_only_a_hash_and_a_prefix_of_the_token_are_stored():
    client, token = issue_client(name="nms")
    client.refresh_from_db()
    assert token not in (client.key_hash, client.key_prefix)
    assert client.key_hash == ApiClient.hash_key(token)
    assert token.startswith(client.key_prefix)


def test_no_credentials_is_401_with_a_challenge():
    response = APIClient().get(TICKETS)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Bearer " + "x" * 300])
def test_a_wrong_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(TICKETS)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_a_revoked_token_is_401():
    client, token = issue_client(name="nms")
    client.active = False
    client.save()
    assert token_client(token).get(TICKETS).status_code == 401


def test_a_rotated_token_replaces_the_old_one():
    _, old = issue_client(name="nms")
    _, new = issue_client(name="nms", rotate=True)
    assert token_client(old).get(TICKETS).status_code == 401
    assert token_client(new).get(TICKETS).status_code == 200


def test_use_is_recorded_at_most_once_a_minute():
    client, token = issue_client(name="nms")
    api = token_client(token)
    api.get(TICKETS)
    client.refresh_from_db()
    first = client.last_used_at
    assert first is not None and (timezone.now() - first).total_seconds() < 5
    api.get(TICKETS)
    client.refresh_from_db()
    assert client.last_used_at == first


def test_a_token_without_the_scope_is_403():
    client, token = issue_client(name="nms")
    client.scopes = ["alarms:write"]
    client.save()
    response = token_client(token).get(TICKETS)
    assert response.status_code == 403
    assert "tickets:read" in response.json()["errors"][0]["detail"]


def test_staff_use_their_session_and_unsafe_calls_need_the_csrf_token():
    circuit = f.CircuitFactory()
    operator = f.monitoring_operator()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(operator, backend=MODEL_BACKEND)
    assert browser.get(TICKETS).status_code == 200
    refused = browser.post("/api/v1/alarms/", alarm_body(circuit.circuit_id), format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["detail"]
    request = RequestFactory().get("/")
    header_token = get_token(request)
    browser.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    accepted = browser.post("/api/v1/alarms/", alarm_body(circuit.circuit_id), format="json",
                            HTTP_X_CSRFTOKEN=header_token)
    assert accepted.status_code == 201


def test_a_person_without_the_view_permission_cannot_read_tickets():
    nobody = f.UserFactory()
    client = APIClient()
    client.force_login(nobody, backend=MODEL_BACKEND)
    assert client.get(TICKETS).status_code == 403
