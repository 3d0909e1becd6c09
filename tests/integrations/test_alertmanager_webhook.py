"""Alertmanager's webhook in, through ``POST /api/v1/integrations/alertmanager/`` and the mapping functions."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from staff.models import ApiClient
from staff.tokens import issue_client
from tests import factories as f
from tickets.choices import DeadlineKind, TicketState
from tickets.integrations import alertmanager
from tickets.models import Alarm, AlarmIntegration, FaultTicket

from .helpers import URL, alert, bearer, circuit_alert, resolved, rfc3339, webhook

pytestmark = pytest.mark.django_db


def post(api, body, **extra):
    return api.post(URL, body, format="json", **extra)


def only(response) -> dict:
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 1, results
    return results[0]


# --------------------------------------------------------------------------- firing
def test_a_firing_alert_opens_a_dispatched_ticket_for_the_circuits_customer():
    """R-LEAD / R-DISPATCH-IMP / R-ESC-1 / R-ESC-2: a transmission alert on a gold circuit goes to the
    transport room, is dispatched at once, and gets its joint-handling and arrival deadlines."""
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    starts = timezone.now() - timedelta(minutes=7)
    sent = circuit_alert(circuit.circuit_id, starts_at=starts)
    result = only(post(api, webhook(sent)))
    assert result["outcome"] == "created" and result["created"] is True
    ticket = FaultTicket.objects.get(number=result["ticket"])
    assert ticket.customer == circuit.customer and not ticket.needs_triage
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.lead_room.code == "transport"
    assert ticket.title == "LOS on STM-1 port 3"
    assert (ticket.category, ticket.severity, ticket.outage) == ("transmission", "critical", "total")
    assert abs(ticket.occurred_at - starts) < timedelta(milliseconds=1)
    due = {d.kind: d.due_at for d in ticket.deadlines.all()}
    assert due[DeadlineKind.JOINT_HANDLING] == ticket.occurred_at + timedelta(hours=1)
    assert due[DeadlineKind.ARRIVAL] == ticket.occurred_at + timedelta(hours=2)
    alarm = Alarm.objects.get(alarm_id=result["alarm_id"])
    assert alarm.alarm_id == f"am:{sent['fingerprint']}:{starts.astimezone(UTC):%Y%m%dT%H%M%S.%f}Z"
    assert alarm.source == "alertmanager:prom-east"
    assert alarm.payload["alert"]["fingerprint"] == sent["fingerprint"]
    assert alarm.payload["alertmanager"]["receiver"] == "supportdesk"


def test_a_resent_notification_is_the_same_alarm():
    """Idempotent: Alertmanager repeats a notification (repeat_interval, an HA peer): nothing new is stored."""
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    body = webhook(circuit_alert(circuit.circuit_id))
    first = only(post(api, body))
    again = only(post(api, body))
    assert again["outcome"] == "duplicate" and again["duplicate"] is True and again["created"] is False
    assert again["alarm_id"] == first["alarm_id"] and again["ticket"] == first["ticket"]
    assert Alarm.objects.count() == 1 and FaultTicket.objects.count() == 1


def test_the_title_falls_back_to_the_alertname():
    api, _ = bearer()
    result = only(post(api, webhook(alert(labels={"alertname": "InstanceDown"}))))
    assert Alarm.objects.get(alarm_id=result["alarm_id"]).title == "InstanceDown"


def test_a_second_alert_on_the_circuit_is_absorbed_by_its_open_ticket():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    first = only(post(api, webhook(circuit_alert(circuit.circuit_id, labels={"alertname": "LOS"}))))
    second = only(post(api, webhook(circuit_alert(circuit.circuit_id, labels={"alertname": "AIS"}))))
    assert second["outcome"] == "correlated" and second["ticket"] == first["ticket"]
    assert second["alarm_id"] != first["alarm_id"]


# --------------------------------------------------------------------------- labels, mapping, defaults
def test_an_alert_without_our_labels_takes_the_defaults_and_lands_in_triage():
    """docs/rules.md §3.1: an alarm is never dropped: no circuit label → a circuit id of its own, in triage."""
    api, _ = bearer()
    result = only(post(api, webhook(alert(labels={"alertname": "HighLatency", "instance": "bng3:9100"}))))
    assert result["outcome"] == "created"
    assert result["defaults"] == ["circuit_id", "category", "severity", "outage"]
    ticket = FaultTicket.objects.get(number=result["ticket"])
    assert ticket.circuit_ref == "am:HighLatency:bng3:9100"
    assert ticket.needs_triage and ticket.customer is None and ticket.state == TicketState.NEW
    assert (ticket.category, ticket.severity, ticket.outage) == ("other", "major", "partial")
    assert ticket.lead_room.code == "service_support"  # R-LEAD: not a transmission alarm


def test_unknown_label_values_fall_back_to_the_defaults_not_to_a_refusal():
    circuit = f.CircuitFactory(customer__tier="normal")
    api, _ = bearer()
    sent = circuit_alert(circuit.circuit_id, labels={"severity": "page", "category": "optical", "outage": "yes"})
    result = only(post(api, webhook(sent)))
    assert result["outcome"] == "created" and result["defaults"] == ["category", "severity", "outage"]
    alarm = Alarm.objects.get(alarm_id=result["alarm_id"])
    assert (alarm.category, alarm.severity, alarm.outage) == ("other", "major", "partial")
    assert alarm.ticket.customer == circuit.customer


def test_label_values_are_matched_without_regard_to_case():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    result = only(post(api, webhook(circuit_alert(circuit.circuit_id, labels={"severity": "Critical"}))))
    assert Alarm.objects.get(alarm_id=result["alarm_id"]).severity == "critical"


def test_an_integration_names_its_own_labels_and_translates_page_to_critical():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, client = bearer()
    AlarmIntegration.objects.create(
        name="prom-core", client=client,
        label_mapping={"circuit_id": "circuit", "category": "domain", "severity": "priority"},
        value_mappings={"severity": {"page": "critical"}, "category": {"sdh": "transmission"}},
        default_outage="total",
    )
    sent = alert(labels={"circuit": circuit.circuit_id, "domain": "sdh", "priority": "page",
                         "severity": "info"})
    result = only(post(api, webhook(sent)))
    assert result["defaults"] == ["outage"]
    alarm = Alarm.objects.get(alarm_id=result["alarm_id"])
    assert (alarm.circuit_ref, alarm.category, alarm.severity, alarm.outage) == (
        circuit.circuit_id, "transmission", "critical", "total")
    assert alarm.ticket.lead_room.code == "transport"
    assert alarm.source == "alertmanager:prom-core"
    assert response_integration(api, sent) == "prom-core"


def response_integration(api, sent) -> str | None:
    return post(api, webhook(sent)).json()["integration"]


def test_an_integration_can_be_named_in_the_url():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    AlarmIntegration.objects.create(name="prom-west", label_mapping={"circuit_id": "link"})
    response = post(api, webhook(alert(labels={"link": circuit.circuit_id})), QUERY_STRING="integration=prom-west")
    result = only(response)
    assert response.json()["integration"] == "prom-west"
    assert Alarm.objects.get(alarm_id=result["alarm_id"]).circuit_ref == circuit.circuit_id


def test_an_unknown_integration_name_is_a_400_naming_it():
    api, _ = bearer()
    response = post(api, webhook(alert()), QUERY_STRING="integration=nope")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "integration"
    assert Alarm.objects.count() == 0


def test_another_clients_integration_is_refused():
    api, _ = bearer("prom-a")
    other, _ = issue_client(name="prom-b")
    AlarmIntegration.objects.create(name="prom-b-map", client=other)
    response = post(api, webhook(alert()), QUERY_STRING="integration=prom-b-map")
    assert response.status_code == 403
    assert Alarm.objects.count() == 0


def test_an_integration_rejects_mappings_it_cannot_apply():
    integration = AlarmIntegration(name="bad", label_mapping={"circuit": "x"},
                                   value_mappings={"severity": {"page": "urgent"}})
    with pytest.raises(ValidationError) as caught:
        integration.full_clean()
    assert set(caught.value.message_dict) == {"label_mapping", "value_mappings"}


# --------------------------------------------------------------------------- resolved
def test_a_resolved_alert_clears_its_alarm_and_never_closes_the_ticket():
    """The clear is recorded as ``clear_alarm`` records it (alarm and ticket), with Alertmanager's endsAt."""
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    sent = circuit_alert(circuit.circuit_id, starts_at=timezone.now() - timedelta(minutes=30))
    opened = only(post(api, webhook(sent)))
    ends = timezone.now() - timedelta(minutes=2)
    cleared = only(post(api, webhook(resolved(sent, ends_at=ends))))
    assert cleared["outcome"] == "cleared" and cleared["cleared"] is True and cleared["duplicate"] is False
    assert cleared["alarm_id"] == opened["alarm_id"] and cleared["ticket"] == opened["ticket"]
    alarm = Alarm.objects.get(alarm_id=opened["alarm_id"])
    assert abs(alarm.cleared_at - ends) < timedelta(milliseconds=1)
    ticket = FaultTicket.objects.get(number=opened["ticket"])
    assert ticket.alarm_cleared_at == alarm.cleared_at
    assert ticket.restore_proposed_at is not None
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.events.filter(kind="alarm_cleared", note=alarm.alarm_id).count() == 1
    again = only(post(api, webhook(resolved(sent, ends_at=ends))))
    assert again["outcome"] == "cleared" and again["duplicate"] is True
    assert ticket.events.filter(kind="alarm_cleared").count() == 1


def test_a_resolved_alert_never_seen_firing_is_stored_then_cleared():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    sent = resolved(circuit_alert(circuit.circuit_id, starts_at=timezone.now() - timedelta(minutes=20)),
                    ends_at=timezone.now() - timedelta(minutes=3))
    result = only(post(api, webhook(sent)))
    assert result["outcome"] == "cleared"
    alarm = Alarm.objects.get(alarm_id=result["alarm_id"])
    assert alarm.cleared_at is not None
    assert alarm.ticket.alarm_cleared_at == alarm.cleared_at
    assert alarm.ticket.state == TicketState.DISPATCHED


def test_the_same_alert_firing_again_after_it_resolved_is_a_new_alarm():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    fp = "4f2c1e3a9b8d7c6e"
    first = circuit_alert(circuit.circuit_id, fp=fp, starts_at=timezone.now() - timedelta(minutes=40))
    opened = only(post(api, webhook(first)))
    only(post(api, webhook(resolved(first, ends_at=timezone.now() - timedelta(minutes=30)))))
    refire = circuit_alert(circuit.circuit_id, fp=fp, starts_at=timezone.now() - timedelta(minutes=10))
    again = only(post(api, webhook(refire)))
    assert again["outcome"] in ("created", "correlated") and again["duplicate"] is False
    assert again["alarm_id"] != opened["alarm_id"]
    assert Alarm.objects.filter(alarm_id__startswith=f"am:{fp}:").count() == 2
    new_alarm = Alarm.objects.get(alarm_id=again["alarm_id"])
    assert new_alarm.cleared_at is None
    assert new_alarm.ticket.alarm_cleared_at is None  # the fault is back


def test_a_clear_ahead_of_our_clock_is_taken_as_now():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, _ = bearer()
    sent = circuit_alert(circuit.circuit_id)
    only(post(api, webhook(sent)))
    result = only(post(api, webhook(resolved(sent, ends_at=timezone.now() + timedelta(hours=1)))))
    assert result["outcome"] == "cleared"
    assert Alarm.objects.get(alarm_id=result["alarm_id"]).cleared_at <= timezone.now()


def test_a_start_ahead_of_our_clock_is_still_an_alarm():
    api, _ = bearer()
    result = only(post(api, webhook(alert(starts_at=timezone.now() + timedelta(hours=2)))))
    assert result["outcome"] == "created"
    assert Alarm.objects.get(alarm_id=result["alarm_id"]).raised_at <= timezone.now()


# --------------------------------------------------------------------------- malformed and partly good bodies
@pytest.mark.parametrize(("body", "attr"), [
    ([{"status": "firing"}], "body"),
    ({"version": "4", "status": "firing"}, "alerts"),
    ({"version": "4", "alerts": {"0": {}}}, "alerts"),
    ({"version": "3", "alerts": []}, "version"),
    ({"version": "4", "status": "burning", "alerts": []}, "status"),
])
def test_a_body_that_is_not_alertmanagers_is_a_400_naming_what_is_wrong(body, attr):
    api, client = bearer()
    integration = AlarmIntegration.objects.create(name="prom", client=client)
    response = post(api, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "validation_error"
    assert payload["errors"][0]["attr"] == attr
    assert Alarm.objects.count() == 0
    integration.refresh_from_db()
    assert (integration.received_count, integration.rejected_count) == (0, 1)


def test_a_body_that_is_not_json_is_a_400():
    api, _ = bearer()
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_partly_good_body_stores_the_good_alerts_and_reports_the_bad_ones():
    circuit = f.CircuitFactory(customer__tier="gold")
    api, client = bearer()
    integration = AlarmIntegration.objects.create(name="prom", client=client)
    good = circuit_alert(circuit.circuit_id)
    no_start = {**alert(), "startsAt": "yesterday"}
    response = post(api, webhook(good, no_start, "not an alert", {**alert(), "labels": ["x"]}))
    assert response.status_code == 200
    report = response.json()
    assert (report["alerts"], report["stored"], report["rejected"]) == (4, 1, 3)
    outcomes = [r["outcome"] for r in report["results"]]
    assert outcomes == ["created", "error", "error", "error"]
    assert report["results"][1]["errors"] == [{"attr": "startsAt", "detail": "must be an RFC 3339 time"}]
    assert report["results"][1]["fingerprint"] == no_start["fingerprint"]
    assert report["results"][2]["errors"][0]["attr"] == "alert"
    assert report["results"][3]["errors"][0]["attr"] == "labels"
    assert Alarm.objects.count() == 1
    integration.refresh_from_db()
    assert (integration.received_count, integration.rejected_count) == (1, 3)
    assert integration.last_received_at is not None


def test_a_body_whose_every_alert_is_unreadable_is_a_400_naming_each():
    api, _ = bearer()
    response = post(api, webhook({**alert(), "startsAt": None}, {**alert(), "status": "pending"}, status="firing"))
    assert response.status_code == 400
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert attrs == {"alerts.0.startsAt", "alerts.1.status"}
    assert Alarm.objects.count() == 0


# --------------------------------------------------------------------------- who may post
def test_a_token_is_accepted_as_token_as_well_as_bearer():
    _, token = issue_client(name="prom-token")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert only(post(api, webhook(alert())))["outcome"] == "created"


def test_no_token_is_a_401_and_stores_nothing():
    response = post(APIClient(), webhook(alert()))
    assert response.status_code == 401
    assert Alarm.objects.count() == 0


def test_a_client_without_the_alarms_write_scope_is_refused():
    api, client = bearer()
    ApiClient.objects.filter(pk=client.pk).update(scopes=["tickets:read"])
    response = post(api, webhook(alert()))
    assert response.status_code == 403
    assert Alarm.objects.count() == 0


def test_the_integration_counts_what_it_received():
    api, client = bearer()
    integration = AlarmIntegration.objects.create(name="prom", client=client)
    post(api, webhook(alert(), alert()))
    post(api, webhook(alert()))
    integration.refresh_from_db()
    assert (integration.received_count, integration.rejected_count) == (3, 0)
    assert timezone.now() - integration.last_received_at < timedelta(minutes=1)


# --------------------------------------------------------------------------- the mapping functions
def test_the_alarm_id_is_the_fingerprint_and_the_start_whatever_the_time_notation():
    labels = {"alertname": "X"}
    raw = {"status": "firing", "labels": labels, "fingerprint": "c6eadffa33fcdf37"}
    a = alertmanager.parse_webhook({"alerts": [{**raw, "startsAt": "2021-10-12T09:51:03.157076+02:00"}]}).alerts[0]
    b = alertmanager.parse_webhook({"alerts": [{**raw, "startsAt": "2021-10-12T07:51:03.157076123Z"}]}).alerts[0]
    assert alertmanager.alarm_id(a) == alertmanager.alarm_id(b) == "am:c6eadffa33fcdf37:20211012T075103.157076Z"


def test_an_alert_without_a_fingerprint_is_named_by_its_labels():
    body = {"alerts": [{"status": "firing", "labels": {"alertname": "X", "a": "1"}, "startsAt": rfc3339(
        datetime(2026, 11, 1, tzinfo=UTC))}]}
    first = alertmanager.parse_webhook(body).alerts[0]
    body["alerts"][0]["labels"] = {"a": "1", "alertname": "X"}
    assert alertmanager.parse_webhook(body).alerts[0].fingerprint == first.fingerprint


def test_the_documented_example_payload_maps_to_an_alarm():
    """The payload of Alertmanager's ``webhook_config`` documentation, as Alertmanager 0.25 sends it."""
    body = {
        "receiver": "webhook", "status": "firing", "version": "4", "truncatedAlerts": 0,
        "groupKey": "{}/{severity=\"critical\"}:{alertname=\"ProbeFailure\"}",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "job": "http_checks",
                       "severity": "critical"},
            "annotations": {"summary": "BlackBox Probe Failure: https://server.example.org"},
            "startsAt": "2023-02-06T13:08:45.828Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.org:9090/graph", "fingerprint": "1a30ba71cca2921f",
        }],
        "groupLabels": {"alertname": "ProbeFailure"}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://prometheus.example.org:9093",
    }
    hook = alertmanager.parse_webhook(body)
    assert hook.problems == [] and hook.alerts[0].ends_at is None
    data, defaulted = alertmanager.to_alarm(hook.alerts[0], alertmanager.LabelMapping())
    assert data.alarm_id == "am:1a30ba71cca2921f:20230206T130845.828000Z"
    assert data.title == "BlackBox Probe Failure: https://server.example.org"
    assert data.circuit_id == "am:ProbeFailure:https://server.example.org"
    assert (data.category, data.severity, data.outage) == ("other", "critical", "partial")
    assert defaulted == ["circuit_id", "category", "outage"]
    assert data.raised_at == datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC)


# --------------------------------------------------------------------------- admin
def test_the_admin_lists_and_edits_an_integration(admin_client):
    _, client = bearer()
    integration = AlarmIntegration.objects.create(name="prom", client=client, received_count=7, rejected_count=2)
    listing = admin_client.get("/admin/tickets/alarmintegration/")
    assert listing.status_code == 200
    assert b"prom-east" in listing.content and b">7<" in listing.content
    url = f"/admin/tickets/alarmintegration/{integration.pk}/change/"
    assert admin_client.get(url).status_code == 200
    form = {"name": "prom", "kind": "alertmanager", "client": client.pk,
            "label_mapping": '{"circuit_id": "circuit"}', "value_mappings": '{"severity": {"page": "urgent"}}',
            "default_category": "other", "default_severity": "major", "default_outage": "partial"}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and b"urgent" in refused.content
    saved = admin_client.post(url, {**form, "value_mappings": '{"severity": {"page": "critical"}}'})
    assert saved.status_code == 302
    integration.refresh_from_db()
    assert integration.value_mappings == {"severity": {"page": "critical"}}
    assert integration.received_count == 7  # the counters are not edited by hand


def test_a_resolved_alert_with_an_unreadable_end_is_reported_but_a_firing_one_is_kept():
    api, _ = bearer()
    firing = {**alert(), "endsAt": "soon"}
    gone = {**resolved(alert()), "endsAt": "soon"}
    report = post(api, webhook(firing, gone)).json()
    assert [r["outcome"] for r in report["results"]] == ["created", "error"]
    assert report["results"][1]["errors"] == [{"attr": "endsAt", "detail": "must be an RFC 3339 time"}]
