from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from supportdesk.core.refcache import Reference
from supportdesk.core.rows import hot_cursor, insert_all

from ..models import Channel, Delivery, DeliveryStatus, Notification, User, WebhookEndpoint

# The active webhook endpoints, kept in the process (``supportdesk.core.refcache``): not re-read per notification.
_ENDPOINTS = Reference(lambda: list(WebhookEndpoint.objects.filter(active=True)), WebhookEndpoint)

log = logging.getLogger(__name__)

# The choices as plain strings (the set-based insert sends them as they are).
_INBOX, _EMAIL, _SMS, _WEBHOOK = Channel.INBOX.value, Channel.EMAIL.value, Channel.SMS.value, Channel.WEBHOOK.value
_SENT, _PENDING = DeliveryStatus.SENT.value, DeliveryStatus.PENDING.value

# Kinds urgent enough to reach a phone by SMS as well as the inbox and e-mail.
SMS_KINDS = {"dispatch_important", "escalation", "arrival_breach", "phone_reminder"}


@dataclass(frozen=True)
class Message:
    """One notification to write: its text in both languages, who gets it and on which channels.

    ``external`` is the (subject, body, subject_en, body_en) for channels outside the centre (R-CONF)."""

    kind: str
    subject: str
    body: str
    recipients: tuple = ()
    subject_en: str = ""
    body_en: str = ""
    link: str = ""
    ticket_number: str = ""
    webhooks: bool = False
    sms: bool | None = None
    external: tuple[str, str, str, str] | None = None


def send(
    *,
    kind: str,
    subject: str,
    body: str,
    recipients: Iterable[User] = (),
    subject_en: str = "",
    body_en: str = "",
    link: str = "",
    ticket_number: str = "",
    webhooks: bool = False,
    sms: bool | None = None,
    external: tuple[str, str, str, str] | None = None,
) -> Notification:
    """Write the notification and its deliveries now; hand them to the workers after commit.

    R-CONF (docs/rules.md): ``external`` is the (subject, body, subject_en, body_en) for channels outside the
    centre — SMS (unless ``settings.SMS_CHANNEL_INTERNAL``) and webhooks not marked internal — which must not
    carry the customer's name or circuit; those deliveries point at a second notification row with that text.
    """
    return send_many([Message(
        kind=kind, subject=subject, body=body, recipients=tuple(recipients), subject_en=subject_en,
        body_en=body_en, link=link, ticket_number=ticket_number, webhooks=webhooks, sms=sms, external=external,
    )])[0]


def _row(message: Message, subject: str, body: str, subject_en: str, body_en: str) -> Notification:
    return Notification(kind=message.kind, subject=subject[:200], body=body, subject_en=subject_en[:200],
                        body_en=body_en, link=message.link, ticket_number=message.ticket_number)


def send_many(messages: Iterable[Message]) -> list[Notification]:
    """``send()`` for many messages at once: every notification in one ``INSERT``, every delivery in another,
    one hand-off after commit (the sweep's bulk path and the ingest path write this way). R-CONF as in ``send()``.
    Returns the notifications (the internal text) in the order of ``messages``."""
    messages = list(messages)
    if not messages:
        return []
    rows: list[Notification] = []
    pairs: list[tuple[Notification, Notification]] = []
    for message in messages:
        inside = _row(message, message.subject, message.body, message.subject_en, message.body_en)
        outside = inside if message.external is None else _row(message, *message.external)
        rows.append(inside)
        if outside is not inside:
            rows.append(outside)
        pairs.append((inside, outside))
    insert_all(rows)
    now = timezone.now()
    # The immediate hand-off after commit sends these; the sweep only takes over if that failed.
    grace = now + timedelta(seconds=settings.NOTIFY_REQUEUE_GRACE_SECONDS)
    sms_internal = getattr(settings, "SMS_CHANNEL_INTERNAL", False)
    endpoints = None
    # One tuple per delivery, in ``_DELIVERY_COLUMNS``' order.
    rows: list[tuple] = []
    for message, (notification, outside) in zip(messages, pairs, strict=True):
        sms_notification = notification if sms_internal else outside
        want_sms = message.kind in SMS_KINDS if message.sms is None else message.sms
        seen: set[int] = set()
        for user in message.recipients:
            if user is None or user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            rows.append((notification.pk, _INBOX, user.pk, None, "", _SENT, 1, now, now))
            if user.email:
                rows.append((notification.pk, _EMAIL, user.pk, None, user.email, _PENDING, 0,
                             grace, None))
            if want_sms and user.phone:
                rows.append((sms_notification.pk, _SMS, user.pk, None, user.phone, _PENDING,
                             0, grace, None))
        if message.webhooks:
            if endpoints is None:
                endpoints = _ENDPOINTS.get()
            for endpoint in endpoints:
                if endpoint.wants(message.kind):
                    rows.append(((notification if endpoint.internal else outside).pk, _WEBHOOK, None,
                                 endpoint.pk, endpoint.url, _PENDING, 0, grace, None))
    pending = _write_deliveries(rows)
    if pending:
        transaction.on_commit(lambda: enqueue(pending))
    return [inside for inside, _ in pairs]


_DELIVERY_COLUMNS = ("notification_id", "channel", "recipient_id", "endpoint_id", "address", "status", "attempts",
                     "next_attempt_at", "sent_at")
_DELIVERY_TYPES = ("bigint", "text", "bigint", "bigint", "text", "text", "smallint", "timestamptz", "timestamptz")
# Where the deliveries are one ``INSERT … SELECT FROM json_array_elements(…)`` (no model object per row).
SET_BASED_VENDORS = ("postgresql",)


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a delivery column's type")


def _write_deliveries(rows: list[tuple]) -> list[int]:
    """Insert the delivery rows (tuples in ``_DELIVERY_COLUMNS``' order) in one statement; the ids of the pending
    ones. On PostgreSQL the rows go as one JSON array of rows (``INSERT … SELECT … FROM json_array_elements``, each
    column cast to its type), without a model object or the ORM's compilation per row, and one string parameter
    (``json.dumps`` writes it in C, where an array parameter per column is written value by value in Python);
    elsewhere through ``bulk_create``. Both write the same rows (``tests/staff/test_notify_set_based.py``)."""
    if not rows:
        return []
    if connection.vendor in SET_BASED_VENDORS:
        values = ", ".join(f"(e->>{i})::{kind}" for i, kind in enumerate(_DELIVERY_TYPES))
        sql = (f"INSERT INTO {Delivery._meta.db_table} ({', '.join(_DELIVERY_COLUMNS)}, last_error) "
               f"SELECT {values}, '' FROM json_array_elements(%s::json) AS e RETURNING id, status")
        with hot_cursor() as cursor:
            cursor.execute(sql, [json.dumps(rows, default=_json_value)])
            returned = cursor.fetchall()
        return sorted(pk for pk, status in returned if status == _PENDING)
    deliveries = [Delivery(**dict(zip(_DELIVERY_COLUMNS, row, strict=True))) for row in rows]
    Delivery.objects.bulk_create(deliveries)
    return [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]


BATCH = 100


def enqueue(delivery_ids: list[int]) -> int:
    """Hand deliveries to the workers, one message per batch; a broker that is down is logged, not raised
    (the rows stay pending and the sweep hands them over again). Returns how many were handed over."""
    from ..tasks import deliver_batch

    sent = 0
    for start in range(0, len(delivery_ids), BATCH):
        chunk = list(delivery_ids[start:start + BATCH])
        try:
            # The ids' plain repr for monitoring, instead of Celery's saferepr (a Python walk of the list per message)
            deliver_batch.apply_async(args=[chunk], retry=False, argsrepr=repr([chunk]), kwargsrepr="{}")
        except Exception as exc:  # noqa: BLE001 - any broker failure: the rows stay pending
            log.warning("broker unavailable, %s deliveries stay pending: %s", len(delivery_ids) - sent, exc)
            break
        sent += len(chunk)
    return sent


def in_both_languages(compose) -> tuple[str, str]:
    """Call ``compose()`` under zh-Hans and under English: (chinese, english)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = compose()
    with translation.override("en"):
        en = compose()
    return zh, en
