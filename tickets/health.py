"""Health checks beyond django-health-check's own: the broker, and the freshness of the last sweep.

``HealthView`` (``/health/``) also lists the warnings other apps register
(``supportdesk.core.hooks.register_health_warning``); a warning never fails the check (see hooks.py).
"""
from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json

from asgiref.sync import sync_to_async
from celery import current_app
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
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
        if not await self.may_see_details(request):
            # Anyone may learn whether the centre is healthy (status 200 / 500), not why: component errors
            # name hosts, ports and timings.
            with self.get_executor() as executor:
                results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
            failing = any(result.error for result in results)
            response = JsonResponse({"status": "fail" if failing else "ok"}, status=500 if failing else 200)
            patch_vary_headers(response, ["Accept"])
            add_never_cache_headers(response)
            return response
        self.warnings = await sync_to_async(hooks.current_health_warnings)()
        return await super().get(request, *args, **kwargs)

    @staticmethod
    async def may_see_details(request) -> bool:
        """Staff signed in, or the ``HEALTH_TOKEN`` (header ``X-Health-Token`` or ``?token=``)."""
        token = settings.HEALTH_TOKEN
        offered = request.headers.get("X-Health-Token") or request.GET.get("token") or ""
        if token and offered and hmac.compare_digest(offered.encode(), token.encode()):
            return True
        user = await request.auser()
        return bool(user.is_authenticated and user.is_staff)

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
