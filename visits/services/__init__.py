"""The verbs of customer visits (docs/rules.md §4): the only door to a write.

Views, the API, the admin and the Celery task call these. Each locks what it changes, checks who may,
refuses with a domain error from ``supportdesk.core.errors`` (``ValidationFailed`` 400, ``NotPermitted`` 403,
``TransitionNotAllowed`` / ``Conflict`` 409) and writes one immutable ``VisitEvent`` per change of a visit.
"""

from ._common import ensure_may
from .correspondence import (
    acknowledge_incoming_document,
    register_incoming_document,
    unacknowledged_incoming_documents,
)
from .documents import create_document, record_document_received, review_document, revise_document, send_document
from .fault_reviews import link_ticket, propose_fault_review
from .planning import (
    ParticipantIn,
    add_customer_participant,
    add_participant,
    cancel_visit,
    complete_visit,
    confirm_visit,
    create_visit,
    record_inspection,
    remove_participant,
    update_visit,
)
from .problems import add_problem, raise_problem_ticket, record_follow_up
from .reminders import ReminderRun, send_reminders

__all__ = [
    "acknowledge_incoming_document",
    "register_incoming_document",
    "unacknowledged_incoming_documents",
    "ParticipantIn",
    "ReminderRun",
    "add_customer_participant",
    "add_participant",
    "add_problem",
    "cancel_visit",
    "complete_visit",
    "confirm_visit",
    "create_document",
    "create_visit",
    "ensure_may",
    "link_ticket",
    "propose_fault_review",
    "raise_problem_ticket",
    "record_document_received",
    "record_follow_up",
    "record_inspection",
    "remove_participant",
    "review_document",
    "revise_document",
    "send_document",
    "send_reminders",
    "update_visit",
]
