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
