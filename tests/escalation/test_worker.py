"""End to end with a real Celery worker on the real Redis: beat's task sweeps, the worker delivers.

Also the broker being down: a ticket operation made while the broker is unreachable still
succeeds, and its deliveries go out once the broker (and the sweep) are back.
"""
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from staff.models import Channel, Delivery, DeliveryStatus
from tests import factories as f
from tickets.choices import TicketState
from tickets.models import FaultTicket

from .webhook_server import Receiver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _env(**extra):
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.test_settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        NOTIFY_REQUEUE_GRACE_SECONDS="0",
        EMAIL_URL="dummymail://",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def clear_broker_keys():
    """Remove this run's broker keys (and only those: the database may be shared with other runs)."""
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    assert prefix, "the test settings give each run its own broker key prefix"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def start_worker(*queues, concurrency=1, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--pool=threads" if concurrency > 1 else
         "--pool=solo", f"--concurrency={concurrency}", "-Q", ",".join(queues), f"--hostname={queues[0]}@%h",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env or _env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_worker(worker) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out


def _wait_for(predicate, timeout=45.0, every=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


BROKER_DOWN_SCRIPT = """
import django, sys
django.setup()
from datetime import timedelta
from django.utils import timezone
from tickets import services
r = services.ingest_alarm(alarm=services.AlarmIn(
    alarm_id="BROKER-DOWN-1", category="transmission", severity="critical", outage="total",
    circuit_id=sys.argv[1], title="LOS while the broker is down", raised_at=timezone.now() - timedelta(minutes=2)))
print(r.ticket.number, r.ticket.state)
"""


def test_real_worker_sweeps_and_delivers_and_survives_a_broker_outage():
    """R-ESC-1 + R-BCAST end to end: the sweep task runs on a real worker, broadcasts reach the webhook."""
    clear_broker_keys()
    with Receiver() as receiver:
        f.WebhookEndpointFactory(url=receiver.url, format="wecom")
        f.room_engineer("transport")
        late = f.CircuitFactory(customer__tier="gold")
        quiet = f.CircuitFactory(customer__tier="gold")
        from tickets import services

        services.ingest_alarm(alarm=services.AlarmIn(
            alarm_id="WORKER-1", category="transmission", severity="critical", outage="total",
            circuit_id=late.circuit_id, title="LOS", raised_at=timezone.now() - timedelta(minutes=61)))

        # 1. The broker is unreachable: the ticket operation still succeeds; its deliveries wait as rows.
        down = subprocess.run(
            [sys.executable, "-c", BROKER_DOWN_SCRIPT, quiet.circuit_id],
            env=_env(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_CONNECTION_TIMEOUT="0.5"),
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        assert down.returncode == 0, down.stderr[-3000:]
        assert "dispatched" in down.stdout
        stranded = Delivery.objects.filter(notification__ticket_number=down.stdout.split()[0],
                                           status=DeliveryStatus.PENDING).exclude(channel=Channel.INBOX)
        assert stranded.exists()

        # 2. A real worker on the real Redis; the beat task is sent exactly as beat sends it.
        worker = start_worker("sweep", "deliveries", "celery")
        try:
            from supportdesk.celery import app

            app.send_task("tickets.tasks.sweep_deadlines")
            ticket = FaultTicket.objects.get(circuit_ref=late.circuit_id)
            assert _wait_for(lambda: FaultTicket.objects.get(pk=ticket.pk).state == TicketState.JOINT_HANDLING)
            assert _wait_for(lambda: any(ticket.number in m["text"]["content"] for m in receiver.received))
            assert ticket.broadcasts.exclude(kind="dispatch").count() == 1
            # 3. The sweep handed the stranded deliveries to the worker once the broker was back.
            assert _wait_for(lambda: not stranded.exclude(status=DeliveryStatus.SENT).exists())
        finally:
            out = stop_worker(worker)
        assert "Traceback" not in out, out[-3000:]
