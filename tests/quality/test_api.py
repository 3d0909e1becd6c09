"""The quality REST API (CONTRACT.md "Service quality"): samples, series, warnings, dial tests."""
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quality.models import Sample
from quality.services import evaluate
from tests import factories as f
from tests.api.conftest import noc_client

from .helpers import samples

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
URL = "/api/v1/quality/samples/"


@time_machine.travel(NOW, tick=False)
def test_samples_need_the_quality_write_scope():
    """R-QUAL-SERIES: a NOC token without `quality:write` may not post samples."""
    circuit = f.CircuitFactory()
    body = {"samples": samples(circuit.circuit_id, "latency_ms", START, [1.0])}
    assert noc_client("plain").post(URL, body, format="json").status_code == 403
    assert noc_client("probe", scopes=["quality:write"]).post(URL, body, format="json").status_code == 202


@time_machine.travel(NOW, tick=False)
def test_samples_partial_acceptance_and_duplicates_over_the_api():
    """R-QUAL-SERIES: 202 {accepted, duplicates, rejected[{index, errors}]}; the good samples are kept."""
    circuit = f.CircuitFactory()
    client = noc_client("probe", scopes=["quality:write"])
    good = samples(circuit.circuit_id, "latency_ms", START, [10.0, 11.0, 12.0])
    body = {"samples": good + [{"circuit_id": circuit.circuit_id, "indicator": "latency_ms", "at": "nope",
                                "value": 1}]}
    response = client.post(URL, body, format="json")
    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "duplicates": 0,
                               "rejected": [{"index": 3, "errors": {"at": ["an ISO 8601 time with an offset is "
                                                                           "required"]}}]}
    again = client.post(URL, {"samples": good[:2]}, format="json").json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert Sample.objects.count() == 3


@time_machine.travel(NOW, tick=False)
def test_a_value_beyond_a_floats_range_is_named_and_the_others_are_kept():
    """R-QUAL-SERIES: an integer literal too large for a float (1 and 400 zeros) is a rejected sample naming
    ``value``, not a server error; the good samples of the batch are kept."""
    circuit = f.CircuitFactory()
    good = samples(circuit.circuit_id, "latency_ms", START, [10])[0]
    huge = {**good, "at": (START + timedelta(minutes=5)).isoformat()}
    body = json.dumps({"samples": [good, {**huge, "value": 0}]}).replace('"value": 0', '"value": 1' + "0" * 400)
    response = noc_client("probe", scopes=["quality:write"]).post(URL, body, content_type="application/json")
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0,
                               "rejected": [{"index": 1, "errors": {"value": ["a finite number is required"]}}]}
    assert Sample.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_more_than_ten_thousand_samples_is_a_400_and_stores_nothing():
    """R-QUAL-SERIES: at most 10,000 samples a request."""
    circuit = f.CircuitFactory()
    body = {"samples": samples(circuit.circuit_id, "latency_ms", START - timedelta(days=40), [1.0] * 10_001)}
    response = noc_client("probe", scopes=["quality:write"]).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "samples"
    assert not Sample.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_series_posted_is_read_back_at_each_granularity():
    """R-QUAL-SERIES: the series API answers the latest N intervals, or a range, per granularity."""
    circuit = f.CircuitFactory()
    client = noc_client("probe", scopes=["quality:write"])
    client.post(URL, {"samples": samples(circuit.circuit_id, "latency_ms", START, [10, 20, 30, 40, 50, 60])},
                format="json")
    evaluate()
    url = f"/api/v1/circuits/{circuit.circuit_id}/series/"
    five = client.get(url, {"indicator": "latency_ms", "latest": 4}).json()
    assert five["granularity"] == "5m" and [p["avg"] for p in five["points"]] == [30, 40, 50, 60]
    quarter = client.get(url, {"indicator": "latency_ms", "granularity": "15m"}).json()
    assert [(p["avg"], p["min"], p["max"], p["count"]) for p in quarter["points"]] == [(20, 10, 30, 3), (50, 40, 60, 3)]
    ranged = client.get(url, {"indicator": "latency_ms", "granularity": "5m", "from": "2026-11-30T08:10:00Z",
                              "to": "2026-11-30T08:20:00Z"}).json()
    assert [p["avg"] for p in ranged["points"]] == [30, 40]
    bad = client.get(url, {"indicator": "nope", "granularity": "2m"})
    assert bad.status_code == 400
    assert {e["attr"] for e in bad.json()["errors"]} == {"indicator", "granularity"}
    assert client.get("/api/v1/circuits/UNKNOWN/series/", {"indicator": "latency_ms"}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_warnings_api_lists_active_and_cleared_with_their_ticket():
    """R-QUAL-PROACTIVE: warnings show their kind, state, value, limit and ticket."""
    circuit = f.CircuitFactory(customer__tier="diamond")
    client = noc_client("probe", scopes=["quality:write"])
    client.post(URL, {"samples": samples(circuit.circuit_id, "loss_pct", START, [3.0] * 3)}, format="json")
    evaluate()
    rows = client.get("/api/v1/quality/warnings/", {"state": "active", "circuit_id": circuit.circuit_id}).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["state"], row["indicator"], row["value"], row["limit_or_baseline"]) == (
        "threshold", "active", "loss_pct", 3.0, 1.0)
    assert row["ticket"]["number"].startswith("FT")
    assert client.get("/api/v1/quality/warnings/", {"state": "cleared"}).json() == []
    assert client.get("/api/v1/quality/warnings/", {"state": "bogus"}).status_code == 400


def test_dial_test_without_a_prober_is_503(settings):
    """R-QUAL-DIAL: with no exporter configured the API says so (and pages show "no prober configured")."""
    settings.BLACKBOX_EXPORTER_URL = ""
    circuit = f.CircuitFactory()
    client = noc_client("probe", scopes=["quality:write"])
    response = client.post(f"/api/v1/circuits/{circuit.circuit_id}/dial-tests/", {}, format="json")
    assert response.status_code == 503


def test_issue_noc_token_grants_the_quality_scope():
    """R-QUAL-SERIES: `issue_noc_token NAME --scope quality:write` makes a collector's token."""
    import io

    from django.core.management import call_command

    from staff.models import ApiClient

    out = io.StringIO()
    call_command("issue_noc_token", "collector", "--scope", "quality:write", stdout=out)
    assert "quality:write" in ApiClient.objects.get(name="collector").scopes
    assert out.getvalue().strip().splitlines()[-1]


def test_the_quality_endpoints_are_in_the_openapi_schema():
    """The schema describes every quality endpoint with its bodies and errors."""
    from rest_framework.test import APIClient

    doc = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = doc["paths"]
    expected = {
        "/api/v1/quality/samples/": ("post", {"202", "400"}),
        "/api/v1/quality/warnings/": ("get", {"200", "400"}),
        "/api/v1/circuits/{circuit_id}/series/": ("get", {"200", "400", "404"}),
        "/api/v1/circuits/{circuit_id}/dial-tests/": ("post", {"200", "404", "409", "503"}),
    }
    for path, (method, codes) in expected.items():
        responses = set(paths[path][method]["responses"])
        assert codes | {"401", "403"} <= responses, (path, responses)
