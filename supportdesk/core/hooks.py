"""Registries through which an app adds to what a lower app runs or shows, without the lower app importing it.

Imports point one way (``staff → customers → tickets → visits · complaints · quality``). When a lower app
must run or show something of a higher one — the deadline sweep doing the work of another domain, the
manager's dashboard showing another domain's panel — the higher app registers it here, in its
``AppConfig.ready()``::

    class VisitsConfig(AppConfig):
        def ready(self):
            from supportdesk.core import hooks
            from . import panels, sweep

            hooks.register_sweep_step("visits.reminders", sweep.send_due_reminders)
            hooks.register_dashboard_panel("visits", template="visits/_dashboard_panel.html",
                                           context=panels.dashboard_context, order=100)

Registering a name (or key) again replaces the earlier entry, so ``ready()`` may run twice.
A reaction to a fact of a lower app (a ticket transitioned) is a Django signal of that app
(``tickets.signals.ticket_transitioned``), not a hook.

The registries:

``register_sweep_step(name, fn)`` / ``sweep_steps()``
    The one deadline sweep (``tickets.services.escalation.sweep``, run by Celery beat as
    ``tickets.tasks.sweep_deadlines`` and by ``manage.py sweep_deadlines``) calls every step after the ticket
    deadlines, in registration order: ``fn(*, now: datetime) -> dict[str, int]``. Each step runs in its own
    transaction and its own error isolation: a step that raises is rolled back and logged, and the others
    still run. The counts it returns are added to the sweep's summary (``name.key=n`` in the one-line summary)
    and kept on the ``SweepRun`` row (``SweepRun.steps``); a failed step is recorded as ``{"failed": 1}``.

``register_dashboard_panel(key, *, template, context, order=100)`` / ``dashboard_panels()``
    The manager's dashboard renders, after its own panels and by ascending ``order`` (then key), each panel's
    ``template`` with ``context(request) -> dict`` (``request`` is added to it).

``register_console_panel(key, *, template, context, order=100)`` / ``console_panels()``
    The same on the monitoring console.

``register_ticket_panel(key, *, template, context, order=100)`` / ``ticket_panels()``
    A ticket's page renders, after its own sections, each panel's ``template`` with
    ``context(request, ticket) -> dict`` (``request`` and ``ticket`` are added to it).

``register_stats_metric(name, *, label, per_circuit)`` / ``stats_metrics()``
    The quality statistics (R-QUAL-STATS, ``quality.stats``) add a column per registered metric:
    ``per_circuit(*, start, end) -> {circuit_pk: count}`` (one query; e.g. complaints received in the period),
    summed into each group of circuits (customer, circuit, service type, tier).

``register_health_warning(name, fn)`` / ``health_warnings()``
    ``fn() -> str | None``: a sentence for people when something needs attention, else None. ``/health/``
    lists each current warning (JSON: ``"warning:<name>": "<text>"``; ``?format=text``: one line each) and the
    manager's dashboard shows them. **A warning does not fail the health check** (the status stays 200): health
    answers "is the service up?" for a load balancer or a monitor; a warning is work for a person. A check that
    must fail health is a django-health-check ``HealthCheck`` in ``tickets.health.CHECKS``. A warning function
    that raises is logged and shown as "<name>: check failed".
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

SweepStep = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[object], dict]
    order: int = 100

    def render_context(self, request) -> dict:
        return {**self.context(request), "request": request}


_sweep_steps: dict[str, SweepStep] = {}
_dashboard_panels: dict[str, Panel] = {}
_console_panels: dict[str, Panel] = {}
_ticket_panels: dict[str, Panel] = {}
_stats_metrics: dict[str, tuple[str, Callable[..., dict[int, int]]]] = {}
_health_warnings: dict[str, Callable[[], str | None]] = {}


# --------------------------------------------------------------------------- the deadline sweep
def register_sweep_step(name: str, fn: SweepStep) -> None:
    """Have the deadline sweep call ``fn(*, now) -> dict[str, int]`` after the ticket deadlines."""
    _sweep_steps[name] = fn


def sweep_steps() -> list[tuple[str, SweepStep]]:
    return list(_sweep_steps.items())


def run_sweep_steps(*, now: datetime, atomic=None) -> dict[str, dict[str, int]]:
    """Run every step, each isolated; ``{name: counts}`` (a failed step: ``{"failed": 1}``).

    ``atomic`` is ``django.db.transaction.atomic`` (passed in so this module needs no database).
    """
    results: dict[str, dict[str, int]] = {}
    for name, fn in sweep_steps():
        try:
            if atomic is not None:
                with atomic():
                    counts = fn(now=now)
            else:
                counts = fn(now=now)
            results[name] = {str(k): int(v) for k, v in (counts or {}).items()}
        except Exception:  # noqa: BLE001 - one failing step must not stop the others
            log.exception("sweep step %s failed", name)
            results[name] = {"failed": 1}
    return results


# --------------------------------------------------------------------------- pages
def register_dashboard_panel(key: str, *, template: str, context: Callable[[object], dict], order: int = 100) -> None:
    """Show ``template`` rendered with ``context(request)`` on the manager's dashboard, after its own panels."""
    _dashboard_panels[key] = Panel(key, template, context, order)


def dashboard_panels() -> list[Panel]:
    return sorted(_dashboard_panels.values(), key=lambda p: (p.order, p.key))


def register_console_panel(key: str, *, template: str, context: Callable[[object], dict], order: int = 100) -> None:
    """Show ``template`` rendered with ``context(request)`` on the monitoring console, after its own panels."""
    _console_panels[key] = Panel(key, template, context, order)


def console_panels() -> list[Panel]:
    return sorted(_console_panels.values(), key=lambda p: (p.order, p.key))


def register_ticket_panel(key: str, *, template: str, context: Callable[..., dict], order: int = 100) -> None:
    """Show ``template`` rendered with ``context(request, ticket)`` on a ticket's page, after its own sections."""
    _ticket_panels[key] = Panel(key, template, context, order)


def ticket_panels() -> list[Panel]:
    return sorted(_ticket_panels.values(), key=lambda p: (p.order, p.key))


# --------------------------------------------------------------------------- statistics
def register_stats_metric(name: str, *, label, per_circuit: Callable[..., dict[int, int]]) -> None:
    """Add a per-circuit count (``per_circuit(*, start, end) -> {circuit_pk: n}``) to the quality statistics."""
    _stats_metrics[name] = (label, per_circuit)


def stats_metrics() -> list[tuple[str, str, Callable[..., dict[int, int]]]]:
    return [(name, label, fn) for name, (label, fn) in _stats_metrics.items()]


# --------------------------------------------------------------------------- health
def register_health_warning(name: str, fn: Callable[[], str | None]) -> None:
    """List ``fn()`` on /health/ and the dashboard when it is not None (it never fails health)."""
    _health_warnings[name] = fn


def health_warnings() -> list[tuple[str, Callable[[], str | None]]]:
    return list(_health_warnings.items())


def current_health_warnings() -> list[tuple[str, str]]:
    """``[(name, text)]`` of the warnings that hold now."""
    found = []
    for name, fn in health_warnings():
        try:
            text = fn()
        except Exception:  # noqa: BLE001 - a broken warning must not break /health/ or the dashboard
            log.exception("health warning %s failed", name)
            text = f"{name}: check failed"
        if text:
            found.append((name, str(text)))
    return found
