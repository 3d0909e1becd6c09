"""docs/rules.md §3.7 and the broadcast wording (docs/rules.md): R-CUST-UPDATE, R-BCAST (a)-(d), the dashboard per kind."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from supportdesk.core.errors import NotPermitted, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in, fresh
from tickets import selectors, services
from tickets.choices import BroadcastKind, DeadlineKind
from tickets.models import FaultTicket
from tickets.services.broadcasts import compose
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(minutes):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def _gold(tier="gold"):
    circuit = f.CircuitFactory(customer__tier=tier, service_type="data_line", customer__name="深圳市政务云")
    with at(1):
        return services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0)).ticket


# --------------------------------------------------------------------------- R-CUST-UPDATE
def test_every_broadcast_asks_for_a_customer_update_within_thirty_minutes():
    """R-CUST-UPDATE: after each broadcast of an important customer's ticket a customer update is owed within
    30 min (policy); recording one (who, when, channel, what) meets it."""
    ticket = _gold()
    owed = ticket.deadlines.get(kind=DeadlineKind.CUSTOMER_UPDATE)  # broadcast #1 at dispatch (R-BCAST a)
    assert owed.due_at == T0 + timedelta(minutes=31)
    support = f.support_engineer()
    with at(20):
        update = services.record_customer_update(ticket_id=ticket.pk, by=support, contact="李工 13911112222",
                                                 channel="phone", text="已定位到传输段，正在抢修")
    owed.refresh_from_db()
    assert owed.met_at == T0 + timedelta(minutes=20)
    assert (update.contact, update.channel, update.by) == ("李工 13911112222", "phone", support)


def test_an_update_not_recorded_in_time_is_overdue_on_the_console_and_dashboard(client):
    """R-CUST-UPDATE: 30 min after its broadcast with no update the sweep breaches the row and the console and
    the dashboard list the ticket as overdue, until an update is recorded."""
    ticket = _gold()
    with at(32):
        sweep()
        assert [d.ticket_id for d in selectors.overdue_customer_updates()] == [ticket.pk]
        client.force_login(f.monitoring_operator())
        assert ticket.number in client.get("/console/").content.decode().split('id="customer-updates-overdue"')[1]
        client.force_login(f.support_manager())
        assert ticket.number in client.get("/dashboard/").content.decode().split('id="customer-updates-overdue"')[1]
    owed = ticket.deadlines.get(kind=DeadlineKind.CUSTOMER_UPDATE)
    assert owed.breached_at == T0 + timedelta(minutes=32)
    with at(40):
        services.record_customer_update(ticket_id=ticket.pk, by=f.support_engineer(), contact="李工",
                                        channel="sms", text="仍在抢修")
        assert selectors.overdue_customer_updates() == []


def test_the_restore_asks_for_a_customer_update_too():
    """R-CUST-UPDATE: at restore the customer is told as well (no broadcast series was running here)."""
    ticket = _gold()
    with at(10):
        services.accept(ticket_id=ticket.pk, by=f.room_engineer("transport"))
        services.restore(ticket_id=ticket.pk, by=f.room_engineer("transport"), note="倒换")
    rows = ticket.deadlines.filter(kind=DeadlineKind.CUSTOMER_UPDATE).order_by("due_at")
    assert [r.due_at for r in rows] == [T0 + timedelta(minutes=31), T0 + timedelta(minutes=40)]


def test_customer_update_input_is_checked_and_only_the_support_side_records_it():
    """R-CUST-UPDATE: contact, channel and text are required; a transport engineer does not talk to the customer."""
    ticket = _gold()
    with pytest.raises(ValidationFailed) as caught:
        services.record_customer_update(ticket_id=ticket.pk, by=f.support_engineer(), contact="", channel="x",
                                        text="")
    assert set(caught.value.field_errors) == {"contact", "channel", "text"}
    with pytest.raises(NotPermitted):
        services.record_customer_update(ticket_id=ticket.pk, by=f.room_engineer("transport"), contact="李工",
                                        channel="phone", text="x")


def test_normal_customers_owe_no_customer_update():
    """R-CUST-UPDATE applies to important customers only."""
    circuit = f.CircuitFactory(customer__tier="normal")
    ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id)).ticket
    assert not ticket.deadlines.filter(kind=DeadlineKind.CUSTOMER_UPDATE).exists()


# --------------------------------------------------------------------------- R-BCAST
def test_broadcast_one_goes_out_at_an_important_customers_dispatch():
    """R-BCAST (a): "监控室进行信息发布" right after an important customer's dispatch: broadcast #1."""
    ticket = _gold()
    first = ticket.broadcasts.get(seq=1)
    assert first.kind == BroadcastKind.DISPATCH and first.at == T0 + timedelta(minutes=1)


def test_each_broadcast_lists_every_room_and_the_vendor_marks_the_lead_and_who_is_on_site():
    """R-BCAST (b): every involved room and the vendor, the lead room marked, who is on site."""
    ticket = _gold()
    vendor_engineer = f.vendor_engineer(first_name="", last_name="", username="vendor-zhang")
    services.assign_vendor(ticket_id=ticket.pk, by=f.room_engineer("transport"), vendor_id=vendor_engineer.vendor_id)
    support = f.support_engineer(username="support-li")
    services.record_arrival(ticket_id=ticket.pk, by=support, site_kind="customer")
    body = services.publish_manual_broadcast(ticket_id=ticket.pk, by=f.monitoring_operator()).body
    lines = body.splitlines()
    assert any("传送网室（主导" in line for line in lines)
    assert any(line.startswith("- 代维 " + fresh(ticket).vendor.name) for line in lines)
    assert any("服务支撑室（已到场）" in line for line in lines)
    name = support.get_full_name() or support.get_username()
    assert any("在现场：" in line and name in line for line in lines)


def test_a_manual_broadcast_carries_the_operators_own_text():
    """R-BCAST (c): monitoring adds its own words to a manual broadcast."""
    ticket = _gold()
    b = services.publish_manual_broadcast(ticket_id=ticket.pk, by=f.monitoring_operator(), text="客户要求优先恢复")
    assert "客户要求优先恢复" in b.body and "客户要求优先恢复" in b.body_en and b.kind == "manual"


_DOUBLED_ZH = re.compile(r"([\u4e00-\u9fff])\1")
_DOUBLED_EN = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)


def test_no_broadcast_template_has_a_doubled_word_in_either_language():
    """R-BCAST (d): every broadcast template (dispatch, scheduled, manual, final after restore and after resolve),
    composed in both languages, has no doubled word — "故障已已抢通" fails this test."""
    ticket = _gold()
    services.assign_vendor(ticket_id=ticket.pk, by=f.room_engineer("transport"),
                           vendor_id=f.vendor_engineer().vendor_id)
    engineer = f.room_engineer("transport")
    services.accept(ticket_id=ticket.pk, by=engineer)
    services.start_joint(ticket_id=ticket.pk, by=engineer, reason="联合处理")
    services.add_progress(ticket_id=ticket.pk, by=engineer, text="OTDR 测试中")
    texts = []
    for state in ("joint_handling", "restored", "resolved"):
        FaultTicket.objects.filter(pk=ticket.pk).update(state=state)  # compose reads the state only
        t = fresh(ticket)
        for kind in BroadcastKind.values:
            for language in ("zh-hans", "en"):
                texts.append((kind, state, language, compose(
                    t, at=T0 + timedelta(hours=2), since=None, next_at=T0 + timedelta(hours=3), kind=kind,
                    language=language, operator_text="请各室尽快到场")))
    for kind, state, language, text in texts:
        doubled = _DOUBLED_ZH.findall(text) if language == "zh-hans" else _DOUBLED_EN.findall(text)
        assert not doubled, (kind, state, language, doubled, text)
    final_zh = next(t for k, s, lang, t in texts if k == "final" and s == "restored" and lang == "zh-hans")
    assert final_zh.startswith("【结束通报】故障已抢通。")


# --------------------------------------------------------------------------- the dashboard per kind
def test_dashboard_shows_deadlines_met_per_kind(client):
    """Dashboard: "deadlines met" per kind (joint handling, arrival, broadcast, customer update); a cancelled
    arrival (R-ESC-2 c) counts neither as met nor as breached."""
    ticket = _gold()
    with at(20):
        services.record_customer_update(ticket_id=ticket.pk, by=f.support_engineer(), contact="李工",
                                        channel="phone", text="抢修中")
        engineer = f.room_engineer("transport")
        services.accept(ticket_id=ticket.pk, by=engineer)
        services.restore(ticket_id=ticket.pk, by=engineer, note="倒换")
    with at(200):
        sweep()
        rows = {r["kind"]: r for r in selectors.deadlines_met_by_kind(7)}
        assert (rows["joint_handling"]["met"], rows["joint_handling"]["breached"]) == (1, 0)
        assert (rows["arrival"]["met"], rows["arrival"]["breached"], rows["arrival"]["cancelled"]) == (0, 0, 1)
        assert rows["customer_update"]["met"] == 1 and rows["customer_update"]["breached"] == 1
        assert rows["customer_update"]["met_share"] == 50
        client.force_login(f.support_manager())
        html = client.get("/dashboard/").content.decode()
    assert 'data-kind="customer_update"' in html and 'data-kind="arrival"' in html
