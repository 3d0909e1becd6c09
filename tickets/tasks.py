"""Celery tasks: take ids, call one service, nothing else."""
from celery import shared_task

from .services.escalation import sweep


@shared_task(name="tickets.tasks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> str:
    """The beat schedule runs this every minute (SWEEP_INTERVAL_SECONDS)."""
    return sweep(origin="beat").line()
