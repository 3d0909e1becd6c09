"""R-QUAL-DIAL: dial tests through the blackbox exporter — at dispatch, on demand, on a schedule.

The probe is a network call, so it never runs inside a transaction: the result is written afterwards, on the
circuit and, when the circuit has an open ticket, on that ticket (through the tickets' dial-test service).
A failed scheduled test on a line with no open ticket raises an alarm into the ingest.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Circuit
from supportdesk.core.errors import DomainError, NotFound
from tickets.choices import OPEN_STATES, DialTestMethod
from tickets.models import FaultTicket
from tickets.services.onsite import record_dial_test

from ..choices import DialOutcome, DialTrigger, WarningKind, WarningState
from ..models import DialSchedule, DialTarget, QualityDialTest, QualityWarning
from ..prober import ProberUnavailable, configured_prober

log = logging.getLogger(__name__)


class ProberNotConfigured(DomainError):
    """No blackbox exporter is configured (``BLACKBOX_EXPORTER_URL``)."""

    status_code = 503
    code = "no_prober"


class DialTestRefused(DomainError):
    """The circuit cannot be dialled (no target) or the prober did not answer."""

    status_code = 409
    code = "dial_refused"


def run_dial_test(*, circuit_id: str, trigger: str, by=None, attempts: int = 3) -> QualityDialTest:
    """R-QUAL-DIAL: dial the circuit's target now and store the result (pass/fail, latency, loss, detail)."""
    prober = configured_prober()
    if prober is None:
        raise ProberNotConfigured(_("未配置拨测探针（BLACKBOX_EXPORTER_URL）"), code="prober_not_configured")
    circuit = Circuit.objects.filter(circuit_id=circuit_id).first()
    if circuit is None:
        raise NotFound(f"circuit {circuit_id} does not exist", code="unknown_circuit", params={"circuit": circuit_id})
    target = DialTarget.objects.filter(circuit=circuit).first()
    if target is None:
        raise DialTestRefused(_("电路 %(c)s 未配置拨测目标") % {"c": circuit_id}, code="no_dial_target",
                             params={"circuit": circuit_id})
    try:
        outcome = prober.dial(module=target.module, target=target.target, attempts=attempts)
    except ProberUnavailable as exc:
        raise DialTestRefused(_("拨测探针无应答：%(e)s") % {"e": str(exc)[:200]},
                             code="prober_no_answer") from exc
    return _store(circuit, outcome, trigger=trigger, by=by)


def _store(circuit: Circuit, outcome, *, trigger: str, by) -> QualityDialTest:
    ticket = FaultTicket.objects.filter(circuit_ref=circuit.circuit_id, state__in=OPEN_STATES).first()
    test = QualityDialTest.objects.create(
        circuit=circuit, ticket=ticket, trigger=trigger, result=outcome.result, latency_ms=outcome.latency_ms,
        loss_pct=outcome.loss_pct, module=outcome.module, target=outcome.target, detail=outcome.detail, by=by,
    )
    if ticket is not None:
        detail = (f"{outcome.detail}; latency {outcome.latency_ms} ms, loss {outcome.loss_pct} %"
                  f" ({test.get_trigger_display()})")
        method = DialTestMethod.PING if outcome.module.startswith("icmp") else DialTestMethod.OTHER
        try:
            record_dial_test(ticket_id=ticket.pk, by=None, result=outcome.result, detail=detail, method=method)
        except DomainError as exc:
            log.warning("dial test %s not recorded on %s: %s", test.pk, ticket.number, exc)
    return test


def dial_for_dispatched_ticket(*, ticket_id: int) -> QualityDialTest | None:
    """R-QUAL-DIAL: a leased line's ticket was dispatched: test the line at once (called on commit)."""
    ticket = FaultTicket.objects.filter(pk=ticket_id).select_related("circuit").first()
    if ticket is None or ticket.circuit is None or configured_prober() is None:
        return None
    if not DialTarget.objects.filter(circuit=ticket.circuit).exists():
        return None
    try:
        return run_dial_test(circuit_id=ticket.circuit.circuit_id, trigger=DialTrigger.DISPATCH)
    except DomainError as exc:
        log.warning("dial test at dispatch of %s failed: %s", ticket.number, exc)
        return None


def due_scheduled_circuits(*, now: datetime) -> list[tuple[str, int]]:
    """Circuits of tiers with a schedule whose last scheduled test is older than the tier's interval."""
    schedules = {s.tier: s for s in DialSchedule.objects.filter(every_minutes__gt=0)}
    if not schedules:
        return []
    targets = (DialTarget.objects.filter(circuit__customer__tier__in=list(schedules))
               .values_list("circuit_id", "circuit__circuit_id", "circuit__customer__tier"))
    targets = list(targets)
    last = dict(QualityDialTest.objects.filter(trigger=DialTrigger.SCHEDULE, circuit_id__in=[t[0] for t in targets])
                .values("circuit_id").annotate(last=Max("at")).values_list("circuit_id", "last"))
    due = []
    for pk, ref, tier in targets:
        schedule = schedules[tier]
        previous = last.get(pk)
        if previous is None or now - previous >= timedelta(minutes=schedule.every_minutes):
            due.append((ref, schedule.attempts))
    return due


def run_scheduled_dial_tests(*, now: datetime | None = None) -> dict[str, int]:
    """R-QUAL-DIAL: the schedule per tier; a failure on a line with no open ticket raises an alarm into ingest."""
    now = now or timezone.now()
    if configured_prober() is None:
        return {"tested": 0, "failed": 0, "alarms": 0}
    tested = failed = alarms = 0
    for circuit_ref, attempts in due_scheduled_circuits(now=now):
        try:
            test = run_dial_test(circuit_id=circuit_ref, trigger=DialTrigger.SCHEDULE, attempts=attempts)
        except DomainError as exc:
            log.warning("scheduled dial test of %s: %s", circuit_ref, exc)
            continue
        tested += 1
        if test.result == DialOutcome.FAIL:
            failed += 1
            if test.ticket_id is None and _dial_warning_alarm(test):
                alarms += 1
        else:
            _clear_dial_warning(test)
    return {"tested": tested, "failed": failed, "alarms": alarms}


def _dial_warning_alarm(test: QualityDialTest) -> bool:
    from .evaluate import raise_quality_alarm

    try:
        with transaction.atomic():
            warning = QualityWarning.objects.create(
                circuit=test.circuit, indicator=None, kind=WarningKind.DIAL_TEST, started_at=test.at,
                value=test.loss_pct, detail=test.detail[:300])
    except IntegrityError:
        return False  # this line's dial-test warning is already active (its alarm went in then)
    warning.circuit = test.circuit
    return raise_quality_alarm(warning)


def _clear_dial_warning(test: QualityDialTest) -> None:
    from tickets.services.ingest import clear_alarm

    for warning in QualityWarning.objects.filter(circuit=test.circuit, kind=WarningKind.DIAL_TEST,
                                                 state=WarningState.ACTIVE):
        warning.state, warning.cleared_at = WarningState.CLEARED, test.at
        warning.save(update_fields=["state", "cleared_at"])
        if warning.alarm_id:
            try:
                clear_alarm(alarm_id=warning.alarm_id, cleared_at=test.at, via="quality")
            except DomainError as exc:
                log.warning("clearing %s: %s", warning.alarm_id, exc)
