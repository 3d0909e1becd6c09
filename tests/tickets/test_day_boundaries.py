"""The dashboard's "today" and "this week" are Asia/Shanghai days, also in the hours when UTC is still on the
day before (00:00–08:00 Shanghai) and on the evening that ends a week: the clock is frozen at those hours."""
from datetime import datetime, timedelta

import pytest
import time_machine

from tests import factories as f
from tests.builders import alarm_ticket
from tickets import selectors
from tickets.models import Deadline

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("now, day, week", [
    ("2026-11-30T00:30:00+08:00", "2026-11-30T00:00:00+08:00", "2026-11-30T00:00:00+08:00"),  # Monday, UTC Sunday
    ("2026-11-30T01:30:00+08:00", "2026-11-30T00:00:00+08:00", "2026-11-30T00:00:00+08:00"),
    ("2026-12-06T23:50:00+08:00", "2026-12-06T00:00:00+08:00", "2026-11-30T00:00:00+08:00"),  # Sunday night
    ("2026-12-05T16:00:00+08:00", "2026-12-05T00:00:00+08:00", "2026-11-30T00:00:00+08:00"),  # Saturday
])
def test_today_and_this_week_start_at_shanghai_midnight(now, day, week):
    with time_machine.travel(at(now), tick=False):
        assert selectors.start_of_day() == at(day)
        assert selectors.start_of_week() == at(week)


def test_a_breach_after_shanghai_midnight_is_today_one_before_is_not():
    """At 01:30 Shanghai (17:30 UTC the day before) a breach at 00:20 is today's, one at 23:50 is yesterday's."""
    with time_machine.travel(at("2026-11-30T01:30:00+08:00"), tick=False):
        tickets = [alarm_ticket(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=200) for _ in range(2)]
        Deadline.objects.filter(ticket=tickets[0], kind="joint_handling").update(
            breached_at=at("2026-11-30T00:20:00+08:00"))
        Deadline.objects.filter(ticket=tickets[1], kind="joint_handling").update(
            breached_at=at("2026-11-29T23:50:00+08:00"))
        today = selectors.breaches_since(selectors.start_of_day())
        week = selectors.breaches_since(selectors.start_of_week())
        last_week = selectors.breaches_since(selectors.start_of_week() - timedelta(days=7))
    assert {d.ticket_id for d in today["deadlines"]} == {tickets[0].pk}
    assert {d.ticket_id for d in week["deadlines"]} == {tickets[0].pk}  # the week began on Monday 00:00
    assert {d.ticket_id for d in last_week["deadlines"]} == {t.pk for t in tickets}
