"""What the ticket domain tells the apps above it (they connect receivers; tickets never imports them).

``ticket_transitioned``
    Sent by every transition service (dispatch, accept, start_joint, restore, resolve, close, cancel, reopen)
    **inside** the transition's transaction, right after its event row, with keyword arguments
    ``ticket`` (the locked ``FaultTicket``, already saved), ``transition`` (the ``Transition`` value),
    ``source`` and ``target`` (states) and ``by`` (the user, or None for the system). ``sender`` is
    ``FaultTicket``. A receiver that raises rolls the transition back: write outbox rows here, and hand
    anything slow or fallible to ``transaction.on_commit`` (as visits does to propose a fault review).
"""
from django.dispatch import Signal

ticket_transitioned = Signal()
