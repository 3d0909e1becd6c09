"""R-QUAL-STATS: quality statistics in several dimensions, in a constant number of queries.

One read each of: the tickets of the period, their deadlines (met / breached), the quality warnings of the period
and the circuits (for the availability denominator). Everything else is grouped in Python, so the number of
queries does not grow with the number of groups, tickets or circuits.

* **faults** — tickets that occurred in the period (cancelled ones excluded);
* **outage minutes** — from occurrence to restore (or to the end of the period while unrestored), clipped to the
  period, for tickets with an outage (``total`` or ``partial``; a quality warning's ticket has none);
* **availability** — 1 − outage minutes ÷ (circuits in the group × minutes of the period), where the group has
  circuits (customer, circuit, service type, tier; the whole period); rooms and causes have no circuit base;
* **median time to restore** (minutes), **deadlines met** (met ÷ answered), **warnings**;
* further metrics (complaints) come from ``supportdesk.core.hooks.register_stats_metric``, without this module
  importing their app.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import ServiceType, Tier
from customers.models import Circuit
from supportdesk.core import hooks
from tickets.choices import CauseCategory, Outage, TicketState
from tickets.models import Deadline, FaultTicket

from .models import QualityWarning

DIMENSIONS = {
    "customer": _("客户"),
    "circuit": _("电路"),
    "service_type": _("业务类型"),
    "tier": _("客户级别"),
    "room": _("主导室"),
    "cause": _("原因分类"),
    "period": _("时段"),
}

def extra_metrics() -> list[tuple[str, str]]:
    """Columns other apps registered (``supportdesk.core.hooks.register_stats_metric``), e.g. complaints."""
    return [(name, str(label)) for name, label, _fn in hooks.stats_metrics()]


@dataclass
class Group:
    key: str
    label: str
    circuits: int = 0
    faults: int = 0
    outage_minutes: float = 0.0
    restore_minutes: list[float] = field(default_factory=list)
    deadlines_met: int = 0
    deadlines_answered: int = 0
    warnings: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    extra_list: list[int] = field(default_factory=list)
    availability: float | None = None

    @property
    def median_restore_minutes(self) -> float | None:
        return statistics.median(self.restore_minutes) if self.restore_minutes else None

    @property
    def deadlines_met_pct(self) -> float | None:
        return 100.0 * self.deadlines_met / self.deadlines_answered if self.deadlines_answered else None

    @property
    def availability_pct(self) -> float | None:
        return None if self.availability is None else 100.0 * self.availability


@dataclass
class Report:
    dimension: str
    start: datetime
    end: datetime
    groups: list[Group]
    extra: list[tuple[str, str]]

    @property
    def max_outage(self) -> float:
        return max((g.outage_minutes for g in self.groups), default=0.0) or 1.0

    @property
    def max_faults(self) -> int:
        return max((g.faults for g in self.groups), default=0) or 1


def _period_key(at: datetime, span: timedelta) -> str:
    local = timezone.localtime(at)
    return f"{local:%Y-%m-%d}" if span <= timedelta(days=62) else f"{local:%Y-%m}"


def report(*, dimension: str, start: datetime, end: datetime, now: datetime | None = None) -> Report:
    """R-QUAL-STATS: the groups of ``dimension`` over [start, end)."""
    now = now or timezone.now()
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    span = end - start
    circuits = {
        row["pk"]: row for row in Circuit.objects.values(
            "pk", "circuit_id", "service_type", "customer_id", "customer__code", "customer__name", "customer__tier")
    }
    tickets = list(
        FaultTicket.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(state=TicketState.CANCELLED)
        .values("pk", "circuit_id", "circuit_ref", "customer_id", "customer__code", "customer__name", "tier",
                "lead_room__code", "lead_room__name", "cause_category", "occurred_at", "restored_at", "outage")
    )
    deadline_rows = (
        Deadline.objects.filter(ticket__occurred_at__gte=start, ticket__occurred_at__lt=end)
        .exclude(ticket__state=TicketState.CANCELLED)
        .values("ticket_id").annotate(met=Count("pk", filter=Q(met_at__isnull=False)),
                                      breached=Count("pk", filter=Q(breached_at__isnull=False)))
    )
    deadlines = {row["ticket_id"]: (row["met"], row["breached"]) for row in deadline_rows}
    warnings = dict(
        QualityWarning.objects.filter(started_at__gte=start, started_at__lt=end)
        .values("circuit_id").annotate(n=Count("pk")).values_list("circuit_id", "n")
    )
    warnings_by_day = {}
    if dimension == "period":
        warnings_by_day = dict(
            QualityWarning.objects.filter(started_at__gte=start, started_at__lt=end)
            .annotate(day=TruncDay("started_at")).values("day").annotate(n=Count("pk")).values_list("day", "n")
        )
    extras = {name: fn(start=start, end=end) for name, _label, fn in hooks.stats_metrics()}

    groups: dict[str, Group] = {}

    def group_of_circuit(c) -> tuple[str, str] | None:
        if dimension == "customer":
            return (c["customer__code"] or "-", c["customer__name"] or "-")
        if dimension == "circuit":
            return (c["circuit_id"], c["circuit_id"])
        if dimension == "service_type":
            return (c["service_type"], str(ServiceType(c["service_type"]).label) if c["service_type"] in
                    ServiceType.values else c["service_type"])
        if dimension == "tier":
            tier = c["customer__tier"] or Tier.NORMAL
            return (tier, str(Tier(tier).label))
        return None

    def group_of_ticket(t) -> tuple[str, str]:
        if dimension == "room":
            return (t["lead_room__code"] or "-", t["lead_room__name"] or "—")
        if dimension == "cause":
            cause = t["cause_category"] or ""
            return (cause or "-", str(CauseCategory(cause).label) if cause in CauseCategory.values else "—")
        if dimension == "period":
            key = _period_key(t["occurred_at"], span)
            return (key, key)
        if t["circuit_id"] in circuits:
            found = group_of_circuit(circuits[t["circuit_id"]])
            if found:
                return found
        if dimension == "customer":
            return (t["customer__code"] or "-", t["customer__name"] or "—")
        if dimension == "tier":
            return (t["tier"], str(Tier(t["tier"]).label))
        if dimension == "circuit":
            return (t["circuit_ref"] or "-", t["circuit_ref"] or "—")
        return ("-", "—")

    def get(key_label) -> Group:
        key, label = key_label
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(key=key, label=label)
        return g

    by_circuit_group = dimension in ("customer", "circuit", "service_type", "tier")
    if by_circuit_group:
        for c in circuits.values():
            get(group_of_circuit(c)).circuits += 1

    for t in tickets:
        g = get(group_of_ticket(t))
        g.faults += 1
        restored = t["restored_at"]
        if restored is not None:
            g.restore_minutes.append((restored - t["occurred_at"]).total_seconds() / 60)
        if t["outage"] != Outage.NONE:
            until = min(restored or min(now, end), end)
            since = max(t["occurred_at"], start)
            if until > since:
                g.outage_minutes += (until - since).total_seconds() / 60
        met, breached = deadlines.get(t["pk"], (0, 0))
        g.deadlines_met += met
        g.deadlines_answered += met + breached

    for day, n in warnings_by_day.items():
        key = _period_key(day, span)
        get((key, key)).warnings += n
    for circuit_pk, n in warnings.items():
        c = circuits.get(circuit_pk)
        if c is None:
            continue
        if by_circuit_group:
            get(group_of_circuit(c)).warnings += n
    for name, counts in extras.items():
        for circuit_pk, n in counts.items():
            c = circuits.get(circuit_pk)
            if c is not None and by_circuit_group:
                g = get(group_of_circuit(c))
                g.extra[name] = g.extra.get(name, 0) + n

    minutes = span.total_seconds() / 60
    names = [name for name, _label in extra_metrics()]
    for g in groups.values():
        g.extra_list = [g.extra.get(name, 0) for name in names]
        if by_circuit_group and g.circuits and minutes > 0:
            g.availability = max(0.0, 1.0 - g.outage_minutes / (g.circuits * minutes))
    ordered = sorted(groups.values(), key=lambda g: (-g.outage_minutes, -g.faults, g.key))
    if dimension == "period":
        ordered = sorted(groups.values(), key=lambda g: g.key)
    elif by_circuit_group:
        # Groups with nothing to report (a quiet circuit) are not listed; the availability base keeps them.
        ordered = [g for g in ordered if g.faults or g.warnings or any(g.extra.values())]
    return Report(dimension=dimension, start=start, end=end, groups=ordered, extra=extra_metrics())


def csv_rows(rep: Report) -> list[list]:
    header = ["key", "label", "circuits", "faults", "outage_minutes", "availability_pct", "median_restore_minutes",
              "deadlines_met_pct", "warnings"] + [name for name, _label in rep.extra]
    rows: list[list] = [header]
    for g in rep.groups:
        rows.append([
            g.key, g.label, g.circuits if g.circuits else "", g.faults, round(g.outage_minutes, 1),
            "" if g.availability_pct is None else round(g.availability_pct, 4),
            "" if g.median_restore_minutes is None else round(g.median_restore_minutes, 1),
            "" if g.deadlines_met_pct is None else round(g.deadlines_met_pct, 1), g.warnings,
        ] + [g.extra.get(name, 0) for name, _label in rep.extra])
    return rows
