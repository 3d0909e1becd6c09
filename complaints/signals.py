"""How complaints react to the ticket domain (connected when the app is ready: ``ComplaintsConfig.ready``)."""
from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from tickets.choices import Transition
from tickets.signals import ticket_transitioned

from .services.transitions import fault_restored


@receiver(ticket_transitioned, dispatch_uid="complaints.handling_met_when_fault_restored")
def handling_met_when_fault_restored(sender, *, ticket, transition, **kwargs) -> None:
    """R-CMP-FAULT: the fault ticket raised or linked by a complaint is restored (or repaired at once):
    the complaint's handling is met, in the same transaction as the restore."""
    if transition in (Transition.RESTORE, Transition.RESOLVE) and ticket.restored_at is not None:
        fault_restored(ticket_id=ticket.pk, at=ticket.restored_at or timezone.now())
