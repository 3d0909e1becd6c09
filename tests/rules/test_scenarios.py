"""Three whole faults walked through the services and the real deadline sweep with a frozen clock, one per tier
(docs/rules.md §3): every event, deadline (met / breached / cancelled), broadcast and customer update checked.

R-ESC-1, R-ESC-2, R-ESC-3, R-BCAST, R-RESTORE-FIRST, R-CUST-UPDATE, R-SITE-1, R-DISPATCH-IMP, R-DISPATCH-NORM.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories as f
from tests.builders import alarm_in, fresh
from tickets import services
from tickets.choices import TicketState
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
S = TicketState
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def t(h=0, m=0, s=0):
    return T0 + timedelta(hours=h, minutes=m, seconds=s)


def at(h=0, m=0, s=0):
    return time_machine.travel(t(h, m, s), tick=False)


def hm(dt):
    """A time as an offset from the fault's occurrence, "h:mm" or "h:mm:ss": easy to read against the rules."""
    if dt is None:
        return None
    secs = int((dt - T0).total_seconds())
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}" + (f":{s:02d}" if s else "")


def transitions(ticket):
    return [(e.kind, e.from_state, e.to_state, hm(e.at)) for e in ticket.events.exclude(to_state="").order_by("at", "pk")]


def deadlines(ticket):
    rows = ticket.deadlines.select_related("room").order_by("kind", "due_at", "sequence")
    return [(d.kind, d.room.code if d.room else None, hm(d.due_at), hm(d.met_at), hm(d.breached_at),
             hm(d.cancelled_at)) for d in rows]


def broadcasts(ticket):
    return [(b.seq, b.kind, hm(b.at)) for b in ticket.broadcasts.order_by("seq")]


def escalations(ticket):
    return [(e.kind, e.room.code if e.room else None, e.rule, hm(e.at))
            for e in ticket.escalations.select_related("room").order_by("at", "pk")]


def updates(ticket):
    return [(hm(u.at), u.channel) for u in ticket.customer_updates.order_by("at")]


# --------------------------------------------------------------------------- diamond
def test_diamond_transmission_total_outage_with_a_failed_temporary_restore_at_1h30():
    """A diamond customer's transmission total outage: broadcast #1 at dispatch, joint handling at 1 h, a
    temporary restore at 1 h 30 that fails again at 1 h 40 (a new alarm: refail back to joint handling, the
    arrival clock re-opened, broadcasts resume), datacom missing at 2 h, restored for good at 3 h, resolved with
    the on-site lead checked in; customer updates owed after every broadcast and at restore."""
    circuit = f.CircuitFactory(customer__tier="diamond", service_type="data_line")
    transport = f.room_engineer("transport")
    f.room_engineer("datacom")  # told, but never on site
    support, manager = f.support_engineer(), f.support_manager()
    with at(0, 1):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0, outage="total")).ticket
    with at(0, 5):
        services.accept(ticket_id=ticket.pk, by=transport)
    with at(0, 10):
        services.designate_site_lead(ticket_id=ticket.pk, by=manager, user_id=support.pk)  # R-SITE-1 / -5
        services.record_pre_arrival(ticket_id=ticket.pk, by=support, contact_name="李工", contact_phone="139",
                                    uniform_and_badge=True)
    with at(0, 20):
        services.record_customer_update(ticket_id=ticket.pk, by=support, contact="李工", channel="phone",
                                        text="已派单，传送网室定位中")
    with at(1, 0, 30):
        sweep()  # R-ESC-1
    with at(1, 20):
        services.record_arrival(ticket_id=ticket.pk, by=support, site_kind="customer")
    with at(1, 25):
        services.record_arrival(ticket_id=ticket.pk, by=transport, site_kind="equipment")
    with at(1, 30):
        services.restore(ticket_id=ticket.pk, by=transport, note="临时迂回路由，业务恢复")
    with at(1, 40):
        result = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=t(1, 39)))
        assert result.refailed  # R-RESTORE-FIRST
    with at(1, 45):
        services.record_customer_update(ticket_id=ticket.pk, by=support, contact="李工", channel="phone",
                                        text="迂回路由中断，联合处理中")
    with at(2, 0, 30):
        sweep()  # R-ESC-2: datacom is not on site
    with at(2, 40, 30):
        sweep()  # R-BCAST: the hourly broadcast after the refail
    with at(3, 0):
        services.restore(ticket_id=ticket.pk, by=transport, note="光缆熔接完成，业务恢复")
        services.resolve(ticket_id=ticket.pk, by=transport, cause_category="fibre_cut", cause_text="施工挖断光缆")
    with at(3, 20):
        services.record_customer_update(ticket_id=ticket.pk, by=support, contact="李工", channel="phone",
                                        text="已修复")
    with at(3, 45):
        sweep()
    ticket = fresh(ticket)

    assert transitions(ticket) == [
        ("created", "", "new", "0:01"),
        ("dispatch", "new", "dispatched", "0:01"),
        ("accept", "dispatched", "lead_handling", "0:05"),
        ("start_joint", "lead_handling", "joint_handling", "1:00:30"),
        ("restore", "joint_handling", "restored", "1:30"),
        ("refail", "restored", "joint_handling", "1:40"),
        ("restore", "joint_handling", "restored", "3:00"),
        ("resolve", "restored", "resolved", "3:00"),
    ]
    refail = ticket.events.get(kind="refail")
    assert refail.data["alarm_id"] == result.alarm.alarm_id and refail.data["reopened"] == ["arrival"]
    assert broadcasts(ticket) == [
        (1, "dispatch", "0:01"),  # R-BCAST (a)
        (2, "scheduled", "1:00:30"),  # joint handling starts the hourly series
        (3, "final", "1:30"),  # the temporary restore closes it
        (4, "scheduled", "1:40"),  # the refail resumes it at once
        (5, "scheduled", "2:40:30"),  # one hour later
        (6, "final", "3:00"),
    ]
    assert escalations(ticket) == [
        ("joint_handling", None, "R-ESC-1", "1:00:30"),
        ("arrival_breach", "datacom", "R-ESC-2", "2:00:30"),
    ]
    assert deadlines(ticket) == [
        ("arrival", None, "2:00", None, "2:00:30", None),  # cancelled at 1:30, re-opened at 1:40, datacom absent
        ("broadcast", None, "2:00:30", None, None, "1:30"),  # the slot the temporary restore cancelled
        ("broadcast", None, "2:40", "2:40:30", None, None),
        ("broadcast", None, "3:40", None, None, "3:00"),
        ("customer_update", None, "0:31", "0:20", None, None),  # after broadcast #1
        ("customer_update", None, "1:30:30", None, "1:45", None),  # after #2: told only at 1:45, late
        ("customer_update", None, "2:00", "1:45", None, None),  # after #3
        ("customer_update", None, "2:10", "1:45", None, None),  # after #4
        ("customer_update", None, "3:10:30", None, "3:20", None),  # after #5: told at 3:20, late
        ("customer_update", None, "3:30", "3:20", None, None),  # after #6 (final, at restore)
        ("joint_handling", None, "1:00", None, "1:00:30", None),
    ]
    assert updates(ticket) == [("0:20", "phone"), ("1:45", "phone"), ("3:20", "phone")]


# --------------------------------------------------------------------------- gold
def test_gold_with_a_room_added_to_the_joint_handling_at_1h40():
    """A gold customer's partial transmission fault: joint handling at 1 h, the power room added at 1 h 40 with its
    own arrival due at 2 h 40 (later than the 2 h mark, which it would miss), everyone on site in time (power at
    2 h 35), restored at 2 h 50, resolved at 3 h; one customer update not made in time."""
    circuit = f.CircuitFactory(customer__tier="gold", service_type="internet_line")
    transport, datacom_eng = f.room_engineer("transport"), f.room_engineer("datacom")
    power_eng = f.room_engineer("power")
    support, operator = f.support_engineer(), f.monitoring_operator()
    with at(0, 2):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0, outage="partial")).ticket
        assert not fresh(ticket).site_lead_required  # gold, partial: R-SITE-3
    with at(0, 10):
        services.accept(ticket_id=ticket.pk, by=transport)
    with at(0, 30):
        services.record_customer_update(ticket_id=ticket.pk, by=support, contact="张工", channel="sms",
                                        text="已派单")
    with at(1, 1):
        sweep()  # R-ESC-1
    with at(1, 20):
        services.record_customer_update(ticket_id=ticket.pk, by=support, contact="张工", channel="phone",
                                        text="联合处理中")
    with at(1, 40):
        services.add_joint_room(ticket_id=ticket.pk, by=operator, room_code="power", reason="机房动力告警")
    with at(1, 50):
        services.record_pre_arrival(ticket_id=ticket.pk, by=support, contact_name="张工", contact_phone="138")
        services.record_arrival(ticket_id=ticket.pk, by=support, site_kind="customer")
        services.record_arrival(ticket_id=ticket.pk, by=transport, site_kind="equipment")
        services.record_arrival(ticket_id=ticket.pk, by=datacom_eng, site_kind="equipment")
    with at(2, 1):
        sweep()  # R-ESC-2: the rooms of the first hour are on site; R-BCAST: the 2 h broadcast
    with at(2, 35):
        services.record_arrival(ticket_id=ticket.pk, by=power_eng, site_kind="equipment")
    with at(2, 41):
        sweep()  # the power room's own arrival row: met
    with at(2, 50):
        services.restore(ticket_id=ticket.pk, by=transport, note="更换电源模块，业务恢复")
    with at(3, 0):
        services.resolve(ticket_id=ticket.pk, by=transport, cause_category="power", cause_text="电源模块故障")
    with at(3, 30):
        sweep()
    ticket = fresh(ticket)

    assert transitions(ticket) == [
        ("created", "", "new", "0:02"),
        ("dispatch", "new", "dispatched", "0:02"),
        ("accept", "dispatched", "lead_handling", "0:10"),
        ("start_joint", "lead_handling", "joint_handling", "1:01"),
        ("restore", "joint_handling", "restored", "2:50"),
        ("resolve", "restored", "resolved", "3:00"),
    ]
    added = ticket.events.get(kind="room_added")
    assert (hm(added.at), added.data["room"]) == ("1:40", "power")
    assert broadcasts(ticket) == [(1, "dispatch", "0:02"), (2, "scheduled", "1:01"), (3, "scheduled", "2:01"),
                                  (4, "final", "2:50")]
    assert escalations(ticket) == [("joint_handling", None, "R-ESC-1", "1:01")]
    assert deadlines(ticket) == [
        ("arrival", None, "2:00", "1:50", None, None),  # met by the last of the first rooms on site
        ("arrival", "power", "2:40", "2:35", None, None),  # the room added at 1:40: 1 h after, not the 2 h mark
        ("broadcast", None, "2:01", "2:01", None, None),
        ("broadcast", None, "3:01", None, None, "2:50"),
        ("customer_update", None, "0:32", "0:30", None, None),
        ("customer_update", None, "1:31", "1:20", None, None),
        ("customer_update", None, "2:31", None, "2:41", None),  # nobody told the customer after #3
        ("customer_update", None, "3:20", None, "3:30", None),  # nor after the final one
        ("joint_handling", None, "1:00", None, "1:01", None),
    ]
    assert updates(ticket) == [("0:30", "sms"), ("1:20", "phone")]


# --------------------------------------------------------------------------- normal
def test_normal_datacom_fault_whose_cause_is_confirmed_at_2h50():
    """A normal customer's datacom fault: dispatched to the support room (R-LEAD) with the duty engineer told
    (R-DISPATCH-NORM); the lead room confirms the cause at 2 h 50, which meets the 3 h clock (R-ESC-3): no
    joint handling, no broadcast, no arrival or customer-update rows; restored at 3 h 30, resolved at 4 h."""
    circuit = f.CircuitFactory(customer__tier="normal", service_type="internet_line")
    lead = f.support_engineer()
    with at(0, 1):
        duty = f.support_engineer()
        f.DutyShiftFactory(user=duty, room=f.room("service_support"))
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0, category="datacom",
                                                      severity="major", outage="partial")).ticket
    with at(0, 15):
        services.accept(ticket_id=ticket.pk, by=lead)
    with at(1, 0):
        services.add_progress(ticket_id=ticket.pk, by=lead, text="PE 设备日志分析中")
    with at(2, 50):
        services.confirm_cause(ticket_id=ticket.pk, by=lead, cause_category="datacom", cause_text="PE 板卡故障")
    with at(3, 1):
        sweep()
    with at(3, 30):
        services.restore(ticket_id=ticket.pk, by=lead, note="倒换到备用板卡")
    with at(4, 0):
        services.resolve(ticket_id=ticket.pk, by=lead, cause_category="datacom", cause_text="PE 板卡故障，已更换")
    with at(5, 0):
        sweep()
    ticket = fresh(ticket)

    assert ticket.lead_room.code == "service_support" and not ticket.no_duty_engineer
    notified = ticket.events.get(kind="room_notified")
    assert notified.note == "R-DISPATCH-NORM" and notified.data["duty_engineer"] == duty.get_username()
    assert transitions(ticket) == [
        ("created", "", "new", "0:01"),
        ("dispatch", "new", "dispatched", "0:01"),
        ("accept", "dispatched", "lead_handling", "0:15"),
        ("restore", "lead_handling", "restored", "3:30"),
        ("resolve", "restored", "resolved", "4:00"),
    ]
    confirmed = ticket.events.get(kind="cause_confirmed")
    assert (hm(confirmed.at), confirmed.data["rule"], confirmed.data["clock_met"]) == ("2:50", "R-ESC-3", True)
    assert deadlines(ticket) == [("joint_handling", None, "3:00", "2:50", None, None)]
    assert broadcasts(ticket) == [] and escalations(ticket) == [] and updates(ticket) == []
