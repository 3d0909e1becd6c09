"""The one delivery pipeline: inbox, e-mail, SMS, webhooks; rows with retries; never blocking the cause."""
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from staff.choices import RoomCode
from staff.models import Channel, Delivery, DeliveryStatus
from staff.notify import send
from staff.notify.deliver import MAX_ATTEMPTS, deliver, due_deliveries
from tests import factories as f
from tests.builders import alarm_ticket
from tickets.choices import TicketState
from tickets.services.escalation import sweep

from .webhook_server import Receiver

pytestmark = pytest.mark.django_db


def test_dispatch_of_an_important_ticket_reaches_every_room_by_inbox_email_and_sms(django_capture_on_commit_callbacks):
    """R-DISPATCH-IMP: the lead room, related professional rooms and the support room are told."""
    transport = f.room_engineer("transport")
    support = f.support_engineer()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = alarm_ticket(tier="gold", minutes_ago=0)
    for user in (transport, support):
        channels = set(Delivery.objects.filter(recipient=user, notification__ticket_number=ticket.number)
                       .values_list("channel", flat=True))
        assert channels == {Channel.INBOX, Channel.EMAIL, Channel.SMS}
    inbox = Delivery.objects.get(recipient=transport, channel=Channel.INBOX, notification__kind="dispatch_important")
    assert inbox.status == DeliveryStatus.SENT and ticket.number in inbox.notification.subject


def test_normal_dispatch_notifies_the_support_duty_engineer(django_capture_on_commit_callbacks):
    """R-DISPATCH-NORM: the support room's duty engineer is notified."""
    duty = f.support_engineer()
    other = f.support_engineer()
    f.DutyShiftFactory(user=duty, room=f.room(RoomCode.SERVICE_SUPPORT))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = alarm_ticket(tier="normal", category="datacom", minutes_ago=0)
    assert Delivery.objects.filter(recipient=duty, channel=Channel.INBOX,
                                   notification__ticket_number=ticket.number).exists()
    # the lead room here is the support room itself (R-LEAD), so its members are told too
    assert Delivery.objects.filter(recipient=other, notification__ticket_number=ticket.number).exists()


def test_email_delivery_is_sent_once():
    user = f.support_engineer()
    n = send(kind="test", subject="主题", body="内容", recipients=[user], sms=False)
    email = n.deliveries.get(channel=Channel.EMAIL)
    assert deliver(email.pk) == DeliveryStatus.SENT
    assert deliver(email.pk) == "skipped"
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "主题"


def test_english_recipient_gets_the_english_text():
    user = f.support_engineer(preferred_language="en")
    n = send(kind="test", subject="主题", subject_en="Subject", body="内容", body_en="Body", recipients=[user],
             sms=False)
    deliver(n.deliveries.get(channel=Channel.EMAIL).pk)
    assert mail.outbox[0].subject == "Subject" and mail.outbox[0].body == "Body"


def test_webhook_in_enterprise_chat_robot_format():
    with Receiver() as receiver:
        f.WebhookEndpointFactory(url=receiver.url, format="wecom", kinds=["broadcast"])
        n = send(kind="broadcast", subject="信息发布", body="第1期", webhooks=True)
        assert deliver(n.deliveries.get(channel=Channel.WEBHOOK).pk) == DeliveryStatus.SENT
    assert receiver.received == [{"msgtype": "text", "text": {"content": "信息发布\n第1期"}}]


def test_webhook_subscription_filters_by_kind():
    f.WebhookEndpointFactory(kinds=["broadcast"])
    n = send(kind="dispatch", subject="派单", body="x", webhooks=True)
    assert not n.deliveries.filter(channel=Channel.WEBHOOK).exists()


def test_failed_delivery_is_retried_with_backoff_then_given_up():
    with Receiver(status=500) as receiver:
        f.WebhookEndpointFactory(url=receiver.url)
        n = send(kind="escalation", subject="升级", body="x", webhooks=True)
        hook = n.deliveries.get(channel=Channel.WEBHOOK)
        before = timezone.now()
        assert deliver(hook.pk) == DeliveryStatus.PENDING
        hook.refresh_from_db()
        assert hook.attempts == 1 and "500" in hook.last_error
        assert hook.next_attempt_at >= before + timedelta(seconds=29)
        assert deliver(hook.pk) == "skipped"  # not before its backoff has passed
        for _ in range(MAX_ATTEMPTS - 1):
            hook.refresh_from_db()
            with time_machine.travel(hook.next_attempt_at, tick=False):
                deliver(hook.pk)
        hook.refresh_from_db()
        assert hook.status == DeliveryStatus.FAILED and hook.attempts == MAX_ATTEMPTS
        assert len(receiver.received) == MAX_ATTEMPTS


def test_a_failing_delivery_never_blocks_the_escalation(monkeypatch):
    """R-ESC-1 still happens when every channel fails; the deliveries wait as rows."""
    f.WebhookEndpointFactory(url="http://127.0.0.1:9/closed")
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING
    hooks = Delivery.objects.filter(channel=Channel.WEBHOOK, notification__ticket_number=ticket.number)
    assert hooks.exists()
    for hook in hooks:
        deliver(hook.pk)
    assert set(hooks.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    ticket.refresh_from_db()
    assert ticket.state == TicketState.JOINT_HANDLING


def test_the_sweep_requeues_deliveries_the_broker_never_got(monkeypatch, settings):
    """Broker down when enqueued: the sweep hands the pending rows over again once they are due."""
    user = f.support_engineer()
    n = send(kind="test", subject="s", body="b", recipients=[user], sms=False)
    email = n.deliveries.get(channel=Channel.EMAIL)
    assert email.pk not in due_deliveries()  # the immediate hand-off gets its grace period
    taken = []
    monkeypatch.setattr("tickets.services.escalation.enqueue", lambda ids: taken.extend(ids) or len(ids))
    Delivery.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    summary = sweep()
    assert taken == [email.pk] and summary.deliveries_requeued == 1
