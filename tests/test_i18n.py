"""The English catalogue: pages and broadcasts switch from Chinese (the source language) to English."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from customers.models import Customer, Site
from staff.models import Room, User
from tests import factories as f
from tests.builders import alarm_ticket
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+")


def _ticket(*, tier="gold", minutes_ago=5):
    """A dispatched transmission fault of a customer with a contact (``tests.builders``)."""
    circuit = f.CircuitFactory(customer__tier=tier)
    f.ContactFactory(customer=circuit.customer)
    return alarm_ticket(circuit=circuit, minutes_ago=minutes_ago)


def _data_texts() -> list[str]:
    """Chinese that comes from data people typed, not from the program: it is never translated."""
    texts = ["中文"]  # the language switch names Chinese in Chinese, whatever the language
    texts += list(Customer.objects.values_list("name", flat=True))
    texts += list(Site.objects.values_list("address", flat=True))
    texts += [str(u) for u in User.objects.all()]
    texts += ["张工"]
    return sorted(set(texts), key=len, reverse=True)


def _program_chinese(text: str) -> list[str]:
    for data in _data_texts():
        text = text.replace(data, "")
    return CJK.findall(text)


def _get(client, url, *, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_both_catalogues_are_compiled():
    for code in ("en", "zh_Hans"):
        folder = Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES"
        assert (folder / "django.po").is_file()
        assert (folder / "django.mo").stat().st_size > 0


def test_console_in_chinese_by_default(client):
    client.force_login(f.monitoring_operator())
    _ticket()
    html = _get(client, reverse("tickets:console"))
    assert '<html lang="zh-Hans">' in html
    assert "监控台" in html and "未关闭工单" in html and "已派单" in html


def test_console_in_english_from_the_language_cookie(client):
    client.force_login(f.monitoring_operator())
    _ticket()
    html = _get(client, reverse("tickets:console"), language="en")
    assert '<html lang="en">' in html
    assert "Console" in html and "Open tickets" in html and "Dispatched" in html
    assert _program_chinese(html) == []


def test_language_switch_form_turns_the_console_english(client):
    client.force_login(f.monitoring_operator())
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    html = _get(client, reverse("tickets:console"))
    assert "Console" in html and "监控台" not in html


def test_dashboard_in_both_languages(client):
    client.force_login(f.support_manager())
    _ticket(minutes_ago=61)
    sweep()
    assert "升级看板" in _get(client, reverse("tickets:dashboard"))
    html = _get(client, reverse("tickets:dashboard"), language="en")
    assert "Escalation dashboard" in html and "Tickets in joint handling" in html
    assert _program_chinese(html) == []


def test_phone_view_in_both_languages(client):
    client.force_login(f.room_engineer("transport"))
    ticket = _ticket()
    html = _get(client, reverse("tickets:mine"))
    assert "我的工单" in html and ticket.number in html
    html = _get(client, reverse("tickets:mine"), language="en")
    assert "My tickets" in html and ticket.number in html
    assert _program_chinese(html) == []


def test_ticket_page_in_both_languages(client):
    client.force_login(f.monitoring_operator())
    ticket = _ticket()
    url = reverse("tickets:detail", args=[ticket.pk])
    html = _get(client, url)
    assert "主导室" in html and "传送网室" in html
    html = _get(client, url, language="en")
    assert "Lead room" in html and "Transport network room" in html and "Dispatched" in html
    assert _program_chinese(html) == []


def test_english_broadcast_body_is_english():
    """R-BCAST: the sweep's first broadcast is stored in Chinese and in English."""
    ticket = _ticket(minutes_ago=61)
    sweep()
    broadcast = ticket.broadcasts.get(kind="scheduled")
    assert "传送网室" in broadcast.body and "下次发布时间" in broadcast.body
    body_en = broadcast.body_en
    assert "Transport network room" in body_en and "Next broadcast" in body_en and "Gold" in body_en
    assert ticket.customer.name in body_en
    assert _program_chinese(body_en) == []


def test_a_renamed_room_keeps_its_own_name_in_english():
    room = Room.objects.get(code="transport")
    room.name = "传输一室"
    assert str(room) == "传输一室"
    room.name = "传送网室"
    from django.utils import translation

    with translation.override("en"):
        assert str(room) == "Transport network room"
