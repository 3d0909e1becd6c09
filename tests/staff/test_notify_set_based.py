"""The deliveries of a notification written in one set-based INSERT (PostgreSQL) are exactly those the ORM writes."""
from datetime import datetime

import pytest
import time_machine

from staff.models import Delivery
from staff.notify import Message, api, send_many
from tests import factories as f

NOW = datetime.fromisoformat("2026-11-30T10:00:00+08:00")
COLUMNS = ("notification__kind", "notification__subject", "channel", "recipient_id", "endpoint_id", "address",
           "status", "attempts", "last_error", "next_attempt_at", "queued_at", "sent_at", "read_at")


def _messages(people, kinds):
    """R-CONF: an SMS kind and a plain one, each with an external text and webhooks; recipients repeated."""
    return [
        Message(kind=kind, subject=f"{kind} 客户甲 C-1", body="客户甲", subject_en="s", body_en="b",
                recipients=(*people, people[0], None), ticket_number="FT1", webhooks=True,
                external=(f"{kind} *** ***", "***", "s", "b"))
        for kind in kinds
    ]


def _written(messages) -> list[tuple]:
    start = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    send_many(messages)
    return list(Delivery.objects.filter(id__gt=start).order_by("id").values_list(*COLUMNS))


@pytest.mark.django_db
@pytest.mark.parametrize("sms_internal", [False, True])
def test_the_set_based_deliveries_equal_the_orm_ones(settings, monkeypatch, sms_internal):
    """R-CONF: inactive and repeated people are skipped, no e-mail means no e-mail row, no phone or a kind without
    SMS means no SMS row, SMS and external webhooks carry the external text (unless SMS is internal), internal
    webhooks the full text; the single INSERT of PostgreSQL writes the same rows as ``bulk_create``."""
    settings.SMS_CHANNEL_INTERNAL = sms_internal
    people = [
        f.UserFactory(), f.UserFactory(email=""), f.UserFactory(phone=""), f.UserFactory(is_active=False),
        f.UserFactory(email="", phone=""),
    ]
    f.WebhookEndpointFactory(internal=True)
    f.WebhookEndpointFactory(internal=False)
    f.WebhookEndpointFactory(internal=False, kinds=["broadcast"])
    f.WebhookEndpointFactory(active=False)
    api._ENDPOINTS.clear()
    kinds = ("escalation", "dispatch")
    with time_machine.travel(NOW, tick=False):
        set_based = _written(_messages(people, kinds))
        monkeypatch.setattr(api, "SET_BASED_VENDORS", ())
        orm = _written(_messages(people, kinds))
    assert set_based == orm
    by_channel = {}
    for row in set_based:
        by_channel.setdefault(row[2], []).append(row)
    assert len(by_channel["inbox"]) == 2 * 4  # 4 active people, each once, per message
    assert len(by_channel["email"]) == 2 * 2
    assert len(by_channel["sms"]) == 2  # escalation only: the two active people with a phone
    assert len(by_channel["webhook"]) == 2 * 2
    external_sms = [row for row in by_channel["sms"] if "***" in row[1]]
    assert len(external_sms) == (0 if sms_internal else 2)
    assert sorted("***" in row[1] for row in by_channel["webhook"]) == [False, False, True, True]
