"""Input PostgreSQL cannot store, or a name longer than any user's, is a 400 and never a 500."""
import json

import pytest
from django.core.management import call_command
from django.test import Client

from customers.models import Customer
from tests import factories as f
from tests.api.conftest import alarm_body, noc_client
from tests.integrations.helpers import URL as ALERTMANAGER_URL
from tests.integrations.helpers import bearer, circuit_alert, webhook
from tickets.models import Alarm

pytestmark = pytest.mark.django_db

LONE = "\udfff"


def _raw_json(value) -> str:
    """JSON as a client sends it: the lone surrogate as the escape ``\\udfff``."""
    return json.dumps(value)  # ensure_ascii: a lone surrogate is written as an escape, as any client would


def test_a_lone_surrogate_in_an_alarms_extra_field_is_a_400():
    circuit = f.CircuitFactory(customer__tier="gold")
    body = alarm_body(circuit.circuit_id, vendor_note=f"bad {LONE} text")
    response = noc_client().post("/api/v1/alarms/", _raw_json(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "client_error" or response.json()["type"] == "validation_error"
    assert not Alarm.objects.exists()


def test_a_lone_surrogate_in_an_alarms_title_is_a_400():
    circuit = f.CircuitFactory(customer__tier="gold")
    response = noc_client().post("/api/v1/alarms/", _raw_json(alarm_body(circuit.circuit_id, title=f"LOS{LONE}")),
                                 content_type="application/json")
    assert response.status_code == 400
    assert not Alarm.objects.exists()


def test_a_lone_surrogate_escape_in_capitals_is_a_400_and_a_surrogate_pair_is_text():
    """The parser looks for escapes in the body's text before walking it: \\uDFFF is caught as \\udfff is, and an
    escaped pair (an emoji) is ordinary text."""
    circuit = f.CircuitFactory(customer__tier="gold")
    client = noc_client()
    bad = _raw_json(alarm_body(circuit.circuit_id, title=f"LOS{LONE}")).replace("\\udfff", "\\uDFFF")
    assert "\\uDFFF" in bad
    response = client.post("/api/v1/alarms/", bad, content_type="application/json")
    assert response.status_code == 400
    assert not Alarm.objects.exists()
    good = _raw_json(alarm_body(circuit.circuit_id, title="LOS \U0001F600"))
    assert "\\ud83d\\ude00" in good
    response = client.post("/api/v1/alarms/", good, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Alarm.objects.get().title == "LOS \U0001F600"


def test_an_alertmanager_batch_with_a_lone_surrogate_keeps_every_good_alert():
    circuits = [f.CircuitFactory(customer__tier="gold") for _ in range(3)]
    alerts = [circuit_alert(c.circuit_id) for c in circuits]
    alerts[0]["labels"]["team"] = f"noc{LONE}"
    alerts[1]["annotations"]["summary"] = f"LOS {LONE}"
    api, _ = bearer()
    response = api.post(ALERTMANAGER_URL, _raw_json(webhook(*alerts)), content_type="application/json")
    assert response.status_code == 200, response.content
    assert Alarm.objects.count() == 3


@pytest.mark.parametrize("path", ["/api/v1/alarms/a%00b/clear/", "/api/v1/tickets/?integration=%00",
                                  "/api/v1/integrations/alertmanager/?integration=%00", "/console/?q=%00",
                                  "/visits/agenda/?start=%00"])
def test_a_nul_in_the_path_or_query_is_a_400(path):
    client = noc_client(scopes=["alarms:write", "tickets:read"])
    response = client.post(path, {}, format="json") if "alarms/" in path or "alertmanager" in path else client.get(path)
    assert response.status_code == 400, (path, response.status_code)


def test_a_256_character_log_in_name_is_refused_not_a_500():
    client = Client()
    response = client.post("/accounts/login/", {"username": "u" * 256, "password": "x"})
    assert response.status_code in (200, 400)
    assert "form" in response.context and response.context["form"].errors


def test_import_customers_with_a_nul_in_the_csv_names_the_line(tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text("code,name,tier,circuit_id,service_type,address,contact_name,contact_phone\n"
                    "C001,顺达物流,normal,SZ-SM-0202,sms,宝安区,孙工,13902000004\n"
                    "C002,坏\x00数据,normal,SZ-SM-0203,sms,宝安区,孙工,13902000005\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_customers", str(path))
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "line 3" in err and "Traceback" not in err
    assert not Customer.objects.exists()
