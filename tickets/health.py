"""Health checks beyond django-health-check's own: the broker, and the freshness of the last sweep.

``HealthView`` (``/health/``) also lists the warnings other apps register
(``supportdesk.core.hooks.register_health_warning``); a warning never fails the check (see hooks.py).
"""
from __future__ import annotations

import dataclasses
import json

from asgiref.sync import sync_to_async
from celery import current_app
from django.http import HttpResponse, JsonResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from supportdesk.core import hooks

from .selectors import last_sweep, sweep_stale_after


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis, or the filesystem broker of a single machine)."""

    def run(self):
        try:
            with current_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


@dataclasses.dataclass
class SweepFreshness(HealthCheck):
    """The deadline sweep ran recently: a lost beat is noticed, not discovered."""

    def run(self):
        last = last_sweep()
        if last["run"] is None:
            raise ServiceUnavailable("no deadline sweep has run yet")
        if last["stale"]:
            raise ServiceUnavailable(f"last deadline sweep {int(last['age'].total_seconds())} s ago "
                                     f"(limit {int(sweep_stale_after().total_seconds())} s)")


CHECKS = (
    "health_check.checks.Database",
    "tickets.health.Broker",
    "tickets.health.SweepFreshness",
)


class HealthView(HealthCheckView):
    """django-health-check's view plus the registered warnings (listed; the status is the checks' alone)."""

    checks = CHECKS

    async def get(self, request, *args, **kwargs):
        self.warnings = await sync_to_async(hooks.current_health_warnings)()
        return await super().get(request, *args, **kwargs)

    def render_to_response_json(self, status):
        response = super().render_to_response_json(status)
        if not self.warnings:
            return response
        body = json.loads(response.content)
        body.update({f"warning:{name}": text for name, text in self.warnings})
        return JsonResponse(body, status=status)

    def render_to_response_text(self, status):
        response = super().render_to_response_text(status)
        if not self.warnings:
            return response
        lines = "".join(f"warning:{name}: {text}\n" for name, text in self.warnings)
        return HttpResponse(response.content.decode() + lines, content_type=response["Content-Type"], status=status)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "warnings": self.warnings}
