"""The complaint rules of SPEC §5 through the services: R-CMP-LIMITS, -WORKDAY, -LOOP, -REPEAT, -PROACTIVE."""
import pytest
import time_machine
from django.db import DatabaseError, transaction

from complaints.models import ComplaintBreach, ComplaintDeadline, ComplaintEvent
from complaints.services import transitions as t
from complaints.services.calendar import load_official_file
from complaints.services.deadlines import sweep_complaint_deadlines
from complaints.workcalendar import CalendarYearUnknown
from staff.models import Delivery
from supportdesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from tests import factories as f

from .conftest import at, receive

pytestmark = pytest.mark.django_db


def due(complaint, stage, round=1):
    return ComplaintDeadline.objects.get(complaint=complaint, stage=stage, round=round).due_at


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_important_complaint_limits_follow_the_policy():
    """R-CMP-LIMITS: important — sorting 2 h (wall clock), analysis 0.5, handling 2 (5 with another
    department), total 3 (6) working days."""
    c = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 10, 5))
    assert c.importance == "important"
    assert due(c, "sorting") == at(2026, 11, 24, 12, 5)
    assert due(c, "total") == at(2026, 11, 27, 10, 5)  # Tue 10:05 + 3 working days
    t.sort(complaint_id=c.pk, by=None, route_to="transport")
    assert due(c, "analysis") == at(2026, 11, 24, 15, 45)  # 10:30 + 3 h 45 across lunch
    t.analyse(complaint_id=c.pk, by=None, finding="construction", other_department=True)
    assert due(c, "handling") == at(2026, 12, 1, 10, 30)  # 5 working days
    assert due(c, "total") == at(2026, 12, 2, 10, 5)  # the (6) variant, from the receipt
    assert ComplaintDeadline.objects.get(complaint=c, stage="sorting").met_at == at(2026, 11, 24, 10, 30)


@time_machine.travel(at(2026, 9, 30, 17, 50), tick=False)
def test_general_complaint_received_at_1750_on_the_eve_of_national_day():
    """R-CMP-LIMITS / R-CMP-WORKDAY: a general complaint's 0.5 working day sorting limit skips 1–7 October."""
    c = receive(f.CustomerFactory(tier="normal"), received_at=at(2026, 9, 30, 17, 50))
    assert c.importance == "general"
    assert due(c, "sorting") == at(2026, 10, 8, 14, 5)
    # 7.5 days: 10 min on the eve, 8, 9, 10 (a make-up Saturday), 12–15 October, and 3 h 35 on the 16th
    assert due(c, "total") == at(2026, 10, 16, 14, 5)


@time_machine.travel(at(2026, 12, 30, 10, 0), tick=False)
def test_a_clock_reaching_an_unknown_year_is_shown_and_timed_once_the_year_is_loaded(tmp_path):
    """R-CMP-WORKDAY: 2027 is not loaded: the total clock has no due time, the complaint says which year is
    missing; once the administrator loads 2027 the sweep times it."""
    c = receive(f.CustomerFactory(tier="normal"), received_at=at(2026, 12, 30, 9, 30))
    c.refresh_from_db()
    total = ComplaintDeadline.objects.get(complaint=c, stage="total")
    assert total.due_at is None and total.calendar_gap_year == 2027 and c.calendar_gap_year == 2027
    assert ComplaintEvent.objects.filter(complaint=c, kind="calendar_gap").exists()
    assert due(c, "sorting") == at(2026, 12, 30, 14, 45)  # still inside 2026
    csv = tmp_path / "official-2027.csv"
    csv.write_text("date,is_working,reason\n2027-01-01,0,元旦\n", encoding="utf-8")
    load_official_file(path=csv)
    summary = sweep_complaint_deadlines()
    assert summary.timed == 1
    total.refresh_from_db()
    c.refresh_from_db()
    assert total.due_at is not None and total.calendar_gap_year is None and c.calendar_gap_year is None


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_sweep_records_each_stage_breach_once_and_escalates_to_leader_and_managers():
    """R-CMP-LIMITS: a breach is recorded once, escalated to the responsible room's leader and the manager."""
    from complaints.models import Route

    leader = f.room_engineer()
    Route.objects.filter(code="transport").update(leader=leader)
    manager = f.support_manager()
    c = receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 8, 0))
    t.sort(complaint_id=c.pk, by=None, route_to="transport")  # sorting met late (due 10:00)
    with time_machine.travel(at(2026, 11, 24, 10, 31), tick=False):
        assert sweep_complaint_deadlines().breaches == 0  # met deadlines are never breached by the sweep
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):  # analysis due 24th 15:45
        assert sweep_complaint_deadlines().breaches == 1
        assert sweep_complaint_deadlines().breaches == 0
    breach = ComplaintBreach.objects.get()
    assert breach.stage == "analysis" and breach.complaint == c
    recipients = set(Delivery.objects.filter(notification__ticket_number=c.number).values_list("recipient", flat=True))
    assert {leader.pk, manager.pk} <= recipients
    assert ComplaintEvent.objects.filter(complaint=c, kind="breach").count() == 1


def _to_handled(c):
    t.sort(complaint_id=c.pk, by=None, route_to="datacom")
    t.analyse(complaint_id=c.pk, by=None, finding="optimisation")
    return t.handle(complaint_id=c.pk, by=None, note="done")


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_no_close_without_a_reply():
    """R-CMP-LOOP: a complaint cannot be closed without a recorded reply; a reply needs its text."""
    c = _to_handled(receive(f.CustomerFactory()))
    with pytest.raises(TransitionNotAllowed):
        t.close(complaint_id=c.pk, by=None)
    with pytest.raises(ValidationFailed, match="text"):
        t.reply(complaint_id=c.pk, by=None, text="  ")
    t.reply(complaint_id=c.pk, by=None, text="已处理")
    assert t.close(complaint_id=c.pk, by=None).stage == "closed"


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_a_dissatisfied_customer_reopens_the_complaint():
    """R-CMP-LOOP: a dissatisfied reply sends the complaint back to analysis, in a new round."""
    c = _to_handled(receive(f.CustomerFactory()))
    c = t.reply(complaint_id=c.pk, by=None, text="已扩容", customer_reaction="dissatisfied")
    assert (c.stage, c.round) == ("sorted", 2)
    kinds = list(ComplaintEvent.objects.filter(complaint=c).values_list("kind", flat=True))
    assert kinds[-2:] == ["reply", "reopen"]
    assert ComplaintDeadline.objects.filter(complaint=c, round=2, stage="analysis", met_at__isnull=True).exists()
    c = _to_handled_again(c)
    with pytest.raises(TransitionNotAllowed):
        t.close(complaint_id=c.pk, by=None)  # the new round needs its own reply


def _to_handled_again(c):
    t.analyse(complaint_id=c.pk, by=None, finding="onsite_test")
    return t.handle(complaint_id=c.pk, by=None)


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_the_third_complaint_about_the_same_problem_needs_a_clear_opinion_to_close():
    """R-CMP-REPEAT: same customer and circuit within 30 days, the third time: repeat; close needs the opinion."""
    circuit = f.CircuitFactory(customer__tier="normal")
    customer = circuit.customer
    old = receive(customer, circuit, received_at=at(2026, 10, 1, 9, 0), category="outage")  # outside the window
    first = receive(customer, circuit, received_at=at(2026, 11, 1, 9, 0), category="outage")
    second = receive(customer, circuit, received_at=at(2026, 11, 10, 9, 0), category="packet_loss")
    third = receive(customer, circuit, received_at=at(2026, 11, 24, 9, 0), category="slow")
    assert [x.repeat for x in (old, first, second, third)] == [False, False, False, True]
    _to_handled(third)
    t.reply(complaint_id=third.pk, by=None, text="已处理")
    with pytest.raises(ValidationFailed, match="opinion"):
        t.close(complaint_id=third.pk, by=None)
    with pytest.raises(NotPermitted):
        t.record_opinion(complaint_id=third.pk, by=f.support_engineer(), opinion="更换光缆并整改路由")
    t.record_opinion(complaint_id=third.pk, by=f.support_manager(), opinion="更换光缆并整改路由")
    assert t.close(complaint_id=third.pk, by=None).stage == "closed"


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_same_customer_and_category_counts_as_the_same_problem():
    """R-CMP-REPEAT: without a circuit, same customer and category."""
    customer = f.CustomerFactory(tier="normal")
    results = [receive(customer, received_at=at(2026, 11, d, 9, 0), category="coverage").repeat for d in (2, 12, 22)]
    assert results == [False, False, True]


def proactive_finder(circuit_id):
    return {"kind": "quality_warning", "id": 7, "label": f"时延告警 {circuit_id}", "url": "/quality/warnings/7/"}


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_a_complaint_on_a_circuit_with_an_active_quality_warning_links_to_it(settings):
    """R-CMP-PROACTIVE: the configured finder's active problem is linked and recorded."""
    settings.COMPLAINTS_PROACTIVE_FINDER = "tests.complaints.test_rules.proactive_finder"
    circuit = f.CircuitFactory()
    c = receive(circuit.customer, circuit)
    c.refresh_from_db()
    assert c.proactive["kind"] == "quality_warning" and c.proactive["id"] == 7
    assert ComplaintEvent.objects.filter(complaint=c, kind="proactive_linked").exists()
    settings.COMPLAINTS_PROACTIVE_FINDER = ""
    assert receive(circuit.customer, circuit).proactive == {}


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_complaint_events_are_immutable_in_the_database():
    """R-CMP-FLOW: every move is an immutable event (model and PostgreSQL trigger)."""
    c = receive(f.CustomerFactory())
    event = ComplaintEvent.objects.filter(complaint=c).first()
    with pytest.raises(Exception):  # noqa: B017 - the model refuses
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), __import__("django").db.connection.cursor() as cur:
        cur.execute("UPDATE complaints_complaintevent SET note = 'x' WHERE id = %s", [event.pk])


def test_unknown_year_error_names_the_year():
    """R-CMP-WORKDAY: the error says which year and how to load it."""
    assert "2027" in CalendarYearUnknown(2027).message and "load_workdays" in CalendarYearUnknown(2027).message


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_dissatisfaction_given_after_the_reply_or_the_close_reopens():
    """R-CMP-LOOP: the customer's reaction is recorded when given; dissatisfied reopens, even once closed."""
    c = _to_handled(receive(f.CustomerFactory()))
    t.reply(complaint_id=c.pk, by=None, text="已处理")
    c = t.record_reaction(complaint_id=c.pk, by=None, customer_reaction="satisfied")
    assert c.stage == "replied" and c.replies.get().customer_reaction == "satisfied"
    t.close(complaint_id=c.pk, by=None)
    c = t.record_reaction(complaint_id=c.pk, by=None, customer_reaction="dissatisfied")
    assert (c.stage, c.round) == ("sorted", 2)
    with pytest.raises(TransitionNotAllowed):
        t.record_reaction(complaint_id=c.pk, by=None, customer_reaction="satisfied")  # no reply in round 2 yet
