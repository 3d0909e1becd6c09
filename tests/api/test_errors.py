"""One error body across the API; never HTML, never a traceback."""
import pytest
from rest_framework.test import APIClient

from supportdesk.core import errors
from supportdesk.core.api.exceptions import to_api_exception
from tests.api.conftest import noc_client

pytestmark = pytest.mark.django_db

SHAPE = {"type", "errors"}
ITEM = {"code", "detail", "attr"}


def _is_api_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE and body["errors"] and all(set(e) == ITEM for e in body["errors"])
    assert "Traceback" not in response.content.decode() and "<html" not in response.content.decode().lower()
    return body


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/api/v1/tickets/abc/", "/api/elsewhere"])
def test_an_unknown_api_path_is_a_json_404(path):
    body = _is_api_error(APIClient().get(path), 404)
    assert body["errors"][0]["code"] == "not_found"


def test_an_unknown_api_path_is_json_even_in_debug(settings):
    settings.DEBUG = True
    _is_api_error(APIClient().get("/api/v1/nowhere/"), 404)


def test_a_wrong_method_is_a_json_405():
    body = _is_api_error(noc_client().delete("/api/v1/alarms/"), 405)
    assert body["errors"][0]["code"] == "method_not_allowed"


def test_a_non_json_body_is_a_json_415():
    body = _is_api_error(noc_client().post("/api/v1/alarms/", {"alarm_id": "x"}), 415)
    assert body["errors"][0]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_a_json_500_without_a_traceback(monkeypatch, settings, debug):
    settings.DEBUG = debug

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("tickets.services.ingest_alarm", boom)
    api = noc_client()
    api.raise_request_exception = False
    response = api.post("/api/v1/alarms/", {
        "alarm_id": "A", "category": "other", "severity": "minor", "outage": "none", "circuit_id": "C",
        "title": "t", "raised_at": "2026-11-24T08:00:00+08:00"}, format="json")
    body = _is_api_error(response, 500)
    assert body["type"] == "server_error"
    assert "secret internals" not in response.content.decode()


def test_a_crash_outside_a_drf_view_under_api_is_json(monkeypatch):
    from django.test import RequestFactory

    from supportdesk.core.api.middleware import ApiJsonErrorsMiddleware

    middleware = ApiJsonErrorsMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/api/v1/x/"), RuntimeError("internals"))
    assert response.status_code == 500 and b"internals" not in response.content
    assert middleware.process_exception(RequestFactory().get("/tickets/"), RuntimeError("x")) is None


@pytest.mark.parametrize("error, status, code", [
    (errors.ValidationFailed("note: required", field_errors={"note": ["required"]}), 400, "invalid"),
    (errors.NotPermitted("no"), 403, "permission_denied"),
    (errors.NotFound("gone"), 404, "not_found"),
    (errors.TransitionNotAllowed("cannot accept: it is closed"), 409, "transition_not_allowed"),
    (errors.Conflict("changed under you"), 409, "conflict"),
])
def test_domain_errors_keep_their_status_and_code(error, status, code):
    converted = to_api_exception(error)
    assert converted.status_code == status
    assert code in str(converted.get_codes())


def test_a_domain_validation_error_without_fields_is_a_non_field_error():
    converted = to_api_exception(errors.ValidationFailed("something is off"))
    assert converted.status_code == 400
    assert converted.detail[0] == "something is off"
