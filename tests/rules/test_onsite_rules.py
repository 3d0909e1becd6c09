"""The revised on-site rules of docs/rules.md §3.5 (docs/rules.md): R-SITE-1/2 enforced, R-SITE-4, R-SITE-5, R-EXPLAIN,
and R-OWN-FIRST's conclusion."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from supportdesk.core.errors import NotPermitted, ValidationFailed
from tests import factories as f
from tests.builders import alarm_in, crew, fresh, snapshot
from tickets import services
from tickets.choices import EscalationKind, TicketState
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db
S = TicketState
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(minutes):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def _gold_total(c):
    circuit = f.CircuitFactory(customer__tier="gold", service_type="data_line")
    f.ContactFactory(customer=circuit.customer, name="李工", phone="13911112222")
    with at(1):
        ticket = services.ingest_alarm(alarm=alarm_in(circuit.circuit_id, raised_at=T0)).ticket
        services.accept(ticket_id=ticket.pk, by=c.lead)
    return fresh(ticket)


def test_on_site_lead_required_is_shown_from_dispatch(client):
    """R-SITE-1: from dispatch the ticket shows "on-site lead required"."""
    c = crew()
    ticket = _gold_total(c)
    assert ticket.site_lead_required
    client.force_login(c.op)
    assert "须支撑室现场负责" in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_lead_not_named_by_the_arrival_deadline_is_a_breach():
    """R-SITE-1 / R-SITE-2: no on-site lead named by the 2 h arrival deadline is a breach, escalated once."""
    c = crew()
    ticket = _gold_total(c)
    with at(121):
        sweep()
        sweep()
    assert ticket.escalations.filter(kind=EscalationKind.SITE_LEAD_BREACH, rule="R-SITE-1").count() == 1


def test_cannot_resolve_until_the_named_lead_checked_in_at_the_customer_site():
    """R-SITE-1 / R-SITE-2 enforced: resolve is refused until the named lead checked in at the customer site;
    a check-in at the equipment site does not count; a manager's recorded exception lets it through."""
    c = crew()
    ticket = _gold_total(c)
    services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.support.pk)
    before = snapshot(ticket)
    with pytest.raises(ValidationFailed) as caught:
        services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆")
    assert "site_lead" in caught.value.field_errors and snapshot(ticket) == before
    services.record_arrival(ticket_id=ticket.pk, by=c.support, site_kind="customer")
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆")
    assert fresh(ticket).state == S.RESOLVED


def test_a_manager_exception_with_a_reason_allows_resolving_without_the_lead_on_site():
    """R-SITE-1 / R-SITE-2: only a manager records the exception, and only with a reason."""
    c = crew()
    ticket = _gold_total(c)
    with pytest.raises(NotPermitted):
        services.record_site_lead_exception(ticket_id=ticket.pk, by=c.lead, reason="远程处理")
    with pytest.raises(ValidationFailed):
        services.record_site_lead_exception(ticket_id=ticket.pk, by=c.manager, reason=" ")
    services.record_site_lead_exception(ticket_id=ticket.pk, by=c.manager, reason="客户机房夜间不可进入，远程处理")
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆")
    assert fresh(ticket).state == S.RESOLVED


def test_the_lead_is_named_by_a_leader_never_by_the_engineer_himself():
    """R-SITE-5: "请示领导确定一个现场负责人" — the support-room manager, a centre leader or monitoring names the
    lead; an engineer cannot, not even himself."""
    c = crew()
    ticket = _gold_total(c)
    with pytest.raises(NotPermitted):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.support, user_id=c.support.pk)
    with pytest.raises(NotPermitted):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.lead, user_id=c.support.pk)
    services.designate_site_lead(ticket_id=ticket.pk, by=f.centre_leader(), user_id=c.support.pk)
    assert fresh(ticket).site_lead_id == c.support.pk


def test_manager_cannot_name_himself_either():
    """R-SITE-5: engineers cannot name themselves — a manager going on site is named by someone else."""
    c = crew()
    ticket = _gold_total(c)
    with pytest.raises(NotPermitted):
        services.designate_site_lead(ticket_id=ticket.pk, by=c.manager, user_id=c.manager.pk)


def test_pre_arrival_check_records_uniform_and_badge_and_a_check_in_without_the_call_is_a_deviation():
    """R-SITE-4: the uniform and badge are part of the pre-arrival check; a customer-site check-in without a
    recorded pre-arrival call is accepted but marked as a deviation."""
    c = crew()
    ticket = _gold_total(c)
    check = services.record_pre_arrival(ticket_id=ticket.pk, by=c.support, contact_name="李工",
                                        contact_phone="13911112222", uniform_and_badge=True)
    assert check.uniform_and_badge
    with_call = services.record_arrival(ticket_id=ticket.pk, by=c.support, site_kind="customer")
    assert not with_call.without_pre_arrival_call
    other = f.support_engineer()
    without = services.record_arrival(ticket_id=ticket.pk, by=other, site_kind="customer")
    assert without.without_pre_arrival_call
    assert fresh(ticket).events.filter(data__deviation="R-SITE-4: no pre-arrival call").count() == 1


def test_the_approver_is_never_the_drafter_and_the_release_records_recipient_and_channel():
    """R-EXPLAIN: a manager cannot approve his own draft; the release records to whom and by which channel."""
    c = crew()
    ticket = _gold_total(c)
    exp = services.draft_explanation(ticket_id=ticket.pk, by=c.manager, text="光缆被挖断")
    with pytest.raises(NotPermitted):
        services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    services.approve_explanation(explanation_id=exp.pk, by=f.support_manager())
    released = services.release_explanation(explanation_id=exp.pk, by=c.manager, recipient="李工 13911112222",
                                            channel="phone")
    assert (released.released_to, released.release_channel) == ("李工 13911112222", "phone")
    with pytest.raises(ValidationFailed):
        exp2 = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="x")
        services.approve_explanation(explanation_id=exp2.pk, by=c.manager)
        services.release_explanation(explanation_id=exp2.pk, by=c.support, channel="pigeon")


def test_the_ticket_page_offers_the_revised_actions(client):
    """R-ESC-3 / R-SITE-1 / R-SITE-4 / R-ESC-2: the page runs confirm-cause, the manager's exception, the
    uniform-and-badge check and a check-in with a stated time."""
    c = crew()
    ticket = _gold_total(c)
    client.force_login(c.manager)
    assert f"/tickets/{ticket.pk}/do/site_lead_exception/" in client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert client.post(f"/tickets/{ticket.pk}/do/site_lead_exception/", {"reason": "客户要求远程"}).status_code == 302
    assert fresh(ticket).site_lead_exception == "客户要求远程"
    client.force_login(c.support)
    client.post(f"/tickets/{ticket.pk}/do/pre_arrival/", {"contact_name": "李工", "contact_phone": "139",
                                                          "uniform_and_badge": "on"})
    assert ticket.pre_arrival_checks.get(engineer=c.support).uniform_and_badge
    client.force_login(c.lead)
    answer = client.post(f"/tickets/{ticket.pk}/do/confirm_cause/", {"cause_category": "fibre_cut",
                                                                     "cause_text": "光缆被挖断"})
    assert answer.status_code == 302 and fresh(ticket).cause_confirmed_at is not None
