"""GET /api/schema/ (OpenAPI 3) describes every endpoint; /api/docs/ renders from local assets; schemathesis."""
import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from tickets.api import urls as api_urls

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema_doc(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json() if response["Content-Type"].endswith("json") else yaml.safe_load(response.content)


def _contract_paths():
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern) and not isinstance(pattern, URLResolver)
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)).replace("{pk}", "{id}")
        yield "/api/v1/" + route


def test_the_schema_is_a_valid_openapi_3_document(schema_doc):
    from drf_spectacular.validation import validate_schema

    assert schema_doc["openapi"].startswith("3.")
    validate_schema(schema_doc)  # raises on any deviation from the OpenAPI 3 JSON schema


def test_every_endpoint_is_described_with_its_bodies_and_errors(schema_doc):
    paths = schema_doc["paths"]
    for path in _contract_paths():
        assert path in paths, path
        for method, operation in paths[path].items():
            responses = operation["responses"]
            assert {"401", "403", "405", "500"} <= set(responses), (path, method)
            assert any(code.startswith("2") for code in responses)
            if method == "post":
                assert "requestBody" in operation or "release" in path, (path, method)
                assert "400" in responses or "release" in path, (path, method)
    transition = paths["/api/v1/tickets/{id}/transitions/{name}/"]["post"]
    assert "409" in transition["responses"]
    name = next(p for p in transition["parameters"] if p["name"] == "name")
    assert set(name["schema"]["enum"]) == {"dispatch", "accept", "start_joint", "restore", "resolve", "close",
                                           "cancel", "reopen", "refail"}
    alarms = paths["/api/v1/alarms/"]["post"]["responses"]
    assert {"200", "201", "400"} <= set(alarms)


def test_the_schema_declares_the_token_security_scheme(schema_doc):
    schemes = schema_doc["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization", "description": schemes["tokenAuth"]["description"],
    }
    assert {"tokenAuth": []} in schema_doc["paths"]["/api/v1/alarms/"]["post"]["security"]


def test_the_ticket_schema_names_the_contract_fields(schema_doc):
    ticket = schema_doc["components"]["schemas"]["TicketOut"]["properties"]
    for field in ("id", "number", "state", "customer", "circuit_id", "needs_triage", "lead_room", "occurred_at",
                  "dispatched_at", "joint_started_at", "restored_at", "resolved_at", "closed_at", "deadlines",
                  "escalations", "broadcasts", "arrivals", "events"):
        assert field in ticket, field


def test_the_docs_page_renders_from_local_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert not re.search(r"cdn|unpkg|jsdelivr|cdnjs", html, re.IGNORECASE)


def test_an_error_on_an_item_of_a_nested_list_matches_the_schema(schema_doc):
    """The answer names the item by its number (``customer_participants.38.name``): no error component may list
    ``.INDEX.`` as a literal value, which no answer could match; a pattern takes the number instead."""
    components = schema_doc["components"]["schemas"]
    literal = [name for name, c in components.items()
               if any(".INDEX." in v for v in (c.get("properties", {}).get("attr") or {}).get("enum") or [])]
    assert literal == []
    attr = components["V1VisitsCreateCustomerParticipantsINDEXNameErrorComponent"]["properties"]["attr"]
    assert re.match(attr["pattern"], "customer_participants.38.name")
    assert not re.match(attr["pattern"], "customer_participants.INDEX.name")
