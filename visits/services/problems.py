"""Problems collected on a visit (R-VISIT-3): owner and due date, follow-up, fault tickets."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import User
from supportdesk.core import timebounds
from supportdesk.core.errors import Conflict, NotFound, TransitionNotAllowed
from tickets.choices import AlarmCategory, Outage, Severity, TicketSource
from tickets.models import FaultTicket
from tickets.permissions import can as can_on_tickets
from tickets.services import create_ticket

from ..choices import (
    VisitEventKind,
)
from ..models import (
    VisitProblem,
)
from ._common import (
    _fail,
    _lock,
    _record,
    _require_not_cancelled,
    _text,
    _user,
    ensure_may,
)


# --------------------------------------------------------------------------- problems (R-VISIT-3)
@transaction.atomic
def add_problem(
    *,
    visit_id: int,
    by: User | None,
    description: str,
    solved_on_site: bool = False,
    solution: str = "",
    owner_id: int | None = None,
    due_date: date | None = None,
) -> VisitProblem:
    """R-VISIT-3: one problem collected on site — solved on the spot, or given an owner and a due date."""
    visit = _lock(visit_id)
    ensure_may(by, "change_visit", visit)
    _require_not_cancelled(visit, _("记录问题"))
    errors: dict[str, list[str]] = {}
    description = _text(description)
    if not description:
        errors["description"] = [_("须描述问题")]
    owner = None
    if not solved_on_site:
        owner = _user(owner_id, "owner", errors)
        if owner is None and "owner" not in errors:
            errors["owner"] = [_("R-VISIT-3：现场未解决的问题须指定跟进责任人")]
        if due_date is None:
            errors["due_date"] = [_("R-VISIT-3：现场未解决的问题须指定跟进期限")]
        elif not isinstance(due_date, date) or isinstance(due_date, datetime):
            errors["due_date"] = [_("须为日期")]
        elif due_date < timezone.localdate():
            errors["due_date"] = [_("跟进期限不能早于今天")]
        elif timebounds.problem(due_date, planned=True):
            errors["due_date"] = [timebounds.problem(due_date, planned=True)]
    _fail(errors)
    problem = VisitProblem.objects.create(
        visit=visit,
        description=description,
        solved_on_site=bool(solved_on_site),
        solution=_text(solution),
        owner=owner,
        due_date=None if solved_on_site else due_date,
        created_by=by,
    )
    _record(
        visit,
        kind=VisitEventKind.PROBLEM,
        by=by,
        note=description[:200],
        data={"problem": problem.pk, "solved_on_site": problem.solved_on_site, "rule": "R-VISIT-3"},
    )
    return problem


@transaction.atomic
def record_follow_up(
    *, problem_id: int, by: User | None, note: str, close: bool = False, due_date: date | None = None, owner_id: int | None = None
) -> VisitProblem:
    """R-VISIT-3: follow-up on an open problem: a note, optionally a new owner or due date, or closing it."""
    problem = VisitProblem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("问题 %(id)s 不存在") % {"id": problem_id}, code="problem_not_found")
    ensure_may(by, "change_visit", problem.visit)
    if not problem.open_follow_up:
        raise TransitionNotAllowed(_("该问题已解决或已完成跟进"), code="problem_closed")
    note = _text(note)
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("须填写跟进情况")]
    if owner_id:
        problem.owner = _user(owner_id, "owner", errors) or problem.owner
    if due_date is not None:
        if due_date < timezone.localdate():
            errors["due_date"] = [_("跟进期限不能早于今天")]
        elif timebounds.problem(due_date, planned=True):
            errors["due_date"] = [timebounds.problem(due_date, planned=True)]
        else:
            problem.due_date = due_date
    _fail(errors)
    stamp = f"{timezone.localtime():%Y-%m-%d %H:%M} {by.get_username() if by else 'system'}"
    problem.follow_up = f"{problem.follow_up}\n[{stamp}] {note}".strip()
    if close:
        problem.closed_at, problem.closed_by = timezone.now(), by
    problem.save()
    _record(problem.visit, kind=VisitEventKind.FOLLOW_UP, by=by, note=note, data={"problem": problem.pk, "closed": bool(close)})
    return problem


@transaction.atomic
def raise_problem_ticket(
    *,
    problem_id: int,
    by: User | None,
    title: str = "",
    circuit_id: str = "",
    category: str = AlarmCategory.OTHER,
    severity: str = Severity.MAJOR,
    outage: str = Outage.PARTIAL,
) -> FaultTicket:
    """R-VISIT-3: a problem collected on a visit becomes a fault ticket (source ``visit``), linked both ways:
    the problem keeps the ticket, the ticket reaches the problem through ``visit_problems``.

    Someone who may open tickets opens (and, if they may, dispatches) it themselves; otherwise it enters
    the queue as a ``new`` ticket for the monitoring room to dispatch (docs/rules.md §3.2).
    """
    problem = VisitProblem.objects.select_for_update().select_related("visit__customer").filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("问题 %(id)s 不存在") % {"id": problem_id}, code="problem_not_found")
    ensure_may(by, "change_visit", problem.visit)
    if problem.ticket_id is not None:
        raise Conflict(_("该问题已转为故障工单 %(number)s") % {"number": problem.ticket.number}, code="problem_has_ticket",
                       params={"number": problem.ticket.number})
    visit = problem.visit
    creator = by if by is not None and can_on_tickets(by, "create") else None
    occurred_at = min(visit.actual_at or problem.created_at, timezone.now())
    who = str(by) if by else "system"
    ticket = create_ticket(
        by=creator,
        title=_text(title) or problem.description[:120],
        occurred_at=occurred_at,
        source=TicketSource.VISIT,
        customer_id=visit.customer_id,
        circuit_id=_text(circuit_id),
        category=category,
        severity=severity,
        outage=outage,
        dispatch_now=creator is not None,
        description=_("拜访 %(number)s 收集的问题（%(who)s 记录）：%(text)s")
        % {"number": visit.number, "who": who, "text": problem.description},
    )
    problem.ticket = ticket
    problem.save(update_fields=["ticket"])
    _record(
        visit,
        kind=VisitEventKind.PROBLEM_TICKET,
        by=by,
        note=ticket.number,
        data={"problem": problem.pk, "ticket": ticket.number, "rule": "R-VISIT-3"},
    )
    return ticket
