"""A reopened fault (docs/rules.md §3.6 reopen) is a new round: new check-ins (R-ESC-2) and a new explanation (R-EXPLAIN)."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from supportdesk.core.errors import ValidationFailed
from tests import factories as f
from tests.builders import alarm_ticket
from tickets import services
from tickets.choices import EscalationKind, TicketState
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db


def _resolved_gold_ticket():
    ticket = alarm_ticket(tier="gold", minutes_ago=61)
    sweep()  # joint handling (R-ESC-1)
    engineers = {}
    for inv in ticket.involvements.filter(must_arrive=True).select_related("room"):
        engineers[inv.room.code] = f.person("room_engineer", inv.room.code)
        services.record_arrival(ticket_id=ticket.pk, by=engineers[inv.room.code])
    transport = engineers["transport"]
    services.record_site_lead_exception(ticket_id=ticket.pk, by=f.support_manager(), reason="客户要求远程处理")
    services.resolve(ticket_id=ticket.pk, by=transport, cause_category="fibre_cut", cause_text="光缆中断")
    return ticket, engineers


def test_check_ins_of_the_first_round_do_not_answer_the_second():
    """R-ESC-2 after reopen: everyone must check in again; the first round's check-ins are not counted."""
    ticket, engineers = _resolved_gold_ticket()
    services.reopen(ticket_id=ticket.pk, by=f.monitoring_operator(), note="故障复现")
    again = services.record_arrival(ticket_id=ticket.pk, by=engineers["transport"])
    assert again.round == 2
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=1)):
        sweep()  # round 2: joint handling again, then the arrival clock
        sweep()
    ticket.refresh_from_db()
    breaches = set(ticket.escalations.filter(kind=EscalationKind.ARRIVAL_BREACH, round=2)
                   .values_list("room__code", flat=True))
    assert "transport" not in breaches and "datacom" in breaches


def test_a_reopened_important_ticket_needs_a_new_released_explanation_to_close():
    """R-EXPLAIN: the first round's released explanation does not close the fault that came back."""
    ticket, engineers = _resolved_gold_ticket()
    support = f.support_engineer()
    manager = f.support_manager()
    operator = f.monitoring_operator()
    first = services.draft_explanation(ticket_id=ticket.pk, by=support, text="光缆被挖断")
    services.approve_explanation(explanation_id=first.pk, by=manager)
    services.release_explanation(explanation_id=first.pk, by=support)
    services.reopen(ticket_id=ticket.pk, by=operator, note="故障复现")
    services.resolve(ticket_id=ticket.pk, by=engineers["transport"], cause_category="other", cause_text="熔接点松动")
    with pytest.raises(ValidationFailed):
        services.close(ticket_id=ticket.pk, by=operator, customer_reply="客户确认")
    second = services.draft_explanation(ticket_id=ticket.pk, by=support, text="熔接点松动，已重新熔接")
    assert second.pk != first.pk and second.round == 2
    services.approve_explanation(explanation_id=second.pk, by=manager)
    services.release_explanation(explanation_id=second.pk, by=support)
    assert services.close(ticket_id=ticket.pk, by=operator, customer_reply="客户确认").state == TicketState.CLOSED
