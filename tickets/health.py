"""Health checks beyond django-health-check's own: the broker, and the freshness of the last sweep."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from .models import SweepRun


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis, or the filesystem broker of a single machine)."""

    def run(self):
        from supportdesk.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


@dataclasses.dataclass
class SweepFreshness(HealthCheck):
    """The deadline sweep ran recently: a lost beat is noticed, not discovered."""

    def run(self):
        last = last_sweep()
        limit = timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)
        if last is None:
            raise ServiceUnavailable("no deadline sweep has run yet")
        age = timezone.now() - last.finished_at
        if age > limit:
            raise ServiceUnavailable(
                f"last deadline sweep {int(age.total_seconds())} s ago (limit {int(limit.total_seconds())} s)"
            )


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-finished_at").first()


def sweep_is_stale(now=None) -> bool:
    last = last_sweep()
    now = now or timezone.now()
    return last is None or now - last.finished_at > timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)


CHECKS = (
    "health_check.checks.Database",
    "tickets.health.Broker",
    "tickets.health.SweepFreshness",
)
