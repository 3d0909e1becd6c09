"""The questions pages and the API ask about complaints (reads only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import IMPORTANCE_RANK, OPEN_STAGES, ComplaintStage, DeadlineStage, Importance, LimitUnit
from .models import Complaint, ComplaintBreach, ComplaintDeadline, ComplaintEvent, Reply
from .workcalendar import CalendarYearUnknown, WorkCalendar

PENDING = Q(deadlines__met_at__isnull=True, deadlines__breached_at__isnull=True, deadlines__cancelled_at__isnull=True)


def _importance_rank():
    return Case(*[When(importance=k, then=Value(v)) for k, v in IMPORTANCE_RANK.items()],
                default=Value(9), output_field=IntegerField())


def overdue_condition(now: datetime | None = None) -> Q:
    """Open, with a pending deadline past due, or a breach in the current round."""
    now = now or timezone.now()
    late = ComplaintDeadline.objects.filter(complaint=OuterRef("pk"), met_at__isnull=True,
                                            cancelled_at__isnull=True).filter(
        Q(due_at__lte=now) | Q(breached_at__isnull=False))
    return Q(stage__in=OPEN_STAGES) & Q(Exists(late))


def complaints() -> QuerySet:
    """Every complaint with what its API body and list rows need, important first, then nearest deadline."""
    return (
        Complaint.objects.select_related("customer", "circuit", "route", "fault_ticket")
        .prefetch_related(
            Prefetch("deadlines", queryset=ComplaintDeadline.objects.order_by("started_at", "id")),
            Prefetch("replies", queryset=Reply.objects.order_by("at", "id")),
            Prefetch("events", queryset=ComplaintEvent.objects.order_by("at", "id")),
        )
        .annotate(importance_rank=_importance_rank(), next_due=Min("deadlines__due_at", filter=PENDING))
        .order_by("importance_rank", "next_due", "received_at", "pk")
    )


def open_queue() -> QuerySet:
    return (
        Complaint.objects.filter(stage__in=OPEN_STAGES)
        .select_related("customer", "circuit", "route", "fault_ticket")
        .prefetch_related(Prefetch("deadlines", queryset=ComplaintDeadline.objects.filter(
            met_at__isnull=True, cancelled_at__isnull=True).order_by("due_at")))
        .annotate(importance_rank=_importance_rank(), next_due=Min("deadlines__due_at", filter=PENDING))
        .order_by("importance_rank", "next_due", "received_at", "pk")
    )


def complaint_for_page(pk: int) -> Complaint:
    return complaints().get(pk=pk)


# --------------------------------------------------------------------------- countdowns in working time
@dataclass
class Countdown:
    stage: str
    due_at: datetime | None
    late: bool
    text: str


def countdown(deadline: ComplaintDeadline, *, calendar: WorkCalendar, now: datetime | None = None) -> Countdown:
    """R-CMP-WORKDAY: "剩余 0.3 个工作日" for a working-day clock, hours for an hour clock."""
    now = now or timezone.now()
    label = DeadlineStage(deadline.stage).label
    if deadline.due_at is None:
        year = deadline.calendar_gap_year
        return Countdown(deadline.stage, None, False,
                         _("%(stage)s：缺少 %(year)s 年工作日历，无法计时") % {"stage": label, "year": year})
    late = deadline.breached_at is not None or deadline.due_at <= now
    if deadline.unit == LimitUnit.HOURS:
        hours = Decimal(abs((deadline.due_at - now).total_seconds()) / 3600).quantize(Decimal("0.1"))
        text = (_("%(stage)s：超时 %(n)s 小时") if late else _("%(stage)s：剩余 %(n)s 小时")) % {"stage": label, "n": hours}
        return Countdown(deadline.stage, deadline.due_at, late, text)
    try:
        days = calendar.working_days_between(now, deadline.due_at)
    except CalendarYearUnknown as exc:
        return Countdown(deadline.stage, deadline.due_at, late, exc.display())
    days = abs(days).quantize(Decimal("0.1"))
    text = (_("%(stage)s：超时 %(n)s 个工作日") if late else _("%(stage)s：剩余 %(n)s 个工作日")) % {
        "stage": label, "n": days}
    return Countdown(deadline.stage, deadline.due_at, late, text)


def countdowns(complaint: Complaint, *, calendar: WorkCalendar, now: datetime | None = None) -> list[Countdown]:
    rows = [d for d in complaint.deadlines.all() if d.met_at is None and d.cancelled_at is None]
    return [countdown(d, calendar=calendar, now=now) for d in rows]


# --------------------------------------------------------------------------- dashboard
def open_by_importance_and_stage() -> dict:
    rows = Complaint.objects.filter(stage__in=OPEN_STAGES).values("importance", "stage").annotate(n=Count("pk"))
    table = {i: {s: 0 for s in OPEN_STAGES} for i in Importance.values}
    for row in rows:
        table[row["importance"]][row["stage"]] = row["n"]
    return table


def on_time_rates(days: int, now: datetime | None = None) -> list[dict]:
    """Per deadline stage, over the deadlines that ended (met or breached) in the last ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    ended = ComplaintDeadline.objects.filter(cancelled_at__isnull=True).filter(
        Q(met_at__gte=since) | Q(breached_at__gte=since)
    )
    stats = {
        r["stage"]: r for r in ended.values("stage").annotate(
            total=Count("pk"),
            on_time=Count("pk", filter=Q(breached_at__isnull=True, met_at__isnull=False)),
        )
    }
    out = []
    for stage in DeadlineStage.values:
        row = stats.get(stage, {"total": 0, "on_time": 0})
        rate = round(100 * row["on_time"] / row["total"]) if row["total"] else None
        out.append({"stage": stage, "label": DeadlineStage(stage).label, "total": row["total"],
                    "on_time": row["on_time"], "rate": rate})
    return out


def repeat_open(limit: int = 20) -> tuple[list[Complaint], int]:
    qs = Complaint.objects.filter(stage__in=OPEN_STAGES, repeat=True).select_related("customer")
    return list(qs.order_by("received_at")[:limit]), qs.count()


def recent_breaches(days: int = 7, limit: int = 20, now: datetime | None = None) -> tuple[list[ComplaintBreach], int]:
    now = now or timezone.now()
    qs = ComplaintBreach.objects.filter(at__gte=now - timedelta(days=days)).select_related("complaint__customer")
    return list(qs.order_by("-at")[:limit]), qs.count()


def calendar_coverage_gap(days: int = 60, now: datetime | None = None):
    """R-CMP-WORKDAY: the first day within ``days`` whose year's official schedule is not loaded, or None."""
    today = timezone.localdate(now or timezone.now())
    return WorkCalendar.load().first_unknown_day(today, days)


def waiting_for_calendar() -> int:
    return Complaint.objects.filter(stage__in=OPEN_STAGES, calendar_gap_year__isnull=False).count()


def dashboard(now: datetime | None = None) -> dict:
    repeats, repeat_count = repeat_open()
    breaches, breach_count = recent_breaches(now=now)
    table = open_by_importance_and_stage()
    rates_7, rates_30 = on_time_rates(7, now), on_time_rates(30, now)
    return {
        "open": table,
        "open_rows": [{"importance": i, "label": Importance(i).label, "counts": [table[i][s] for s in OPEN_STAGES]}
                      for i in Importance.values],
        "rate_rows": [{"stage": a["stage"], "label": a["label"], "d7": a, "d30": b}
                      for a, b in zip(rates_7, rates_30, strict=True)],
        "open_stages": [(s, ComplaintStage(s).label) for s in OPEN_STAGES],
        "importances": [(i, Importance(i).label) for i in Importance.values],
        "rates_7": rates_7, "rates_30": rates_30,
        "repeats": repeats, "repeat_count": repeat_count,
        "breaches": breaches, "breach_count": breach_count,
        "calendar_gap": calendar_coverage_gap(now=now), "waiting_for_calendar": waiting_for_calendar(),
    }
