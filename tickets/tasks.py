"""Celery tasks: take ids, call one service, nothing else."""
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services.escalation import due_deadlines, sweep


def _sweep_queue() -> dict:
    """Shares of a sweep go where the sweep itself goes (its own queue when the settings route it)."""
    route = getattr(settings, "CELERY_TASK_ROUTES", {}).get("tickets.tasks.sweep_deadlines", {})
    return {"queue": route["queue"]} if route.get("queue") else {}


@shared_task(name="tickets.tasks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> str:
    """The beat schedule runs this every SWEEP_INTERVAL_SECONDS.

    A big sweep (more than SWEEP_FANOUT_FROM due deadlines, a regional outage) is split in SWEEP_FANOUT shares by
    ticket id: the other shares go to the sweep queue as ``sweep_share`` tasks, for every free worker process,
    and this task answers share 0 (and re-queues deliveries, runs the other apps' steps)."""
    now = timezone.now()
    shares = getattr(settings, "SWEEP_FANOUT", 1)
    threshold = getattr(settings, "SWEEP_FANOUT_FROM", 200)
    if shares > 1 and len(due_deadlines(now, threshold + 1)) > threshold:
        for k in range(1, shares):
            sweep_share.apply_async((k, shares, now.isoformat()), **_sweep_queue())
        return sweep(origin="beat", now=now, part=(0, shares)).line()
    return sweep(origin="beat", now=now).line()


@shared_task(name="tickets.tasks.sweep_share", ignore_result=True)
def sweep_share(k: int, shares: int, now: str) -> str:
    """One share of a big sweep: the due deadlines of the tickets whose id is ``k`` modulo ``shares``."""
    return sweep(origin=f"beat {k}/{shares}", now=datetime.fromisoformat(now), part=(k, shares)).line()


@shared_task(name="tickets.tasks.refresh_dashboard", ignore_result=True)
def refresh_dashboard() -> str:
    """Beat runs this every DASHBOARD_FIGURES_INTERVAL_SECONDS: the dashboard's window figures, kept."""
    from .services.dashboard import refresh_dashboard_figures

    return f"dashboard figures at {refresh_dashboard_figures().computed_at.isoformat()}"
