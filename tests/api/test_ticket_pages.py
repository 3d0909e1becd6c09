"""``GET /api/v1/tickets/`` in keyset pages: every ticket once, in R-PRIO order, forwards and backwards."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories as f
from tickets.api import pagination
from tickets.choices import DeadlineKind
from tickets.models import Deadline

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _tickets():
    """Tickets of every tier, with and without a pending deadline, some sharing a due time and an occurrence."""
    made = []
    for i in range(13):
        t = f.TicketFactory(customer__tier=("diamond", "gold", "normal")[i % 3], state="dispatched",
                            occurred_at=NOW - timedelta(minutes=i % 4))
        if i % 5:
            Deadline.objects.create(ticket=t, kind=DeadlineKind.JOINT_HANDLING,
                                    due_at=NOW + timedelta(minutes=10 * (i % 3)))
        made.append(t)
    return made


@time_machine.travel(NOW, tick=False)
def test_next_and_previous_walk_every_ticket_once_in_r_prio_order(noc):
    """R-PRIO: the pages, followed by ``next``, are the unpaged order cut in pieces; ``previous`` goes back."""
    made = _tickets()
    whole = [t["id"] for t in noc.get(TICKETS, {"page_size": 200}).json()["results"]]
    assert sorted(whole) == sorted(t.pk for t in made)
    pages, url, params = [], TICKETS, {"page_size": 4}
    while url:
        data = noc.get(url, params).json()
        assert data["count"] == 13 and data["count_capped"] is False
        pages.append([t["id"] for t in data["results"]])
        url, params = data["next"], None
    assert [pk for page in pages for pk in page] == whole
    assert [len(p) for p in pages] == [4, 4, 4, 1]
    # back from the last page
    data = noc.get(TICKETS, {"page_size": 4}).json()
    for _ in range(3):
        data = noc.get(data["next"]).json()
    for expected in reversed(pages[:-1]):
        data = noc.get(data["previous"]).json()
        assert [t["id"] for t in data["results"]] == expected
    assert data["previous"] is None


@time_machine.travel(NOW, tick=False)
def test_count_is_capped_and_says_so(noc, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    _tickets()
    data = noc.get(TICKETS, {"page_size": 2}).json()
    assert data["count"] == 5 and data["count_capped"] is True


def test_a_broken_cursor_is_404(noc):
    assert noc.get(TICKETS, {"cursor": "not-a-cursor"}).status_code == 404
