"""A slow webhook and hundreds of escalations never starve the deadline sweep.

Real workers on the real Redis (this run's own keys): one for the sweep queue, one for the deliveries queue;
a webhook that takes a second per call; two hundred tickets escalating at once, i.e. four hundred slow webhook
deliveries. The sweep is sent every interval as beat sends it, and every sweep runs while the deliveries'
backlog is still being worked off; no sweep hands the same deliveries over again.
"""
import time

import pytest

from staff.models import Channel, Delivery, DeliveryStatus
from tests import factories as f
from tests.builders import alarm_ticket, handed_over
from tests.escalation.test_worker import _env, clear_broker_keys, start_worker, stop_worker
from tests.escalation.webhook_server import Receiver
from tickets.models import SweepRun
from tickets.services.escalation import sweep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TICKETS = 200
INTERVAL = 2.0
SWEEPS = 6


def _wait_for_runs(count: int, *, timeout: float) -> None:
    give_up = time.monotonic() + timeout
    while SweepRun.objects.count() < count and time.monotonic() < give_up:
        time.sleep(0.2)


def test_sweeps_keep_running_every_interval_behind_a_slow_webhook(settings):
    from supportdesk.celery import app

    # A hand-off is re-queued by the sweep only after the grace period; here longer than the test, so any re-queue
    # would be the old storm (every sweep handing the same pending deliveries over again).
    settings.NOTIFY_REQUEUE_GRACE_SECONDS = 300

    clear_broker_keys()
    with Receiver(delay=1.0) as receiver:
        f.WebhookEndpointFactory(url=receiver.url)
        f.room_engineer("transport")
        tickets = [alarm_ticket(tier="gold", minutes_ago=61) for _ in range(TICKETS)]
        handed_over()  # the dispatches' own deliveries went out an hour ago
        first = sweep(origin="test")  # escalates them all: 400 slow webhook deliveries go to the queue
        env = _env(NOTIFY_REQUEUE_GRACE_SECONDS="300")
        sweeper = start_worker("sweep", "celery", env=env)
        sender = start_worker("deliveries", concurrency=2, env=env)
        try:
            app.send_task("tickets.tasks.sweep_deadlines")  # the workers are up once this one has run
            _wait_for_runs(2, timeout=90)
            for _ in range(SWEEPS):
                app.send_task("tickets.tasks.sweep_deadlines", expires=INTERVAL * 2)
                time.sleep(INTERVAL)
            _wait_for_runs(SWEEPS + 2, timeout=INTERVAL * 5)
            runs = list(SweepRun.objects.order_by("started_at"))
            webhooks = Delivery.objects.filter(channel=Channel.WEBHOOK)
            backlog = webhooks.filter(status=DeliveryStatus.PENDING).count()
        finally:
            out = stop_worker(sweeper) + stop_worker(sender)
            clear_broker_keys()
    assert first.joint_started == TICKETS
    assert len(runs) == SWEEPS + 2, out[-3000:]
    assert webhooks.count() >= 2 * TICKETS
    # Every sweep ran while hundreds of slow deliveries were still waiting: they did not queue behind them.
    assert backlog > TICKETS, backlog
    # Each sweep started within an interval or two of the last.
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(runs[2:], runs[3:], strict=False)]
    assert max(gaps) < INTERVAL * 3, gaps
    # The deliveries were handed over once (after commit), not again by every sweep.
    assert all(run.deliveries_requeued == 0 for run in runs), [r.deliveries_requeued for r in runs]
    keys = [body["idempotency_key"] for body in receiver.received]
    assert len(keys) == len(set(keys))
    assert "Traceback" not in out, out[-3000:]
    assert all(t.pk for t in tickets)
