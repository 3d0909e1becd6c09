"""Celery tasks of the visits domain: each calls one service."""
from celery import shared_task

from . import services


@shared_task(name="visits.tasks.send_visit_reminders", ignore_result=True)
def send_visit_reminders() -> int:
    """R-VISIT-1 / R-VISIT-3 reminders (beat schedule ``visit-reminders``)."""
    return services.send_reminders().total


@shared_task(name="visits.tasks.propose_fault_review", ignore_result=True)
def propose_fault_review(ticket_id: int) -> int | None:
    visit = services.propose_fault_review(ticket_id=ticket_id)
    return visit.pk if visit else None
