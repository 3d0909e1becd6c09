"""How visits reacts to the ticket domain (connected when the app is ready: ``VisitsConfig.ready``)."""
from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from tickets.choices import Outage, Transition
from tickets.signals import ticket_transitioned

from .services.fault_reviews import propose_fault_review


@receiver(ticket_transitioned, dispatch_uid="visits.propose_fault_review_after_total_outage")
def propose_fault_review_after_total_outage(sender, *, ticket, transition, **kwargs) -> None:
    """docs/rules.md §4: a resolved total outage of an important customer proposes a fault-review visit.

    The proposal runs after the ticket's transaction commits (``robust``: a failure is logged and never
    undoes the resolution); ``propose_fault_review`` is idempotent.
    """
    if transition == Transition.RESOLVE and ticket.important and ticket.outage == Outage.TOTAL:
        ticket_id = ticket.pk
        transaction.on_commit(lambda: propose_fault_review(ticket_id=ticket_id), robust=True)
