"""Sending one delivery, and picking up the ones that are due again."""
from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from ..models import Channel, Delivery, DeliveryStatus
from .backends import webhook_payload

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _send(delivery: Delivery) -> None:
    n = delivery.notification
    language = delivery.recipient.preferred_language if delivery.recipient else "zh-hans"
    subject, body = n.text_for(language)
    if delivery.channel == Channel.EMAIL:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [delivery.address], fail_silently=False)
    elif delivery.channel == Channel.SMS:
        import_string(settings.SMS_BACKEND)().send(delivery.address, f"{subject} {body}"[:500])
    elif delivery.channel == Channel.WEBHOOK:
        fmt = delivery.endpoint.format if delivery.endpoint else "json"
        key = delivery.idempotency_key
        response = requests.post(
            delivery.address, json=webhook_payload(fmt, n, key), headers={"Idempotency-Key": key},
            timeout=settings.NOTIFY_WEBHOOK_TIMEOUT,
        )
        response.raise_for_status()


def deliver(delivery_id: int) -> str:
    """Send one pending delivery once; on failure schedule the next attempt with backoff.

    The row is taken with ``SKIP LOCKED`` (a delivery being sent elsewhere is skipped, never waited for), and a
    delivery that has been tried already is only tried again once its ``next_attempt_at`` has come: however many
    hand-offs of it are queued, a failing channel gets one attempt per backoff step."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification", "recipient", "endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .filter(Q(attempts=0) | Q(next_attempt_at__lte=timezone.now()))
            .first()
        )
        if delivery is None:
            return "skipped"
        delivery.attempts += 1
        try:
            _send(delivery)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "last_error", "next_attempt_at", "sent_at"])
        return delivery.status


def due_deliveries(now=None, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (includes those the broker never got), not handed over
    again within the grace period: ``take_due_deliveries`` marks what it hands over."""
    now = now or timezone.now()
    recently = now - timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS)
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=recently))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def take_due_deliveries(now=None, limit: int = 500) -> list[int]:
    """The due deliveries, locked with ``SKIP LOCKED`` and marked as handed over now, so a concurrent or the
    next sweep does not queue them again while the workers still have them."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = due_deliveries(now, limit)
        if not ids:
            return []
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=DeliveryStatus.PENDING)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)
    return sorted(ids)
