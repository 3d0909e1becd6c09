"""The questions pages and the API ask about complaints (reads only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
def open_counts() -> tuple[dict, int, int]:
    """Open complaints by importance and stage, how many wait for the calendar and how many are repeats (1 query)."""
    rows = Complaint.objects.filter(stage__in=OPEN_STAGES).values("importance", "stage").annotate(
        n=Count("pk"), gap=Count("pk", filter=Q(calendar_gap_year__isnull=False)), rep=Count("pk", filter=Q(repeat=True)))
    table = {i: {s: 0 for s in OPEN_STAGES} for i in Importance.values}
    gaps = repeats = 0
    for row in rows:
        table[row["importance"]][row["stage"]] = row["n"]
        gaps += row["gap"]
        repeats += row["rep"]
    return table, gaps, repeats


def open_by_importance_and_stage() -> dict:
    return open_counts()[0]


def _rate(on_time: int, total: int) -> dict:
    return {"total": total, "on_time": on_time, "rate": round(100 * on_time / total) if total else None}


def on_time_rates_7_30(now: datetime | None = None) -> tuple[list[dict], list[dict], int]:
    """Per deadline stage, over the deadlines that ended (met or breached) in the last 7 and 30 days, and the
    number of breaches of the last 7 days (1 query)."""
    now = now or timezone.now()
    since7, since30 = now - timedelta(days=7), now - timedelta(days=30)
    ended7 = Q(met_at__gte=since7) | Q(breached_at__gte=since7)
    ended30 = Q(met_at__gte=since30) | Q(breached_at__gte=since30)
    good = Q(breached_at__isnull=True, met_at__isnull=False)
    stats = {
        r["stage"]: r for r in ComplaintDeadline.objects.filter(cancelled_at__isnull=True).filter(ended30)
        .values("stage").annotate(
            t7=Count("pk", filter=ended7), g7=Count("pk", filter=ended7 & good),
            t30=Count("pk"), g30=Count("pk", filter=good), b7=Count("pk", filter=Q(breached_at__gte=since7)),
        )
    }
    r7, r30, breaches = [], [], 0
    for stage in DeadlineStage.values:
        row = stats.get(stage, {"t7": 0, "g7": 0, "t30": 0, "g30": 0, "b7": 0})
        label = DeadlineStage(stage).label
        r7.append({"stage": stage, "label": label, **_rate(row["g7"], row["t7"])})
        r30.append({"stage": stage, "label": label, **_rate(row["g30"], row["t30"])})
        breaches += row["b7"]
    return r7, r30, breaches


def on_time_rates(days: int, now: datetime | None = None) -> list[dict]:
    r7, r30, _b = on_time_rates_7_30(now)
    return r7 if days == 7 else r30


def repeat_open(limit: int = 20) -> list[Complaint]:
    qs = Complaint.objects.filter(stage__in=OPEN_STAGES, repeat=True).select_related("customer")
    return list(qs.order_by("received_at")[:limit])


def recent_breaches(days: int = 7, limit: int = 20, now: datetime | None = None) -> list[ComplaintBreach]:
    now = now or timezone.now()
    qs = ComplaintBreach.objects.filter(at__gte=now - timedelta(days=days)).select_related("complaint__customer")
    return list(qs.order_by("-at")[:limit])


def calendar_coverage_gap(days: int = 60, now: datetime | None = None):
    """R-CMP-WORKDAY: the first day within ``days`` whose year's official schedule is not loaded, or None (1 query)."""
    today = timezone.localdate(now or timezone.now())
    last = today + timedelta(days=days - 1)
    known = WorkCalendar.known_years(range(today.year, last.year + 1))
    for year in range(today.year, last.year + 1):
        if year not in known:
            return max(today, date(year, 1, 1))
    return None


def dashboard(now: datetime | None = None) -> dict:
    """The complaint panel of the manager's dashboard (a fixed number of queries)."""
    table, gaps, repeat_count = open_counts()
    rates_7, rates_30, breach_count = on_time_rates_7_30(now)
    return {
        "open": table,
        "open_rows": [{"importance": i, "label": Importance(i).label, "counts": [table[i][s] for s in OPEN_STAGES]}
                      for i in Importance.values],
        "rate_rows": [{"stage": a["stage"], "label": a["label"], "d7": a, "d30": b}
                      for a, b in zip(rates_7, rates_30, strict=True)],
        "open_stages": [(s, ComplaintStage(s).label) for s in OPEN_STAGES],
        "rates_7": rates_7, "rates_30": rates_30,
        "repeats": repeat_open() if repeat_count else [], "repeat_count": repeat_count,
        "breaches": recent_breaches(now=now) if breach_count else [], "breach_count": breach_count,
        "calendar_gap": calendar_coverage_gap(now=now), "waiting_for_calendar": gaps,
    }


def console_summary(now: datetime | None = None, limit: int = 5) -> dict:
    """The monitoring console's complaint card: open and overdue counts, and the most urgent few (3 queries)."""
    now = now or timezone.now()
    counts = Complaint.objects.filter(stage__in=OPEN_STAGES).aggregate(
        open=Count("pk"), important=Count("pk", filter=Q(importance=Importance.IMPORTANT)),
        overdue=Count("pk", filter=overdue_condition(now)),
    )
    urgent = list(open_queue()[:limit])
    return {"counts": counts, "urgent": urgent, "now": now}
