"""Reminders (R-VISIT-1, R-VISIT-3), each sent at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import notify, selectors
from ..choices import (
    ReminderKind,
)
from ..models import (
    Visit,
    VisitProblem,
    VisitReminder,
)
from ._common import (
    log,
)


# --------------------------------------------------------------------------- reminders
@dataclass
class ReminderRun:
    call_due: int = 0
    follow_up_tomorrow: int = 0
    follow_up_overdue: int = 0

    @property
    def total(self) -> int:
        return self.call_due + self.follow_up_tomorrow + self.follow_up_overdue


def _once(kind: str, *, visit: Visit | None = None, problem: VisitProblem | None = None, send) -> bool:
    """Claim the reminder row and send in one savepoint: a duplicate claim sends nothing."""
    try:
        with transaction.atomic():
            reminder = VisitReminder.objects.create(kind=kind, visit=visit, problem=problem)
            reminder.notification = send()
            reminder.save(update_fields=["notification"])
    except IntegrityError:
        return False
    return True


def send_reminders(*, now: datetime | None = None) -> ReminderRun:
    """R-VISIT-1 / R-VISIT-3 reminders, each at most once: the appointment call not made before a visit,
    a follow-up due tomorrow, a follow-up overdue."""
    now = now or timezone.now()
    run = ReminderRun()
    for visit in selectors.visits_needing_call_reminder(now):
        run.call_due += _once(ReminderKind.CALL_DUE, visit=visit, send=lambda v=visit: notify.call_due(v))
    for problem in selectors.followups_due_tomorrow(now).exclude(reminders__kind=ReminderKind.FOLLOW_UP_TOMORROW):
        run.follow_up_tomorrow += _once(
            ReminderKind.FOLLOW_UP_TOMORROW, problem=problem, send=lambda p=problem: notify.follow_up_tomorrow(p)
        )
    for problem in selectors.overdue_followups(now).exclude(reminders__kind=ReminderKind.FOLLOW_UP_OVERDUE):
        run.follow_up_overdue += _once(
            ReminderKind.FOLLOW_UP_OVERDUE, problem=problem, send=lambda p=problem: notify.follow_up_overdue(p)
        )
    if run.total:
        log.info("visit reminders: %s", run)
    return run
