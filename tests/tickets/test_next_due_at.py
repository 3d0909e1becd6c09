"""R-PRIO at scale: ``FaultTicket.next_due_at`` is the nearest pending deadline, whoever writes the rows."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories as f
from tickets import selectors
from tickets.choices import DeadlineKind
from tickets.models import Deadline, FaultTicket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _due(ticket) -> object:
    return FaultTicket.objects.values_list("next_due_at", flat=True).get(pk=ticket.pk)


@time_machine.travel(NOW, tick=False)
def test_next_due_at_follows_every_write_of_the_deadline_rows():
    """R-PRIO: inserted, answered, cancelled, moved and deleted rows (bulk or one by one) keep the nearest
    pending ``due_at`` on the ticket; a full save of a stale ticket object cannot write an old value back."""
    ticket = f.TicketFactory()
    assert _due(ticket) is None
    a, b = Deadline.objects.bulk_create([
        Deadline(ticket=ticket, kind=DeadlineKind.JOINT_HANDLING, due_at=NOW + timedelta(hours=1)),
        Deadline(ticket=ticket, kind=DeadlineKind.ARRIVAL, due_at=NOW + timedelta(hours=2)),
    ])
    assert _due(ticket) == NOW + timedelta(hours=1)
    Deadline.objects.filter(pk=a.pk).update(met_at=NOW)
    assert _due(ticket) == NOW + timedelta(hours=2)
    ticket.title = "stale object, full save"
    ticket.save()
    assert _due(ticket) == NOW + timedelta(hours=2)
    b.due_at = NOW + timedelta(minutes=30)
    b.save()
    assert _due(ticket) == NOW + timedelta(minutes=30)
    b.cancelled_at = NOW
    b.save()
    assert _due(ticket) is None
    c = Deadline.objects.create(ticket=ticket, kind=DeadlineKind.BROADCAST, sequence=1, due_at=NOW)
    assert _due(ticket) == NOW
    c.delete()
    assert _due(ticket) is None


@time_machine.travel(NOW, tick=False)
def test_the_queue_orders_by_the_kept_value():
    """R-PRIO: diamond before gold, then the nearest pending deadline (kept on the row), then the oldest."""
    gold_late = f.TicketFactory(customer__tier="gold", state="dispatched")
    gold_soon = f.TicketFactory(customer__tier="gold", state="dispatched")
    diamond = f.TicketFactory(customer__tier="diamond", state="dispatched")
    for t, minutes in ((gold_late, 90), (gold_soon, 10), (diamond, 120)):
        Deadline.objects.create(ticket=t, kind=DeadlineKind.JOINT_HANDLING, due_at=NOW + timedelta(minutes=minutes))
    assert [t.pk for t in selectors.open_queue()] == [diamond.pk, gold_soon.pk, gold_late.pk]
    assert selectors.open_queue()[0].next_due == NOW + timedelta(minutes=120)


def _ticket_updates() -> int:
    """Rows of the ticket table updated in this transaction so far (PostgreSQL's per-transaction counters)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'tickets_faultticket'")
        return cursor.fetchone()[0]


@time_machine.travel(NOW, tick=False)
def test_an_alarm_s_new_ticket_is_written_with_its_nearest_deadline_and_not_updated_for_it():
    """R-PRIO: the ticket an alarm opens (and dispatches) has its nearest pending deadline — the joint-handling
    clock, R-ESC-1 — from its one INSERT (its deadlines are written first, tickets/0014); no UPDATE of the ticket
    row follows (it would write a new version into every index of the table)."""
    from tests.builders import alarm_ticket

    before = _ticket_updates()
    ticket = alarm_ticket(tier="gold")
    assert _ticket_updates() == before
    joint = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.JOINT_HANDLING)
    assert _due(ticket) == joint.due_at == min(
        Deadline.objects.filter(ticket=ticket, kind__in=selectors.QUEUE_DEADLINE_KINDS, met_at__isnull=True)
        .values_list("due_at", flat=True))
