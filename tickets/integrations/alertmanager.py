"""Prometheus Alertmanager's webhook (``version: "4"``) in: every alert becomes one of our NMS alarms.

An alert is named by Alertmanager's ``fingerprint`` (a hash of its labels) and its ``startsAt``: a notification
sent again, or by the second Alertmanager of a pair, is the same alarm; the same alert firing again after it
was resolved has a new ``startsAt`` and so is a new alarm. A ``resolved`` alert clears its alarm.

The labels that carry the circuit, category, severity and outage are named per integration
(``AlarmIntegration.label_mapping``); a value that is missing or not one of ours takes the integration's
default, so an alert is never refused for its labels (docs/rules.md §3.1); an alert without any circuit label gets a
circuit id of its own (``am:<alertname>:<instance>``) and lands in triage.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportdesk.core.errors import DomainError, NotPermitted, ValidationFailed, raise_field_errors

from ..choices import AlarmCategory, Outage, Severity
from ..models import ALARM_FIELDS_FROM_LABELS, MAPPED_VALUE_CHOICES, Alarm, AlarmIntegration, IntegrationKind
from ..services import AlarmIn, clear_alarm, ingest_alarm

log = logging.getLogger(__name__)

WEBHOOK_VERSION = "4"
FIRING, RESOLVED = "firing", "resolved"
ALARM_ID_PREFIX = "am"
CIRCUIT_MAX, TITLE_MAX, SOURCE_MAX, VIA_MAX = 64, 300, 64, 128


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class LabelMapping:
    """Where our alarm fields are read from: label names, value translations, defaults."""

    labels: dict[str, str] = field(default_factory=lambda: {name: name for name in ALARM_FIELDS_FROM_LABELS})
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    default_category: str = AlarmCategory.OTHER
    default_severity: str = Severity.MAJOR
    default_outage: str = Outage.PARTIAL

    @classmethod
    def of(cls, integration: AlarmIntegration | None) -> LabelMapping:
        if integration is None:
            return cls()
        labels = {name: name for name in ALARM_FIELDS_FROM_LABELS}
        labels.update({k: v for k, v in (integration.label_mapping or {}).items()
                       if k in labels and isinstance(v, str) and v.strip()})
        values = {k: {str(raw): str(ours) for raw, ours in table.items()}
                  for k, table in (integration.value_mappings or {}).items()
                  if k in MAPPED_VALUE_CHOICES and isinstance(table, dict)}
        return cls(labels=labels, values=values, default_category=integration.default_category,
                   default_severity=integration.default_severity, default_outage=integration.default_outage)

    def default(self, name: str) -> str:
        return {"category": self.default_category, "severity": self.default_severity,
                "outage": self.default_outage}[name]

    def value(self, name: str, labels: dict[str, str]) -> tuple[str, bool]:
        """The alarm field ``name`` from the labels: (value, whether the default was used)."""
        raw = (labels.get(self.labels[name]) or "").strip()
        table = self.values.get(name, {})
        translated = table.get(raw, table.get(raw.lower(), raw)).strip().lower()
        if translated in MAPPED_VALUE_CHOICES[name].values:
            return translated, False
        return self.default(name), True


# --------------------------------------------------------------------------- parsing
@dataclass
class AlertIn:
    """One alert of the webhook body, checked."""

    index: int
    status: str
    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    raw: dict


@dataclass
class AlertProblem:
    """An alert of the body that cannot be read: the errors name its fields."""

    index: int
    fingerprint: str | None
    status: str | None
    errors: dict[str, list[str]]


@dataclass
class Webhook:
    alerts: list[AlertIn]
    problems: list[AlertProblem]
    receiver: str = ""
    group_key: str = ""
    external_url: str = ""


def _clean_text(value) -> str:
    """A string as PostgreSQL can store it (no NUL characters)."""
    return str(value).replace("\x00", "")


def _clean_json(value):
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def parse_time(value) -> datetime | None:
    """An RFC 3339 time with an offset; None for Go's zero time (``0001-01-01T00:00:00Z``) or nothing."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 time")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("must be an RFC 3339 time")
    if timezone.is_naive(parsed):
        raise ValueError("must carry an offset (Z or +08:00)")
    if parsed.year < 1970:
        return None
    return parsed


def _string_map(value, name: str, errors: dict[str, list[str]]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.setdefault(name, []).append("must be an object of strings")
        return {}
    return {_clean_text(k): _clean_text(v) for k, v in value.items() if v is not None}


def label_fingerprint(labels: dict[str, str]) -> str:
    """A stable name for an alert that came without Alertmanager's fingerprint: a hash of its labels."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def parse_webhook(body) -> Webhook:
    """Check the webhook body. A body that is not Alertmanager's is refused whole (ValidationFailed);
    an alert that cannot be read is reported as an ``AlertProblem`` and the others go on."""
    if not isinstance(body, dict):
        raise ValidationFailed.of("body", "must be a JSON object (Alertmanager's webhook payload)")
    errors: dict[str, list[str]] = {}
    version = body.get("version")
    if version is not None and str(version) != WEBHOOK_VERSION:
        errors["version"] = [f"unsupported webhook version {version!r}: version \"4\" is expected"]
    alerts = body.get("alerts")
    if alerts is None:
        errors["alerts"] = ["required: the list of alerts"]
    elif not isinstance(alerts, list):
        errors["alerts"] = ["must be a list of alerts"]
    group_status = body.get("status")
    if group_status is not None and group_status not in (FIRING, RESOLVED):
        errors["status"] = ["must be \"firing\" or \"resolved\""]
    raise_field_errors(errors)
    hook = Webhook(alerts=[], problems=[], receiver=_clean_text(body.get("receiver") or ""),
                   group_key=_clean_text(body.get("groupKey") or ""),
                   external_url=_clean_text(body.get("externalURL") or ""))
    for index, item in enumerate(alerts):
        parsed = _parse_alert(index, item, group_status)
        (hook.alerts if isinstance(parsed, AlertIn) else hook.problems).append(parsed)
    return hook


def _parse_alert(index: int, item, group_status: str | None) -> AlertIn | AlertProblem:
    if not isinstance(item, dict):
        return AlertProblem(index=index, fingerprint=None, status=None, errors={"alert": ["must be an object"]})
    errors: dict[str, list[str]] = {}
    labels = _string_map(item.get("labels"), "labels", errors)
    annotations = _string_map(item.get("annotations"), "annotations", errors)
    status = item.get("status") or group_status
    if status not in (FIRING, RESOLVED):
        errors["status"] = ["must be \"firing\" or \"resolved\""]
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and (not isinstance(fingerprint, str) or not fingerprint.strip()):
        errors["fingerprint"] = ["must be a non-empty string"]
        fingerprint = None
    fingerprint = _clean_text(fingerprint).strip()[:64] if fingerprint else label_fingerprint(labels)
    starts_at = ends_at = None
    try:
        starts_at = parse_time(item.get("startsAt"))
        if starts_at is None:
            errors["startsAt"] = ["required: the time the alert started firing"]
    except ValueError as exc:
        errors["startsAt"] = [str(exc)]
    try:
        ends_at = parse_time(item.get("endsAt"))
    except ValueError as exc:
        if status == RESOLVED:  # a firing alert's endsAt is not used
            errors["endsAt"] = [str(exc)]
    if errors:
        return AlertProblem(index=index, fingerprint=fingerprint, status=status if isinstance(status, str) else None,
                            errors=errors)
    return AlertIn(index=index, status=status, fingerprint=fingerprint, starts_at=starts_at, ends_at=ends_at,
                   labels=labels, annotations=annotations, raw=_clean_json(item))


# --------------------------------------------------------------------------- mapping
def alarm_id(alert: AlertIn) -> str:
    """Alertmanager's fingerprint and the alert's start: the same firing, however often it is sent."""
    started = alert.starts_at.astimezone(UTC)
    return f"{ALARM_ID_PREFIX}:{alert.fingerprint}:{started:%Y%m%dT%H%M%S.%fZ}"


def circuit_of(alert: AlertIn, mapping: LabelMapping) -> str:
    """The circuit label, or a circuit id of the alert's own so that an unknown source lands in triage."""
    circuit = (alert.labels.get(mapping.labels["circuit_id"]) or "").strip()
    if circuit:
        return circuit[:CIRCUIT_MAX]
    parts = [ALARM_ID_PREFIX, alert.labels.get("alertname") or alert.fingerprint]
    if alert.labels.get("instance"):
        parts.append(alert.labels["instance"])
    return ":".join(parts)[:CIRCUIT_MAX]


def title_of(alert: AlertIn) -> str:
    title = (alert.annotations.get("summary") or "").strip() or (alert.labels.get("alertname") or "").strip()
    return (title or f"Alertmanager alert {alert.fingerprint}")[:TITLE_MAX]


def to_alarm(alert: AlertIn, mapping: LabelMapping, *, source: str = "alertmanager",
             context: dict | None = None, now: datetime | None = None) -> tuple[AlarmIn, list[str]]:
    """The alarm for an alert, and the fields that took the integration's default.

    A ``startsAt`` ahead of our clock (a skewed Alertmanager) is taken as now: the alarm is kept, not refused.
    """
    now = now or timezone.now()
    defaulted = []
    values = {}
    for name in ("category", "severity", "outage"):
        values[name], used_default = mapping.value(name, alert.labels)
        if used_default:
            defaulted.append(name)
    if not (alert.labels.get(mapping.labels["circuit_id"]) or "").strip():
        defaulted.insert(0, "circuit_id")
    alarm = AlarmIn(
        alarm_id=alarm_id(alert), circuit_id=circuit_of(alert, mapping), title=title_of(alert),
        raised_at=min(alert.starts_at, now), source=source[:SOURCE_MAX],
        payload={"alertmanager": context or {}, "alert": alert.raw}, **values,
    )
    return alarm, defaulted


# --------------------------------------------------------------------------- the integration and its counters
def find_integration(*, client, name: str | None) -> AlarmIntegration | None:
    """The integration named in the request, else the calling client's; None means the defaults."""
    rows = AlarmIntegration.objects.filter(kind=IntegrationKind.ALERTMANAGER)
    if name:
        integration = rows.filter(name=name).first()
        if integration is None:
            raise ValidationFailed.of("integration", f"no Alertmanager integration is named {name!r}")
        if integration.client_id is not None and (client is None or integration.client_id != client.pk):
            raise NotPermitted(f"integration {name!r} belongs to another API client")
        return integration
    if client is None:
        return None
    mine = list(rows.filter(client=client)[:2])
    if len(mine) > 1:
        raise ValidationFailed.of("integration", "this client has several Alertmanager integrations: "
                                                 "name one with ?integration=<name>")
    return mine[0] if mine else None


def count_receipt(integration: AlarmIntegration | None, *, received: int, rejected: int) -> None:
    """Last received time and counters, updated in the database (concurrent posts add up)."""
    if integration is None:
        return
    AlarmIntegration.objects.filter(pk=integration.pk).update(
        last_received_at=timezone.now(), received_count=F("received_count") + received,
        rejected_count=F("rejected_count") + rejected,
    )


# --------------------------------------------------------------------------- the service
def _error_items(errors: dict[str, list[str]]) -> list[dict]:
    return [{"attr": attr, "detail": message} for attr, messages in errors.items() for message in messages]


def _problem_result(problem: AlertProblem) -> dict:
    return {"index": problem.index, "fingerprint": problem.fingerprint, "status": problem.status,
            "outcome": "error", "errors": _error_items(problem.errors)}


def _stored_result(alert: AlertIn, alarm: Alarm, outcome: str, defaulted: list[str], *, duplicate: bool = False,
                   correlated: bool = False) -> dict:
    ticket = alarm.ticket
    return {
        "index": alert.index, "fingerprint": alert.fingerprint, "status": alert.status, "outcome": outcome,
        "alarm_id": alarm.alarm_id, "ticket": ticket.number, "ticket_id": ticket.pk,
        "created": outcome == "created", "duplicate": duplicate, "correlated": correlated,
        "cleared": alarm.cleared_at is not None, "defaults": defaulted,
    }


def take_alert(alert: AlertIn, mapping: LabelMapping, *, source: str, via: str, context: dict) -> dict:
    """One alert through ``ingest_alarm`` / ``clear_alarm`` (R-LEAD, dispatch, deadlines, correlation and
    triage all apply there). A resolved alert never seen firing is stored, then cleared."""
    now = timezone.now()
    data, defaulted = to_alarm(alert, mapping, source=source, context=context, now=now)
    if alert.status == FIRING:
        result = ingest_alarm(alarm=data, via=via)
        outcome = "duplicate" if result.duplicate else "created" if result.created else "correlated"
        return _stored_result(alert, result.alarm, outcome, defaulted, duplicate=result.duplicate,
                              correlated=result.correlated)
    stored = Alarm.objects.select_related("ticket").filter(alarm_id=data.alarm_id).first()
    if stored is None:
        stored = ingest_alarm(alarm=data, via=via).alarm
    already = stored.cleared_at is not None
    # Resolved now at the latest; never before the alarm was raised.
    cleared_at = max(min(alert.ends_at or now, now), stored.raised_at)
    cleared = clear_alarm(alarm_id=stored.alarm_id, cleared_at=cleared_at, via=via)
    return _stored_result(alert, cleared, "cleared", defaulted, duplicate=already, correlated=cleared.correlated)


def receive_webhook(*, body, integration: AlarmIntegration | None = None, client=None) -> dict:
    """Alertmanager's webhook body in: each alert stored (or cleared) on its own; the report per alert.

    A body that is not Alertmanager's, or whose every alert is unreadable, is refused with
    ValidationFailed (nothing stored); otherwise the readable alerts are stored and the others reported.
    """
    try:
        hook = parse_webhook(body)
    except ValidationFailed:
        count_receipt(integration, received=0, rejected=1)
        raise
    if hook.problems and not hook.alerts:
        count_receipt(integration, received=0, rejected=len(hook.problems))
        errors = {f"alerts.{p.index}.{attr}": messages for p in hook.problems for attr, messages in p.errors.items()}
        raise ValidationFailed.from_errors(errors)
    mapping = LabelMapping.of(integration)
    name = integration.name if integration else (client.name if client is not None else "")
    source = f"alertmanager:{name}" if name else "alertmanager"
    context = {"receiver": hook.receiver, "groupKey": hook.group_key, "externalURL": hook.external_url,
               "integration": integration.name if integration else None}
    results = [_problem_result(p) for p in hook.problems]
    for alert in hook.alerts:
        try:
            results.append(take_alert(alert, mapping, source=source, via=source[:VIA_MAX], context=context))
        except DomainError as exc:
            log.warning("alertmanager alert %s (%s) refused: %s", alert.index, alert.fingerprint, exc.message)
            results.append({"index": alert.index, "fingerprint": alert.fingerprint, "status": alert.status,
                            "outcome": "error",
                            "errors": _error_items(exc.field_errors) or [{"attr": None, "detail": exc.message}]})
    results.sort(key=lambda r: r["index"])
    rejected = sum(1 for r in results if r["outcome"] == "error")
    count_receipt(integration, received=len(results) - rejected, rejected=rejected)
    return {"integration": integration.name if integration else None, "alerts": len(results),
            "stored": len(results) - rejected, "rejected": rejected, "results": results}
