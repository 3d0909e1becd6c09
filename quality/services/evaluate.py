"""R-QUAL-THRESHOLD, R-QUAL-FLUCT, R-QUAL-PROACTIVE: one evaluation of the new intervals.

Beat runs :func:`evaluate` every few minutes (and ``manage.py evaluate_quality`` runs the same). It reads the
samples above the ``evaluate`` watermark only, steps each series' threshold and fluctuation watches (K consecutive
abnormal intervals raise, M normal ones clear; :mod:`quality.detection`), opens and clears warnings, and hands
an important customer's warning to the tickets' alarm ingest (source ``quality``), clearing that alarm on recovery.

Work per run: a handful of queries whatever the number of series (samples, circuits, thresholds, watches, and
the hourly rollups for baselines only when a series enters a new hour — the baseline is cached on the watch).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Circuit, EscalationPolicy
from tickets.choices import AlarmCategory, Outage, Severity
from tickets.services import ingest as ticket_ingest

from .. import detection
from ..choices import WarningKind, WarningState
from ..models import Indicator, QualityWarning, Rollup1h, Sample, Threshold, Watch
from ._watermark import committed_bound
from .rollup import roll_up, watermark

log = logging.getLogger(__name__)

BATCH = 200_000
ALARM_SOURCE = "quality"


@dataclass
class EvaluationSummary:
    samples: int = 0
    series: int = 0
    raised: int = 0
    cleared: int = 0
    tickets: int = 0
    alarm_clears: int = 0
    raised_ids: list[int] = field(default_factory=list)
    cleared_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (f"quality: {self.samples} samples in {self.series} series; {self.raised} warnings raised, "
                f"{self.cleared} cleared; {self.tickets} to tickets, {self.alarm_clears} alarm clears")


def alarm_id_for(warning: QualityWarning, circuit_ref: str, indicator_code: str) -> str:
    """R-QUAL-PROACTIVE: one alarm per circuit, indicator and episode (its start), so a retry is idempotent."""
    return f"quality:{circuit_ref}:{indicator_code or '-'}:{warning.kind}:{warning.started_at:%Y%m%dT%H%M%SZ}"[:128]


def evaluate(*, now: datetime | None = None, roll: bool = True) -> EvaluationSummary:
    """R-QUAL-THRESHOLD / R-QUAL-FLUCT / R-QUAL-PROACTIVE: evaluate the intervals that arrived since last time."""
    now = now or timezone.now()
    if roll:
        roll_up()
    summary = EvaluationSummary()
    bound = committed_bound()
    while True:
        count = _evaluate_batch(bound=bound, summary=summary, now=now)
        if count < BATCH:
            break
    # Every active warning of an important customer that has no alarm yet: the ones raised now, and any whose
    # hand-over failed in an earlier run (a crash between the warning and its ticket is retried here).
    for warning_id in _pending_proactive():
        if _open_ticket(warning_id):
            summary.tickets += 1
    for warning_id in summary.cleared_ids:
        if _clear_alarm(warning_id):
            summary.alarm_clears += 1
    return summary


def _pending_proactive() -> list[int]:
    return list(QualityWarning.objects.filter(
        state=WarningState.ACTIVE, alarm_id="", kind__in=[WarningKind.THRESHOLD, WarningKind.FLUCTUATION],
        circuit__customer__tier__in=_important_tiers(),
    ).order_by("pk").values_list("pk", flat=True))


def _thresholds() -> dict[tuple[str, int, str], Threshold]:
    return {(t.service_type, t.indicator_id, t.tier): t for t in Threshold.objects.all()}


def _threshold_for(table, service_type: str, indicator_id: int, tier: str) -> Threshold | None:
    return table.get((service_type, indicator_id, tier)) or table.get((service_type, indicator_id, ""))


def _policy(indicator: Indicator) -> detection.FluctuationPolicy:
    return detection.FluctuationPolicy(z=indicator.fluct_z, min_scale=indicator.fluct_min_scale)


@transaction.atomic
def _evaluate_batch(*, bound: int, summary: EvaluationSummary, now: datetime) -> int:
    mark = watermark("evaluate")
    rows = list(
        Sample.objects.filter(id__gt=mark.last_sample_id, id__lte=bound).order_by("id")
        .values_list("id", "circuit_id", "indicator_id", "at", "value")[:BATCH]
    )
    if not rows:
        return 0
    last_id = rows[-1][0]
    rows.sort(key=lambda r: (r[1], r[2], r[3]))
    circuit_ids = {r[1] for r in rows}
    circuits = {pk: (st, tier) for pk, st, tier in
                Circuit.objects.filter(pk__in=circuit_ids).values_list("pk", "service_type", "customer__tier")}
    indicators = {i.pk: i for i in Indicator.objects.all()}
    thresholds = _thresholds()
    watches: dict[tuple[int, int, str], Watch] = {
        (w.circuit_id, w.indicator_id, w.kind): w for w in Watch.objects.filter(circuit_id__in=circuit_ids)
    }
    baselines = _baselines(rows, watches, indicators)
    changed: dict[tuple[int, int, str], Watch] = {}
    series = set()

    def watch_for(key) -> Watch:
        w = watches.get(key)
        if w is None:
            w = watches[key] = Watch(circuit_id=key[0], indicator_id=key[1], kind=key[2])
        return w

    for _, circuit_id, indicator_id, at, value in rows:
        series.add((circuit_id, indicator_id))
        service_type, tier = circuits.get(circuit_id, ("", ""))
        indicator = indicators.get(indicator_id)
        if indicator is None:
            continue
        threshold = _threshold_for(thresholds, service_type, indicator_id, tier or "")
        checks = []
        if threshold is not None:
            abnormal = detection.beyond(value, threshold.limit, comparison=threshold.comparison)
            checks.append((WarningKind.THRESHOLD, abnormal, threshold.k, threshold.m, threshold.limit))
        if indicator.fluctuation:
            baseline = baselines.get((circuit_id, indicator_id, detection.hour_of(at)))
            abnormal = detection.fluctuation(value, baseline, _policy(indicator))
            # A value already beyond its threshold is the threshold's warning, not a second one.
            if threshold is not None and checks[0][1]:
                abnormal = False
            checks.append((WarningKind.FLUCTUATION, abnormal, indicator.fluct_k, indicator.fluct_m,
                           baseline.center if baseline else None))
        for kind, abnormal, k, m, reference in checks:
            key = (circuit_id, indicator_id, kind)
            watch = watches.get(key)
            if watch is None and not abnormal:
                continue  # nothing abnormal and no state: nothing to store
            watch = watch_for(key)
            if watch.last_at is not None and at <= watch.last_at:
                continue  # a late sample older than what this watch has seen: not an interval of its run
            state = detection.RunState(abnormal_run=watch.abnormal_run, normal_run=watch.normal_run, active=watch.active)
            new_state, change = detection.step(state, abnormal, k=k, m=m)
            if new_state != state or watch.pk is None:
                watch.abnormal_run, watch.normal_run, watch.active = (new_state.abnormal_run, new_state.normal_run,
                                                                      new_state.active)
                watch.last_at = at
                changed[key] = watch
            if change == "raise":
                warning = _raise(circuit_id, indicator_id, kind, at=at, value=value, reference=reference, k=k)
                if warning is not None:
                    summary.raised += 1
                    summary.raised_ids.append(warning.pk)
            elif change == "clear":
                warning_id = _clear(circuit_id, indicator_id, kind, at=at)
                if warning_id is not None:
                    summary.cleared += 1
                    summary.cleared_ids.append(warning_id)
    for key, (center, scale, hour) in baselines.pop("__cache__", {}).items():
        watch = watch_for(key)
        watch.baseline_hour, watch.baseline_center, watch.baseline_scale = hour, center, scale
        changed[key] = watch
    new = [w for w in changed.values() if w.pk is None]
    old = [w for w in changed.values() if w.pk is not None]
    Watch.objects.bulk_create(new, batch_size=1000)
    _update_watches(old)
    mark.last_sample_id = last_id
    mark.updated_at = now
    mark.save(update_fields=["last_sample_id", "updated_at"])
    summary.samples += len(rows)
    summary.series += len(series)
    return len(rows)


def _update_watches(watches: list[Watch]) -> None:
    """Write the changed watches; on PostgreSQL one ``UPDATE … FROM unnest(…)`` (Django's ``bulk_update`` builds a
    CASE per field and row, which grows with the square of the batch when an hour's baselines all refresh)."""
    if not watches:
        return
    if connection.vendor != "postgresql":
        Watch.objects.bulk_update(watches, ["abnormal_run", "normal_run", "active", "last_at", "baseline_hour",
                                            "baseline_center", "baseline_scale"], batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Watch._meta.db_table} AS w SET abnormal_run = v.abnormal_run, normal_run = v.normal_run, "
            "active = v.active, last_at = v.last_at, baseline_hour = v.baseline_hour, "
            "baseline_center = v.baseline_center, baseline_scale = v.baseline_scale "
            "FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::bool[], %s::timestamptz[], %s::timestamptz[], "
            "%s::float8[], %s::float8[]) AS v(id, abnormal_run, normal_run, active, last_at, baseline_hour, "
            "baseline_center, baseline_scale) WHERE w.id = v.id",
            [[w.pk for w in watches], [w.abnormal_run for w in watches], [w.normal_run for w in watches],
             [w.active for w in watches], [w.last_at for w in watches], [w.baseline_hour for w in watches],
             [w.baseline_center for w in watches], [w.baseline_scale for w in watches]],
        )


def _baselines(rows, watches, indicators) -> dict:
    """R-QUAL-FLUCT baselines for each (circuit, indicator, hour) in the batch: from the watch's cache when it is
    for that hour, else from the hourly rollups (weekly references first, the rolling hours only where needed)."""
    out: dict = {}
    cache: dict = {}
    wanted: dict[tuple[int, int, datetime], detection.FluctuationPolicy] = {}
    for _, circuit_id, indicator_id, at, _value in rows:
        indicator = indicators.get(indicator_id)
        if indicator is None or not indicator.fluctuation:
            continue
        hour = detection.hour_of(at)
        key = (circuit_id, indicator_id, hour)
        if key in out or key in wanted:
            continue
        watch = watches.get((circuit_id, indicator_id, WarningKind.FLUCTUATION))
        if watch is not None and watch.baseline_hour == hour and watch.baseline_center is not None:
            out[key] = detection.Baseline(center=watch.baseline_center, scale=watch.baseline_scale, method="cached",
                                          references=0)
        else:
            wanted[key] = _policy(indicator)
    if wanted:
        hours = set()
        for (_, _, hour), policy in wanted.items():
            hours.update(detection.reference_hours(hour, policy))
        history = _history({k[0] for k in wanted}, {k[1] for k in wanted}, hours)
        rolling_needed = {}
        for key, policy in wanted.items():
            circuit_id, indicator_id, hour = key
            own = history.get((circuit_id, indicator_id), {})
            weekly = [own[h] for h in detection.reference_hours(hour, policy) if h in own]
            if len(weekly) >= policy.min_reference_hours:
                out[key] = detection.robust_baseline(weekly, policy, method="hour_of_week")
            else:
                rolling_needed[key] = policy
        if rolling_needed:
            hours = set()
            for (_, _, hour), policy in rolling_needed.items():
                hours.update(detection.rolling_hours(hour, policy))
            history = _history({k[0] for k in rolling_needed}, {k[1] for k in rolling_needed}, hours)
            for key, policy in rolling_needed.items():
                circuit_id, indicator_id, hour = key
                baseline = detection.baseline_for(hour, history.get((circuit_id, indicator_id), {}), policy)
                if baseline is not None:
                    out[key] = baseline
        for key in wanted:
            if key in out:
                circuit_id, indicator_id, hour = key
                cache[(circuit_id, indicator_id, WarningKind.FLUCTUATION)] = (out[key].center, out[key].scale, hour)
    out["__cache__"] = cache
    return out


def _history(circuit_ids, indicator_ids, hours) -> dict[tuple[int, int], dict[datetime, detection.HourStat]]:
    history: dict[tuple[int, int], dict[datetime, detection.HourStat]] = {}
    rows = Rollup1h.objects.filter(circuit_id__in=circuit_ids, indicator_id__in=indicator_ids, bucket__in=hours,
                                   count__gt=0).values_list("circuit_id", "indicator_id", "bucket", "count", "total",
                                                            "total_sq")
    for circuit_id, indicator_id, bucket, count, total, total_sq in rows:
        avg = total / count
        history.setdefault((circuit_id, indicator_id), {})[bucket] = detection.HourStat(
            hour=bucket, avg=avg, variance=max(total_sq / count - avg * avg, 0.0), count=count)
    return history


def _raise(circuit_id, indicator_id, kind, *, at, value, reference, k) -> QualityWarning | None:
    """Open the warning episode; its start is the first of the K abnormal intervals (5 minutes apart)."""
    from datetime import timedelta

    started = at - timedelta(minutes=5) * (max(k, 1) - 1)
    if QualityWarning.objects.filter(circuit_id=circuit_id, indicator_id=indicator_id, kind=kind,
                                     state=WarningState.ACTIVE).exists():
        return None
    return QualityWarning.objects.create(circuit_id=circuit_id, indicator_id=indicator_id, kind=kind,
                                         started_at=started, value=value, limit_or_baseline=reference)


def _clear(circuit_id, indicator_id, kind, *, at) -> int | None:
    warning = QualityWarning.objects.filter(circuit_id=circuit_id, indicator_id=indicator_id, kind=kind,
                                            state=WarningState.ACTIVE).first()
    if warning is None:
        return None
    warning.state, warning.cleared_at = WarningState.CLEARED, at
    warning.save(update_fields=["state", "cleared_at"])
    return warning.pk


def _important_tiers() -> set[str]:
    return set(EscalationPolicy.objects.filter(important=True).values_list("tier", flat=True))


def _open_ticket(warning_id: int) -> bool:
    """R-QUAL-PROACTIVE: an important customer's warning goes into the alarm ingest (idempotent per episode,
    correlated with the circuit's open ticket by the ingest itself)."""
    warning = QualityWarning.objects.select_related("circuit__customer", "indicator").get(pk=warning_id)
    customer = warning.circuit.customer
    if customer is None or customer.tier not in _important_tiers():
        return False
    try:
        return raise_quality_alarm(warning)
    except Exception:  # noqa: BLE001 - one warning's ticket must not stop the others; retried next run
        log.exception("quality warning %s could not open its ticket", warning_id)
        return False


def raise_quality_alarm(warning: QualityWarning) -> bool:
    code = warning.indicator.code if warning.indicator_id else ""
    alarm_id = alarm_id_for(warning, warning.circuit.circuit_id, code)
    title = _alarm_title(warning)
    result = ticket_ingest.ingest_alarm(alarm=ticket_ingest.AlarmIn(
        alarm_id=alarm_id, category=AlarmCategory.OTHER, severity=Severity.MAJOR,
        outage=Outage.TOTAL if warning.kind == WarningKind.DIAL_TEST else Outage.NONE,
        circuit_id=warning.circuit.circuit_id, title=title, raised_at=min(warning.started_at, timezone.now()),
        source=ALARM_SOURCE,
        payload={"warning": warning.pk, "kind": warning.kind, "indicator": code, "value": warning.value,
                 "limit_or_baseline": warning.limit_or_baseline},
    ), via=ALARM_SOURCE)
    QualityWarning.objects.filter(pk=warning.pk).update(alarm_id=alarm_id, ticket=result.ticket)
    return True


def _alarm_title(warning: QualityWarning) -> str:
    code = warning.indicator.code if warning.indicator_id else ""
    if warning.kind == WarningKind.THRESHOLD:
        return f"质量预警 {warning.circuit.circuit_id} {code}={warning.value:g} 超过门限 {warning.limit_or_baseline:g}"
    if warning.kind == WarningKind.FLUCTUATION:
        base = f"{warning.limit_or_baseline:g}" if warning.limit_or_baseline is not None else "-"
        return f"波动预警 {warning.circuit.circuit_id} {code}={warning.value:g} 偏离基线 {base}"
    return f"拨测失败 {warning.circuit.circuit_id}: {warning.detail}"[:300]


def _clear_alarm(warning_id: int) -> bool:
    """R-QUAL-PROACTIVE: the recovered series clears its alarm, like an NMS clear (recorded on the ticket)."""
    warning = QualityWarning.objects.get(pk=warning_id)
    if not warning.alarm_id:
        return False
    try:
        ticket_ingest.clear_alarm(alarm_id=warning.alarm_id, cleared_at=min(warning.cleared_at, timezone.now()),
                                  via=ALARM_SOURCE)
    except Exception:  # noqa: BLE001 - one alarm's clear must not stop the others; logged for the operator
        log.exception("clearing quality alarm %s failed", warning.alarm_id)
        return False
    return True
