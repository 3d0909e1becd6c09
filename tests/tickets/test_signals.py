"""``tickets.signals.ticket_transitioned``: sent by every transition service, inside its transaction, right
after its event row — how the apps above tickets react without tickets importing them."""
from __future__ import annotations

import pytest
from django.db import connection

from tests.builders import crew, ticket_in
from tickets.choices import TicketState
from tickets.models import TicketEvent
from tickets.signals import ticket_transitioned

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, *, ticket, transition, source, target, by, **kwargs):
        last = TicketEvent.objects.filter(ticket=ticket).order_by("-id").first()
        calls.append({"transition": transition, "source": source, "target": target, "by": by,
                      "atomic": connection.in_atomic_block, "event": (last.kind, last.from_state, last.to_state)})

    ticket_transitioned.connect(receiver, dispatch_uid="test-heard")
    yield calls
    ticket_transitioned.disconnect(dispatch_uid="test-heard")


def test_every_transition_is_announced_inside_its_transaction_after_its_event(heard):
    c = crew()
    ticket_in(TicketState.CLOSED, c)
    assert [h["transition"] for h in heard] == ["dispatch", "accept", "restore", "resolve", "close"]
    assert [(h["source"], h["target"]) for h in heard] == [
        ("new", "dispatched"), ("dispatched", "lead_handling"), ("lead_handling", "restored"),
        ("restored", "resolved"), ("resolved", "closed")]
    assert all(h["atomic"] for h in heard)
    assert all(h["event"] == (h["transition"], h["source"], h["target"]) for h in heard)
    assert heard[0]["by"] == c.op and heard[1]["by"] == c.lead


def test_cancel_is_announced(heard):
    ticket_in(TicketState.CANCELLED, crew())
    assert [(h["transition"], h["target"]) for h in heard] == [("cancel", "cancelled")]
