"""Celery tasks: take ids, call one service, nothing else."""
from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def evaluate_quality() -> str:
    """R-QUAL-THRESHOLD / R-QUAL-FLUCT / R-QUAL-PROACTIVE: roll up and evaluate the new intervals (beat)."""
    return services.evaluate().line()


@shared_task(ignore_result=True)
def apply_quality_retention() -> dict:
    return services.apply_retention()


@shared_task(ignore_result=True)
def run_scheduled_dial_tests() -> dict:
    """R-QUAL-DIAL: the per-tier schedule (beat)."""
    return services.run_scheduled_dial_tests()


@shared_task(ignore_result=True)
def dial_for_dispatched_ticket(ticket_id: int) -> None:
    """R-QUAL-DIAL: a leased line's ticket was dispatched (queued on commit by the transition hook)."""
    from .services.dial import dial_for_dispatched_ticket as dial

    dial(ticket_id=ticket_id)
