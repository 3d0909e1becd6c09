"""SMS gateway backends (``settings.SMS_BACKEND``) and webhook payload formats."""
from __future__ import annotations

import logging

import requests
from django.conf import settings

log = logging.getLogger("supportdesk.sms")


class LoggingSMSBackend:
    """The default: writes the message to the log (development, or no gateway yet)."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


class HTTPGatewaySMSBackend:
    """POSTs ``{"phone", "text"}`` as JSON to ``SMS_GATEWAY_URL`` with a bearer token."""

    def send(self, phone: str, text: str) -> None:
        if not settings.SMS_GATEWAY_URL:
            raise RuntimeError("SMS_GATEWAY_URL is not set")
        headers = {"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"} if settings.SMS_GATEWAY_TOKEN else {}
        response = requests.post(
            settings.SMS_GATEWAY_URL, json={"phone": phone, "text": text}, headers=headers,
            timeout=settings.NOTIFY_WEBHOOK_TIMEOUT,
        )
        response.raise_for_status()


def webhook_payload(fmt: str, notification, idempotency_key: str = "") -> dict:
    """The body for one webhook format; the generic format carries the delivery's idempotency key (it is also
    sent as the ``Idempotency-Key`` header, the only place a chat-robot format has room for it)."""
    text = f"{notification.subject}\n{notification.body}"
    if fmt == "wecom":
        return {"msgtype": "text", "text": {"content": text}}
    if fmt == "dingtalk":
        return {"msgtype": "text", "text": {"content": text}}
    return {
        "idempotency_key": idempotency_key,
        "kind": notification.kind,
        "subject": notification.subject,
        "body": notification.body,
        "subject_en": notification.subject_en,
        "body_en": notification.body_en,
        "ticket": notification.ticket_number,
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
    }
