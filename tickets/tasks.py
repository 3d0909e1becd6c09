"""Celery tasks: take ids, call one service, nothing else."""
from celery import shared_task

from .services.escalation import sweep


@shared_task(name="tickets.tasks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> str:
    """The beat schedule runs this every minute (SWEEP_INTERVAL_SECONDS)."""
    return sweep(origin="beat").line()


@shared_task(name="tickets.tasks.refresh_dashboard", ignore_result=True)
def refresh_dashboard() -> str:
    """Beat runs this every DASHBOARD_FIGURES_INTERVAL_SECONDS: the dashboard's window figures, kept."""
    from .services.dashboard import refresh_dashboard_figures

    return f"dashboard figures at {refresh_dashboard_figures().computed_at.isoformat()}"
