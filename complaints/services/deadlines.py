"""R-CMP-LIMITS: stage deadlines as rows, created when a stage starts, answered when it ends, and the
sweep step that records each breach once and escalates it (R-CMP-WORKDAY for the working-day clocks)."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..choices import DeadlineStage, EventKind, LimitUnit
from ..models import Complaint, ComplaintBreach, ComplaintDeadline, ComplaintPolicy
from ..workcalendar import CalendarYearUnknown, WorkCalendar
from ._common import record_event

log = logging.getLogger(__name__)
VIA = "deadline-sweep"


def policy_for(importance: str) -> ComplaintPolicy:
    return ComplaintPolicy.objects.get(importance=importance)


def due_from(start: datetime, limit, unit: str, *, calendar: WorkCalendar | None = None) -> datetime:
    """Hour limits are wall-clock hours; day limits are working days (raises ``CalendarYearUnknown``)."""
    if unit == LimitUnit.HOURS:
        return start + timedelta(hours=float(limit))
    return (calendar or WorkCalendar.load()).add_working_days(start, limit)


def start_deadline(
    complaint: Complaint, stage: str, *, start: datetime, calendar: WorkCalendar | None = None,
    policy: ComplaintPolicy | None = None,
) -> ComplaintDeadline:
    """Create (or, for ``total``, re-time) the stage's deadline row for the complaint's current round.

    A clock that needs a year the calendar does not know gets no ``due_at`` but ``calendar_gap_year``
    (shown on the complaint; the sweep times it once the year is loaded).
    """
    policy = policy or policy_for(complaint.importance)
    limit, unit = policy.limit(stage, other_department=complaint.other_department)
    try:
        due, gap = due_from(start, limit, unit, calendar=calendar), None
    except CalendarYearUnknown as exc:
        due, gap = None, exc.year
    deadline, _created = ComplaintDeadline.objects.update_or_create(
        complaint=complaint, stage=stage, round=complaint.round,
        defaults={"started_at": start, "limit": limit, "unit": unit, "due_at": due, "calendar_gap_year": gap},
    )
    if gap is not None and complaint.calendar_gap_year != gap:
        complaint.calendar_gap_year = gap
        complaint.save(update_fields=["calendar_gap_year"])
        record_event(complaint, kind=EventKind.CALENDAR_GAP, via="calendar", note=CalendarYearUnknown(gap).message,
                     data={"stage": stage, "year": gap})
    return deadline


def meet(complaint: Complaint, stage: str, *, at: datetime) -> None:
    ComplaintDeadline.objects.filter(
        complaint=complaint, stage=stage, round=complaint.round, met_at__isnull=True, cancelled_at__isnull=True
    ).update(met_at=at)


def cancel_open(complaint: Complaint, *, at: datetime) -> None:
    ComplaintDeadline.objects.filter(complaint=complaint, met_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=at
    )


# --------------------------------------------------------------------------- the sweep step
@dataclass
class ComplaintSweepSummary:
    breaches: int = 0
    timed: int = 0
    still_unknown: int = 0
    skipped_locked: int = 0

    def line(self) -> str:
        return " ".join(f"complaint_{k}={v}" for k, v in asdict(self).items())


def sweep_complaint_deadlines(*, now: datetime | None = None, batch: int = 500) -> ComplaintSweepSummary:
    """R-CMP-LIMITS: one pass of the deadline sweep over complaint deadlines.

    Due rows are taken with ``skip_locked`` (two sweeps never take the same row); each breach is a
    ``ComplaintBreach`` row, unique per deadline, so a repeated or concurrent sweep records it once.
    Rows waiting for an unknown calendar year are timed as soon as the year is loaded.
    """
    now = now or timezone.now()
    summary = ComplaintSweepSummary()
    rows = list(
        ComplaintDeadline.objects.filter(met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)
        .filter(Q(due_at__lte=now) | Q(due_at__isnull=True, calendar_gap_year__isnull=False))
        .order_by(F("due_at").asc(nulls_first=True)).values_list("pk", "due_at", "calendar_gap_year")[:batch]
    )
    waiting = [(pk, year) for pk, due, year in rows if due is None]
    if waiting:
        _time_waiting_rows(waiting, WorkCalendar.load(), summary)
    for deadline_id in [pk for pk, due, _year in rows if due is not None]:
        try:
            if _breach(deadline_id, now=now):
                summary.breaches += 1
            else:
                summary.skipped_locked += 1
        except Exception:  # noqa: BLE001 - one row's failure must not stop the others
            log.exception("complaint deadline %s: breach failed", deadline_id)
    return summary


def _time_waiting_rows(waiting, calendar: WorkCalendar, summary: ComplaintSweepSummary) -> None:
    for deadline_id, year in waiting:
        if not calendar.knows_year(year):
            summary.still_unknown += 1
            continue
        with transaction.atomic():
            row = ComplaintDeadline.objects.select_for_update(skip_locked=True).filter(pk=deadline_id).first()
            if row is None or row.due_at is not None:
                continue
            try:
                row.due_at = due_from(row.started_at, row.limit, row.unit, calendar=calendar)
            except CalendarYearUnknown as exc:
                row.calendar_gap_year = exc.year
                row.save(update_fields=["calendar_gap_year"])
                summary.still_unknown += 1
                continue
            row.calendar_gap_year = None
            row.save(update_fields=["due_at", "calendar_gap_year"])
            Complaint.objects.filter(pk=row.complaint_id).exclude(
                deadlines__calendar_gap_year__isnull=False, deadlines__met_at__isnull=True,
                deadlines__cancelled_at__isnull=True,
            ).update(calendar_gap_year=None)
            summary.timed += 1


@transaction.atomic
def _breach(deadline_id: int, *, now: datetime) -> bool:
    from .. import notify

    row = (
        ComplaintDeadline.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("complaint__route__leader", "complaint__customer")
        .filter(pk=deadline_id, met_at__isnull=True, breached_at__isnull=True, cancelled_at__isnull=True)
        .first()
    )
    if row is None:
        return False
    complaint = row.complaint
    try:
        with transaction.atomic():
            breach = ComplaintBreach.objects.create(deadline=row, complaint=complaint, stage=row.stage, at=now)
    except IntegrityError:
        return False  # recorded already (complaint_breach unique per deadline)
    row.breached_at = now
    row.save(update_fields=["breached_at"])
    recipients = notify.breach_recipients(complaint)
    breach.escalated_to = ", ".join(u.get_username() for u in recipients)[:300]
    breach.save(update_fields=["escalated_to"])
    record_event(complaint, kind=EventKind.BREACH, via=VIA, at=now, note="R-CMP-LIMITS",
                 data={"stage": row.stage, "round": row.round, "due_at": row.due_at.isoformat()})
    notify.breach(complaint, row, recipients)
    return True


STAGE_OF_DEADLINE = {
    DeadlineStage.SORTING: "sort", DeadlineStage.ANALYSIS: "analyse", DeadlineStage.HANDLING: "handle",
    DeadlineStage.TOTAL: "reply",
}
