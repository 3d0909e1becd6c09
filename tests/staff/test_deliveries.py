"""Notifications: the outbox, the backoff, the queues, the broker, the idempotency key."""
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from staff.models import Channel, Delivery, DeliveryStatus, Notification
from staff.notify import send
from staff.notify.deliver import deliver
from tests import factories as f
from tests.builders import alarm_ticket
from tests.escalation.webhook_server import Receiver
from tickets.services.escalation import sweep

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-30T10:00:00+08:00")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_delivery_is_not_attempted_again_before_its_backoff(clock):
    """However many hand-offs of a failing delivery are queued, one attempt per backoff step."""
    with Receiver(status=500) as receiver:
        f.WebhookEndpointFactory(url=receiver.url)
        hook = send(kind="escalation", subject="升级", body="x", webhooks=True).deliveries.get(channel=Channel.WEBHOOK)
        assert deliver(hook.pk) == DeliveryStatus.PENDING
        for _ in range(3):  # three sweeps' worth of hand-offs in the same second
            assert deliver(hook.pk) == "skipped"
        hook.refresh_from_db()
        assert hook.attempts == 1 and len(receiver.received) == 1
        clock.move_to(hook.next_attempt_at)
        assert deliver(hook.pk) == DeliveryStatus.PENDING
        hook.refresh_from_db()
        assert hook.attempts == 2


@pytest.mark.django_db
def test_the_sweep_does_not_requeue_what_it_handed_over_recently(clock, monkeypatch):
    """Each sweep used to re-queue the same pending deliveries again."""
    taken = []
    monkeypatch.setattr("tickets.services.escalation.enqueue", lambda ids: taken.append(list(ids)) or len(ids))
    user = f.support_engineer()
    email = send(kind="test", subject="s", body="b", recipients=[user], sms=False).deliveries.get(channel=Channel.EMAIL)
    clock.shift(timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS))
    assert sweep().deliveries_requeued == 1
    assert sweep().deliveries_requeued == 0  # still with the workers
    clock.shift(timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1))
    assert sweep().deliveries_requeued == 1  # the workers never got it: handed over again
    assert taken == [[email.pk], [email.pk]]


def test_sweep_and_deliveries_have_queues_and_workers_of_their_own():
    """One queue for the sweep, one for deliveries, each with its worker line; no early expiry."""
    routes = settings.CELERY_TASK_ROUTES
    assert routes["tickets.tasks.sweep_deadlines"]["queue"] == "sweep"
    assert routes["staff.tasks.deliver_batch"]["queue"] == routes["staff.tasks.deliver"]["queue"] == "deliveries"
    beat = settings.CELERY_BEAT_SCHEDULE["sweep-deadlines"]
    assert beat["options"]["expires"] >= settings.SWEEP_INTERVAL_SECONDS
    for procfile in ("Procfile", "Procfile.dev"):
        lines = (ROOT / procfile).read_text().splitlines()
        workers = [line for line in lines if " worker " in line]
        assert any("-Q deliveries" in line for line in workers), procfile
        assert any("-Q sweep" in line and "deliveries" not in line for line in workers), procfile


@pytest.mark.django_db
def test_webhook_payloads_carry_a_stable_idempotency_key(clock):
    """Delivery is at-least-once, so every attempt of one delivery carries the same key."""
    with Receiver(status=500) as receiver:
        f.WebhookEndpointFactory(url=receiver.url)
        hook = send(kind="escalation", subject="升级", body="x", webhooks=True).deliveries.get(channel=Channel.WEBHOOK)
        deliver(hook.pk)
        hook.refresh_from_db()
        clock.move_to(hook.next_attempt_at)
        receiver.status = 200
        assert deliver(hook.pk) == DeliveryStatus.SENT
    keys = [body["idempotency_key"] for body in receiver.received]
    assert keys[0] and keys == [keys[0], keys[0]]
    assert [h["Idempotency-Key"] for h in receiver.headers] == keys
    other = send(kind="escalation", subject="升级", body="y", webhooks=True).deliveries.get(channel=Channel.WEBHOOK)
    assert other.idempotency_key != keys[0]


@pytest.mark.django_db
def test_notifications_are_written_in_the_transaction_of_the_change(django_capture_on_commit_callbacks):
    """The escalation's notification rows exist before commit; only the hand-off waits for it."""
    f.WebhookEndpointFactory()
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep()
        assert Notification.objects.filter(kind="escalation", ticket_number=ticket.number).exists()
    assert all(cb.__qualname__.startswith(("send.", "send_many.")) for cb in callbacks), callbacks


KILLED_AFTER_COMMIT = """
import os, sys
import django
django.setup()
from django.db import transaction
from staff.models import User
from tickets import services
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(0))   # the process dies right after the commit
    services.start_joint(ticket_id=int(sys.argv[1]), by=User.objects.get(username=sys.argv[2]), reason="drill")
print("not reached")
"""


@pytest.mark.django_db(transaction=True)
def test_a_process_dying_right_after_commit_loses_no_notification(monkeypatch):
    """The rows were committed with the change; the next sweep delivers every one."""
    from tests.escalation.test_worker import _env

    with Receiver() as receiver:
        f.WebhookEndpointFactory(url=receiver.url)
        manager = f.room_engineer("transport", username="lead-kill", email="lead@example.com")
        ticket = alarm_ticket(tier="gold", minutes_ago=10)
        Delivery.objects.update(status=DeliveryStatus.SENT)  # the dispatch's own deliveries went out
        run = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, str(ticket.pk), manager.username],
                             env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "not reached" not in run.stdout, run.stderr[-3000:]
        ticket.refresh_from_db()
        assert ticket.state == "joint_handling"
        # R-CONF: the webhook (not marked internal) gets the escalation's outside text, a second row.
        escalations = Notification.objects.filter(kind="escalation", ticket_number=ticket.number)
        pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
        assert pending.filter(notification__in=escalations, channel=Channel.WEBHOOK).exists()
        assert pending.filter(notification__in=escalations, channel=Channel.EMAIL, recipient=manager).exists()
        monkeypatch.setattr("tickets.services.escalation.enqueue", lambda ids: [deliver(pk) for pk in ids] and len(ids))
        later = timezone.now() + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS + 1)
        with time_machine.travel(later, tick=False):
            sweep()
        assert not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()
        assert any(body.get("kind") == "escalation" and body.get("ticket") == ticket.number for body in receiver.received)


BROKER_DOWN_HANDOFF = """
import django
django.setup()
import redis.connection
attempts = []
original = redis.connection.AbstractConnection.connect
def counting(self, *args, **kwargs):
    attempts.append(1)
    return original(self, *args, **kwargs)
redis.connection.AbstractConnection.connect = counting
from staff.notify.api import enqueue
print(enqueue([1, 2, 3]), len(attempts))
"""


def test_a_down_broker_is_tried_once_not_retried():
    """With the broker unreachable the hand-off makes one connection attempt with a short timeout
    and gives up (the rows stay pending for the sweep), instead of retrying for seconds."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["max_retries"] == 0
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert settings.CELERY_TASK_PUBLISH_RETRY is False
    from tests.escalation.test_worker import _env

    env = _env(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    env.pop("CELERY_BROKER_CONNECTION_TIMEOUT", None)
    run = subprocess.run([sys.executable, "-c", BROKER_DOWN_HANDOFF], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    sent, attempts = map(int, run.stdout.split())
    assert sent == 0 and attempts == 1, run.stdout
