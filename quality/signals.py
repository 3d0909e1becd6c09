"""How quality reacts to the ticket domain (connected in ``QualityConfig.ready``)."""
from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from tickets.choices import Transition
from tickets.signals import ticket_transitioned

from .choices import LEASED_LINES


@receiver(ticket_transitioned, dispatch_uid="quality.dial_test_at_dispatch")
def dial_test_at_dispatch(sender, *, ticket, transition, **kwargs) -> None:
    """R-QUAL-DIAL: a leased line's ticket is dispatched: test the line at once.

    The probe is a network call: it is queued after the dispatch commits (``robust``: a broker failure is logged
    and never undoes the dispatch), so the transaction never waits on the network.
    """
    if transition != Transition.DISPATCH or ticket.circuit_id is None:
        return
    if ticket.circuit.service_type not in LEASED_LINES:
        return
    ticket_id = ticket.pk

    def queue():
        from .tasks import dial_for_dispatched_ticket

        dial_for_dispatched_ticket.delay(ticket_id)

    transaction.on_commit(queue, robust=True)
