"""The questions about visits: the agenda, coverage per customer and tier, follow-ups due (reads only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Max, Min, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.choices import TIER_RANK, Tier
from customers.models import Customer

from .choices import UPCOMING_STATES, ParticipantKind, ReminderKind, VisitState
from .models import AppointmentCall, IncomingDocument, Visit, VisitDocument, VisitParticipant, VisitPolicy, VisitProblem


def visits() -> QuerySet[Visit]:
    return Visit.objects.select_related("customer", "owner")


def problems() -> QuerySet[VisitProblem]:
    """Problems with what their rows show (owner, ticket)."""
    return VisitProblem.objects.select_related("owner", "ticket")


def documents() -> QuerySet[VisitDocument]:
    """Documents with what their rows show (author, template, the reviews and their reviewers)."""
    return VisitDocument.objects.select_related("author", "template").prefetch_related("reviews__reviewer")


def visit_list(*, state: str = "", kind: str = "", customer_id: int | None = None, owner_id: int | None = None,
               upcoming: bool | None = None) -> QuerySet[Visit]:
    qs = visits()
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if upcoming is True:
        qs = qs.filter(state__in=UPCOMING_STATES).order_by("planned_at")
    elif upcoming is False:
        qs = qs.exclude(state__in=UPCOMING_STATES)
    return qs


def visit_detail(visit_id: int) -> Visit:
    """One visit with everything its page and its API detail show, in a fixed number of queries."""
    return (
        visits()
        .select_related("checklist_template", "proposed_for", "created_by")
        .prefetch_related(
            Prefetch("participants", queryset=VisitParticipant.objects.select_related("user", "lead", "room")),
            "customer_participants",
            Prefetch("calls", queryset=AppointmentCall.objects.select_related("caller")),
            Prefetch("problems", queryset=VisitProblem.objects.select_related("owner", "ticket")),
            "documents__reviews__reviewer", "documents__template", "documents__author",
            "inspection_results__item", "checklist_template__items", "tickets", "events",
        )
        .get(pk=visit_id)
    )


@dataclass
class AgendaDay:
    day: date
    visits: list[Visit] = field(default_factory=list)


def agenda(*, start: date | None = None, days: int = 14, owner_id: int | None = None) -> list[AgendaDay]:
    """Upcoming visits (planned or confirmed) grouped by local day, from ``start`` for ``days`` days."""
    start = start or timezone.localdate()
    tz = timezone.get_current_timezone()
    begin = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    end = begin + timedelta(days=days)
    qs = (
        visits()
        .filter(state__in=UPCOMING_STATES, planned_at__gte=begin, planned_at__lt=end)
        .annotate(call_count=Count("calls"))
        .order_by("planned_at")
    )
    if owner_id:
        qs = qs.filter(Q(owner_id=owner_id) | Q(participants__user_id=owner_id)).distinct()
    by_day: dict[date, AgendaDay] = {}
    for visit in qs:
        day = timezone.localtime(visit.planned_at).date()
        by_day.setdefault(day, AgendaDay(day)).visits.append(visit)
    return list(by_day.values())


# --------------------------------------------------------------------------- policies
def visit_policies() -> dict[str, VisitPolicy]:
    """Each tier's visit policy (SPEC §4): its row, or — an administrator removed it — an unsaved policy with the
    defaults (``VisitPolicy.DEFAULTS`` and the field defaults). The one place the defaults are merged."""
    rows = {policy.tier: policy for policy in VisitPolicy.objects.all()}
    return {tier: rows.get(tier) or VisitPolicy(tier=tier, **VisitPolicy.DEFAULTS[Tier(tier)]) for tier in Tier.values}


def visit_policy_for(tier: str) -> VisitPolicy:
    """One tier's visit policy (see ``visit_policies``)."""
    return VisitPolicy.objects.filter(tier=tier).first() or VisitPolicy(tier=tier, **VisitPolicy.DEFAULTS[Tier(tier)])


# --------------------------------------------------------------------------- reminders
def visits_needing_call_reminder(now: datetime) -> QuerySet[Visit]:
    """R-VISIT-1: planned visits without an appointment call that start within the tier's reminder window."""
    hours = {tier: policy.call_reminder_hours for tier, policy in visit_policies().items()}
    window = Q()
    for tier, before in hours.items():
        window |= Q(customer__tier=tier, planned_at__lte=now + timedelta(hours=before))
    return (
        visits()
        .filter(window, state=VisitState.PLANNED, planned_at__gt=now, calls__isnull=True)
        .exclude(reminders__kind=ReminderKind.CALL_DUE)
        .prefetch_related(Prefetch("participants", queryset=VisitParticipant.objects.select_related("user")
                                   .exclude(kind=ParticipantKind.VENDOR)))
        .order_by("planned_at")
    )


def open_followups() -> QuerySet[VisitProblem]:
    return VisitProblem.objects.filter(solved_on_site=False, closed_at__isnull=True).select_related(
        "visit__customer", "owner", "ticket"
    )


def followups_due_tomorrow(now: datetime) -> QuerySet[VisitProblem]:
    """R-VISIT-3: open follow-ups whose due date is tomorrow (local calendar)."""
    return open_followups().filter(due_date=timezone.localdate(now) + timedelta(days=1)).order_by("id")


def overdue_followups(now: datetime) -> QuerySet[VisitProblem]:
    """R-VISIT-3: open follow-ups past their due date (local calendar), oldest first."""
    return open_followups().filter(due_date__lt=timezone.localdate(now)).order_by("due_date", "id")


# --------------------------------------------------------------------------- coverage
@dataclass
class CoverageRow:
    customer: Customer
    last_visit_at: datetime | None
    due_at: datetime
    next_visit_at: datetime | None

    @property
    def days_overdue(self) -> int:
        return max((timezone.now() - self.due_at).days, 0)


@dataclass
class TierCoverage:
    tier: str
    label: str
    interval_days: int | None
    customers: int = 0
    overdue: list[CoverageRow] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return self.customers - len(self.overdue)

    @property
    def tracked(self) -> bool:
        return self.interval_days is not None


def coverage_report(now: datetime | None = None) -> list[TierCoverage]:
    """Managers' view of visit coverage (docs/rules.md §4): per tier, the customers whose last done visit (or, never
    visited, their registration) is older than the tier's interval, most overdue first. Two queries."""
    now = now or timezone.now()
    policies = {tier: policy.interval_days for tier, policy in visit_policies().items()}
    counts = dict(Customer.objects.values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))
    report = {
        tier: TierCoverage(tier=tier, label=str(Tier(tier).label), interval_days=policies.get(tier),
                           customers=counts.get(tier, 0))
        for tier in sorted(Tier.values, key=lambda t: TIER_RANK[t])
    }
    overdue_q = Q(pk__in=[])
    for tier, days in policies.items():
        if days:
            overdue_q |= Q(tier=tier, since__lt=now - timedelta(days=days))
    rows = (
        Customer.objects.annotate(
            last_visit_at=Max("visits__actual_at", filter=Q(visits__state=VisitState.DONE)),
            next_visit_at=Min("visits__planned_at",
                              filter=Q(visits__state__in=UPCOMING_STATES, visits__planned_at__gte=now)),
        )
        .annotate(since=ExpressionWrapper(Coalesce(F("last_visit_at"), F("created_at")), output_field=DateTimeField()))
        .filter(overdue_q)
        .order_by("since", "code")
    )
    for customer in rows:
        days = policies[customer.tier]
        report[customer.tier].overdue.append(CoverageRow(
            customer=customer, last_visit_at=customer.last_visit_at, due_at=customer.since + timedelta(days=days),
            next_visit_at=customer.next_visit_at,
        ))
    return list(report.values())


def customer_correspondence(customer_id: int) -> dict:
    """R-VISIT-4: all correspondence with one customer — the documents sent to them (with or without a visit) and
    the documents received from them — newest first."""
    return {
        "outgoing": list(documents().filter(customer_id=customer_id).select_related("visit", "ticket")
                         .order_by("-created_at")),
        "incoming": list(IncomingDocument.objects.filter(customer_id=customer_id)
                         .select_related("visit", "ticket", "registered_by", "acknowledged_by")
                         .order_by("-received_at")),
    }
