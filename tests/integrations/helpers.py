"""Alertmanager webhook bodies shaped as Alertmanager's documentation describes them (``webhook_config``)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from django.utils import timezone
from rest_framework.test import APIClient

from staff.tokens import issue_client

URL = "/api/v1/integrations/alertmanager/"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_fingerprints = count(0x1A30BA71CCA2921F)


def fingerprint() -> str:
    return f"{next(_fingerprints):016x}"


def rfc3339(at: datetime) -> str:
    """As Alertmanager writes times: UTC with nanoseconds and a ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def alert(*, labels: dict | None = None, annotations: dict | None = None, status: str = "firing",
          starts_at: datetime | None = None, ends_at: datetime | None = None, fp: str | None = None) -> dict:
    labels = {"alertname": "LinkDown", "instance": "pe1.sz:9100", "job": "snmp", **(labels or {})}
    return {
        "status": status,
        "labels": labels,
        "annotations": {"description": "ifOperStatus is down", **(annotations or {})},
        "startsAt": rfc3339(starts_at or timezone.now() - timedelta(minutes=5)),
        "endsAt": rfc3339(ends_at) if ends_at else GO_ZERO_TIME,
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=ifOperStatus+%3D%3D+2\u0026g0.tab=1",
        "fingerprint": fp or fingerprint(),
    }


def circuit_alert(circuit_id: str, **kwargs) -> dict:
    labels = {"circuit_id": circuit_id, "category": "transmission", "severity": "critical", "outage": "total",
              **kwargs.pop("labels", {})}
    return alert(labels=labels, annotations={"summary": "LOS on STM-1 port 3"}, **kwargs)


def webhook(*alerts: dict, status: str | None = None) -> dict:
    first = alerts[0] if alerts else {"labels": {}}
    return {
        "version": "4",
        "groupKey": "{}:{alertname=\"LinkDown\"}",
        "truncatedAlerts": 0,
        "status": status or ("firing" if any(a.get("status") == "firing" for a in alerts if isinstance(a, dict))
                             else "resolved"),
        "receiver": "supportdesk",
        "groupLabels": {"alertname": first.get("labels", {}).get("alertname", "")} if isinstance(first, dict)
        else {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def resolved(sent: dict, *, ends_at: datetime | None = None) -> dict:
    """The same alert, as Alertmanager reports it once resolved."""
    return {**sent, "status": "resolved", "endsAt": rfc3339(ends_at or timezone.now() - timedelta(minutes=1))}


def bearer(name: str = "prom-east", scopes=()) -> tuple[APIClient, object]:
    client, token = issue_client(name=name, scopes=list(scopes))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api, client
